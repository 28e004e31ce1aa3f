/**
 * The `google` connector's config: Dex's field names and meanings, its strict
 * JSON Schema, and the checks a schema cannot express, including reading the
 * service account key file used for the Admin Directory API.
 */
import { readFile } from "node:fs/promises";
import { createPrivateKey } from "node:crypto";
import { ConfigError, Problems } from "../../../config/errors.ts";
import { clientFields, names, nonEmpty } from "../oauth2-common/schema-parts.ts";

/** The `config` of a `google` connector. */
export interface GoogleConfig {
  readonly clientID: string;
  readonly clientSecret: string;
  /** kubeward's callback URL as registered in the OAuth client. Default: the issuer's callback URL. */
  readonly redirectURI?: string;
  /** Only users of these Google Workspace domains (`hd`) may log in. */
  readonly hostedDomains?: readonly string[];
  /** Only members of at least one of these groups (group emails) may log in, and only these are passed on. */
  readonly groups?: readonly string[];
  /** A service account key file (JSON) with domain-wide delegation, for reading groups. */
  readonly serviceAccountFilePath?: string;
  /** Which Workspace admin the service account acts as, by the user's email domain (`*` for any). */
  readonly domainToAdminEmail?: Readonly<Record<string, string>>;
  /** Also pass on the groups that the user's groups belong to. Default false. */
  readonly fetchTransitiveGroupMembership?: boolean;
  /** The `prompt` sent to Google. Default `consent` (Google sends a refresh token only after consent). */
  readonly promptType?: string;
}

/** The fields of a service account key file kubeward uses. */
export interface ServiceAccountKey {
  readonly client_email: string;
  readonly private_key: string;
  readonly private_key_id: string;
  readonly token_uri: string;
}

const email = { type: "string", pattern: "^[^@\\s]+@[^@\\s]+$", description: "an email address" } as const;

/** Strict JSON Schema of {@link GoogleConfig}. */
export const googleConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["clientID", "clientSecret"],
  properties: {
    ...clientFields,
    hostedDomains: names,
    groups: { ...names, items: email },
    serviceAccountFilePath: nonEmpty,
    domainToAdminEmail: { type: "object", minProperties: 1, additionalProperties: email },
    fetchTransitiveGroupMembership: { type: "boolean" },
    promptType: { type: "string" },
  },
} as const;

async function readKey(path: string, problems: Problems): Promise<ServiceAccountKey | undefined> {
  let key: Partial<ServiceAccountKey> & { type?: string };
  try {
    key = JSON.parse(await readFile(path, "utf8")) as typeof key;
  } catch (e) {
    problems.add("serviceAccountFilePath", `cannot read a JSON key from ${JSON.stringify(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return undefined;
  }
  if (key.type !== "service_account" || !key.client_email || !key.private_key || !key.private_key_id) {
    problems.add("serviceAccountFilePath", "is not a service account key (type, client_email, private_key and private_key_id are required)");
    return undefined;
  }
  try {
    createPrivateKey(key.private_key);
  } catch {
    problems.add("serviceAccountFilePath", "holds a private_key that does not parse");
    return undefined;
  }
  return { client_email: key.client_email, private_key: key.private_key, private_key_id: key.private_key_id, token_uri: key.token_uri ?? "https://oauth2.googleapis.com/token" };
}

/**
 * Checks what the schema cannot and reads the service account key.
 *
 * @returns the key, or undefined when groups are not read.
 * @throws {@link ConfigError} with paths relative to the connector's `config`.
 */
export async function checkGoogleConfig(config: GoogleConfig): Promise<ServiceAccountKey | undefined> {
  const problems = new Problems();
  const path = config.serviceAccountFilePath;
  if ((path === undefined) !== (config.domainToAdminEmail === undefined)) {
    problems.add(path === undefined ? "serviceAccountFilePath" : "domainToAdminEmail", "serviceAccountFilePath and domainToAdminEmail go together (groups are read by the service account acting as a Workspace admin)");
  }
  for (const field of ["groups", "fetchTransitiveGroupMembership"] as const) {
    if (config[field] !== undefined && path === undefined) problems.add(field, "needs serviceAccountFilePath and domainToAdminEmail (groups are read from the Admin Directory API)");
  }
  const key = path === undefined ? undefined : await readKey(path, problems);
  if (!problems.empty) throw new ConfigError(problems.list);
  return key;
}
