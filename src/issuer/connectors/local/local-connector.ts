/**
 * The `local` connector (Dex's password DB): email and bcrypt-hashed password,
 * from the issuer's PasswordStore and from static users in config, written
 * as Dex's `staticPasswords`.
 */
import bcrypt from "bcryptjs";
import { ConfigError, type ConfigProblem } from "../../../config/errors.ts";
import { KubewardError, isKubewardError } from "../../../errors.ts";
import type { PasswordEntry } from "../../storage/entities.ts";
import type { PasswordStore } from "../../storage/storage.ts";
import type { ConnectorDeps, ConnectorType, Identity, PasswordConnector, RefreshConnector, Scopes } from "../connector.ts";

/** One Dex `staticPasswords` entry; `groups` is kubeward's addition (Dex's local users have none). */
export interface StaticPassword {
  readonly email: string;
  /** bcrypt hash (`$2a$`, `$2b$` or `$2y$`), as `htpasswd -bnBC 10 "" pw | tr -d ':\n'` prints. */
  readonly hash: string;
  readonly username: string;
  readonly userID: string;
  readonly groups?: readonly string[];
}

/** The `config` of a `local` connector. */
export interface LocalConfig {
  readonly staticPasswords?: readonly StaticPassword[];
  /** The label of the login form's first field. Default "Email Address", as Dex. */
  readonly usernamePrompt?: string;
}

const nonEmpty = { type: "string", minLength: 1 } as const;

const schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    staticPasswords: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["email", "hash", "username", "userID"],
        properties: {
          email: nonEmpty,
          hash: { type: "string", pattern: "^\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$", description: "a bcrypt hash ($2a$, $2b$ or $2y$)" },
          username: nonEmpty,
          userID: nonEmpty,
          groups: { type: "array", items: nonEmpty, uniqueItems: true },
        },
      },
    },
    usernamePrompt: nonEmpty,
  },
} as const;

/** Cost of the stand-in hash when config gives no hash to match. */
const DEFAULT_COST = 10;

function duplicateEmails(users: readonly StaticPassword[]): ConfigProblem[] {
  const seen = new Map<string, number>();
  const problems: ConfigProblem[] = [];
  users.forEach((u, i) => {
    const first = seen.get(u.email.toLowerCase());
    if (first === undefined) seen.set(u.email.toLowerCase(), i);
    else problems.push({ path: `staticPasswords[${i}].email`, message: `the same email as staticPasswords[${first}]` });
  });
  return problems;
}

/**
 * Finds the entry for `email`: static users first (they override stored ones,
 * as Dex's static passwords do), then the store. A store failure is a
 * `storage_unavailable` KubewardError.
 */
async function lookup(statics: ReadonlyMap<string, PasswordEntry>, store: PasswordStore | undefined, email: string): Promise<PasswordEntry | undefined> {
  const fixed = statics.get(email.toLowerCase());
  if (fixed !== undefined || store === undefined) return fixed;
  try {
    return await store.getPassword(email);
  } catch (e) {
    if (isKubewardError(e)) throw e;
    throw new KubewardError("storage_unavailable", `local connector: reading password entry: ${String(e)}`, { cause: e });
  }
}

function identityOf(entry: PasswordEntry, scopes: Scopes): Identity {
  return {
    userID: entry.userID,
    username: entry.username,
    preferredUsername: entry.username,
    email: entry.email,
    emailVerified: true,
    groups: scopes.groups ? [...entry.groups] : [],
  };
}

/**
 * Opens a local connector. An unknown email costs one bcrypt comparison
 * against a stand-in hash of the same cost as the users' hashes, so the time
 * a login takes does not tell which emails exist.
 */
export async function openLocalConnector(id: string, name: string, config: LocalConfig, deps: ConnectorDeps): Promise<PasswordConnector & RefreshConnector> {
  const users = config.staticPasswords ?? [];
  const problems = duplicateEmails(users);
  if (problems.length > 0) throw new ConfigError(problems);
  const statics = new Map(users.map((u) => [u.email.toLowerCase(), { ...u, groups: [...(u.groups ?? [])] }]));
  const cost = Math.max(0, ...users.map((u) => bcrypt.getRounds(u.hash))) || DEFAULT_COST;
  const dummyHash = await bcrypt.hash(crypto.randomUUID(), cost);
  const store = deps.passwords;
  const log = deps.logger.child({ connector: id });
  return {
    id,
    type: "local",
    name,
    usernamePrompt: config.usernamePrompt ?? "Email Address",
    async login(scopes, email, password) {
      const entry = await lookup(statics, store, email);
      const matches = await bcrypt.compare(password, entry?.hash ?? dummyHash);
      log.info({ user: email, ok: entry !== undefined && matches }, "local login");
      return entry !== undefined && matches ? identityOf(entry, scopes) : undefined;
    },
    async refresh(scopes, identity) {
      const entry = identity.email === undefined ? undefined : await lookup(statics, store, identity.email);
      if (entry === undefined || entry.userID !== identity.userID) {
        throw new KubewardError("connector_refused", `local connector: user ${identity.userID} no longer exists`);
      }
      return identityOf(entry, scopes);
    },
    close: () => Promise.resolve(),
  };
}

/** The registry entry for `local`. */
export const localConnectorType: ConnectorType<LocalConfig> = { schema, open: openLocalConnector };
