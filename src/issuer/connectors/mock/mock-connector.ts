/**
 * The `mock` connector: fixed users with plain-text passwords from config,
 * for development and tests only (the registry refuses it unless allowed).
 */
import { timingSafeEqual, createHash } from "node:crypto";
import { KubewardError } from "../../../errors.ts";
import type { ConnectorDeps, ConnectorType, Identity, PasswordConnector, RefreshConnector, Scopes } from "../connector.ts";

/** One development user. */
export interface MockUser {
  readonly username: string;
  readonly password: string;
  readonly email: string;
  readonly groups?: readonly string[];
  /** Stable id; the username when absent. */
  readonly userID?: string;
}

/** The `config` of a `mock` connector. */
export interface MockConfig {
  readonly users: readonly MockUser[];
}

const nonEmpty = { type: "string", minLength: 1 } as const;

const schema = {
  type: "object",
  additionalProperties: false,
  required: ["users"],
  properties: {
    users: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["username", "password", "email"],
        properties: {
          username: nonEmpty,
          password: nonEmpty,
          email: nonEmpty,
          groups: { type: "array", items: nonEmpty, uniqueItems: true },
          userID: nonEmpty,
        },
      },
    },
  },
} as const;

/** Compares digests so the time taken does not depend on where two strings differ. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function identityOf(user: MockUser, scopes: Scopes): Identity {
  return {
    userID: user.userID ?? user.username,
    username: user.username,
    preferredUsername: user.username,
    email: user.email,
    emailVerified: true,
    groups: scopes.groups ? [...(user.groups ?? [])] : [],
  };
}

/**
 * Opens a mock connector. Users log in with their username or email; refresh
 * re-reads the user by id, so a user removed from config is refused.
 */
export function openMockConnector(id: string, name: string, config: MockConfig, deps: ConnectorDeps): Promise<PasswordConnector & RefreshConnector> {
  const users = config.users;
  const log = deps.logger.child({ connector: id });
  return Promise.resolve({
    id,
    type: "mock",
    name,
    usernamePrompt: "Username",
    login(scopes: Scopes, username: string, password: string) {
      const user = users.find((u) => u.username === username || u.email.toLowerCase() === username.toLowerCase());
      const matches = sameSecret(user?.password ?? "", password);
      log.debug({ user: username, ok: matches && user !== undefined }, "mock connector login");
      return Promise.resolve(user !== undefined && matches ? identityOf(user, scopes) : undefined);
    },
    refresh(scopes: Scopes, identity: Identity) {
      const user = users.find((u) => (u.userID ?? u.username) === identity.userID);
      if (user === undefined) return Promise.reject(new KubewardError("connector_refused", `mock user ${identity.userID} no longer exists`));
      return Promise.resolve(identityOf(user, scopes));
    },
    close: () => Promise.resolve(),
  });
}

/** The registry entry for `mock`. */
export const mockConnectorType: ConnectorType<MockConfig> = { schema, open: openMockConnector };
