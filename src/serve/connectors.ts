/**
 * The `connectors` section, checked before anything opens: each entry's
 * type, its `config` against that type's schema (problems named
 * `connectors[i].config.…`), unique ids, and the mock connector's opt-in.
 */
import type { Problems } from "../config/errors.ts";
import { schemaProblems } from "../issuer/connectors/config-problems.ts";
import { CONNECTOR_TYPES, type ConnectorConfig } from "../issuer/connectors/registry.ts";
import type { ServeFile } from "./schema.ts";

/** The connector of a zero-config run: email and password, users kept in the issuer's storage. */
export const LOCAL_CONNECTOR: ConnectorConfig = { type: "local", id: "local", name: "Email", config: {} };

/** The entries, each checked; problems for every bad field at once. */
export function checkConnectors(list: NonNullable<ServeFile["connectors"]>, allowMock: boolean, problems: Problems): ConnectorConfig[] {
  const seen = new Set<string>();
  return list.map((entry, i) => {
    const at = `connectors[${i}]`;
    const type = Object.hasOwn(CONNECTOR_TYPES, entry.type) ? CONNECTOR_TYPES[entry.type] : undefined;
    if (type === undefined) problems.add(`${at}.type`, `must be one of ${Object.keys(CONNECTOR_TYPES).sort().join(", ")} (got ${JSON.stringify(entry.type)})`);
    else for (const p of schemaProblems(type.schema, entry.config ?? {}, `${at}.config`)) problems.add(p.path, p.message);
    if (entry.type === "mock" && !allowMock) problems.add(`${at}.type`, "the mock connector is for development only; allow it with issuer.allowMockConnector: true");
    if (seen.has(entry.id)) problems.add(`${at}.id`, `${entry.id} is listed twice`);
    seen.add(entry.id);
    return { type: entry.type, id: entry.id, name: entry.name, config: entry.config ?? {} };
  });
}
