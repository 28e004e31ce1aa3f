/**
 * The connector registry: connector type name to its config schema and
 * opener (as Dex's `ConnectorsConfig` map), and {@link openConnector}, which
 * validates a connector's config and names every bad field before opening it.
 */
import { ConfigError, type ConfigProblem } from "../../config/errors.ts";
import type { Connector, ConnectorDeps, ConnectorType } from "./connector.ts";
import { joinPath, schemaProblems } from "./config-problems.ts";
import { githubConnectorType } from "./github/github-connector.ts";
import { gitlabConnectorType } from "./gitlab/gitlab-connector.ts";
import { googleConnectorType } from "./google/google-connector.ts";
import { ldapConfigSchema } from "./ldap/ldap-config.ts";
import { localConnectorType } from "./local/local-connector.ts";
import { microsoftConnectorType } from "./microsoft/microsoft-connector.ts";
import { mockConnectorType } from "./mock/mock-connector.ts";
import { oauthConnectorType } from "./oauth/oauth-connector.ts";
import { oidcConfigSchema } from "./oidc/oidc-config.ts";
import { samlConfigSchema } from "./saml/saml-config.ts";

/**
 * A connector type whose implementation, and the library behind it, loads
 * when a connector of that type is opened: checking a config needs only the
 * schema. openid-client, ldapts and node-saml together kept ~16 MB resident
 * in every issuer, configured or not (measured on issue 7).
 */
function loadedOnOpen<C>(schema: object, load: () => Promise<ConnectorType<C>["open"]>): ConnectorType<C> {
  return { schema, open: async (id, name, config, deps) => (await load())(id, name, config, deps) };
}

/** Every connector type kubeward can open, by the `type` written in config. */
export const CONNECTOR_TYPES: Readonly<Record<string, ConnectorType>> = {
  local: localConnectorType,
  mock: mockConnectorType,
  oidc: loadedOnOpen(oidcConfigSchema, async () => (await import("./oidc/oidc-connector.ts")).openOidcConnector),
  ldap: loadedOnOpen(ldapConfigSchema, async () => (await import("./ldap/ldap-connector.ts")).openLdapConnector),
  saml: loadedOnOpen(samlConfigSchema, async () => (await import("./saml/saml-connector.ts")).openSamlConnector),
  github: githubConnectorType,
  gitlab: gitlabConnectorType,
  microsoft: microsoftConnectorType,
  google: googleConnectorType,
  oauth: oauthConnectorType,
};

/** One `connectors[]` entry of the issuer's config file. */
export interface ConnectorConfig {
  readonly type: string;
  readonly id: string;
  readonly name: string;
  readonly config: unknown;
}

export interface OpenConnectorOptions {
  /** Lets the `mock` connector open (development only). Default false. */
  readonly allowMock?: boolean;
  /** Where the entry is in the user's config file, e.g. `connectors[1]`; prefixes every problem. Default `connector`. */
  readonly path?: string;
}

/**
 * Checks `entry` and opens its connector.
 *
 * @throws {@link ConfigError} listing every problem, each naming its field
 *   (`connectors[1].config.issuer: must be an https URL (got "http://x")`).
 * @example
 * const c = await openConnector({ type: "local", id: "local", name: "Email", config: {} }, deps, { path: "connectors[0]" });
 */
export async function openConnector(entry: ConnectorConfig, deps: ConnectorDeps, options: OpenConnectorOptions = {}): Promise<Connector> {
  const path = options.path ?? "connector";
  const problems = entryProblems(entry, path, options);
  const type = Object.hasOwn(CONNECTOR_TYPES, entry.type) ? CONNECTOR_TYPES[entry.type] : undefined;
  if (type !== undefined) problems.push(...schemaProblems(type.schema, entry.config, joinPath(path, "config")));
  if (type === undefined || problems.length > 0) throw new ConfigError(problems);
  try {
    return await type.open(entry.id, entry.name, frozenCopy(entry.config), deps);
  } catch (e) {
    // An opener names fields relative to its own config; say where that config is.
    if (e instanceof ConfigError) throw new ConfigError(e.problems.map((p) => ({ path: joinPath(path, "config") + prefixed(p.path), message: p.message })));
    throw e;
  }
}

/** A deep copy the caller cannot change, nor the connector (config is validated once). */
function frozenCopy<T>(value: T): T {
  const copy = structuredClone(value);
  const freeze = (v: unknown): void => {
    if (typeof v !== "object" || v === null) return;
    Object.freeze(v);
    for (const child of Object.values(v)) freeze(child);
  };
  freeze(copy);
  return copy;
}

function prefixed(relative: string): string {
  return relative === "" || relative.startsWith("[") ? relative : `.${relative}`;
}

function entryProblems(entry: ConnectorConfig, path: string, options: OpenConnectorOptions): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (typeof entry.id !== "string" || entry.id === "") problems.push({ path: joinPath(path, "id"), message: "required" });
  if (typeof entry.name !== "string" || entry.name === "") problems.push({ path: joinPath(path, "name"), message: "required" });
  if (!Object.hasOwn(CONNECTOR_TYPES, entry.type)) {
    const known = Object.keys(CONNECTOR_TYPES).sort().join(", ");
    problems.push({ path: joinPath(path, "type"), message: `must be one of ${known} (got ${JSON.stringify(String(entry.type))})` });
  } else if (entry.type === "mock" && options.allowMock !== true) {
    problems.push({
      path: joinPath(path, "type"),
      message: "the mock connector is for development only (plain-text passwords in config); allow it with allowMockConnector: true in the issuer's config, or use the local connector",
    });
  }
  return problems;
}
