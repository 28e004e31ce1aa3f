/**
 * Connectors for issuer tests, implementing the connector seam: a password
 * connector with fixed users whose groups a test can change or whose access it
 * can cut (refresh asks again), and a callback connector whose "upstream" is
 * a page of the test's own that redirects straight back.
 */
import { KubewardError } from "../../src/errors.ts";
import type { CallbackConnector, Identity, PasswordConnector, RefreshConnector, Scopes } from "../../src/issuer/connectors/connector.ts";

/** A user the fake password connector accepts. */
export interface FakeUser {
  readonly username: string;
  readonly password: string;
  readonly userID: string;
  readonly email?: string;
  groups: string[];
  /** When true, refresh refuses this user (as an upstream that deleted the account). */
  disabled?: boolean;
}

/** A password connector over `users`, with the test's handles on it. */
export interface FakePasswordConnector extends PasswordConnector, RefreshConnector {
  readonly users: FakeUser[];
  /** How many times login was called, wrong passwords included. */
  logins: number;
  /** Identities refresh was asked about, in order. */
  readonly refreshed: string[];
  /** The connectorData each refresh was handed back, in order. */
  readonly refreshedData: unknown[];
}

function identityOf(u: FakeUser, scopes: Scopes): Identity {
  return {
    userID: u.userID, username: u.username, preferredUsername: u.username,
    ...(u.email === undefined ? {} : { email: u.email, emailVerified: true }),
    groups: scopes.groups ? [...u.groups] : [],
    connectorData: { upstreamToken: `upstream-${u.userID}` },
  };
}

/** A password connector accepting `users` (usernames compared exactly). */
export function fakePasswordConnector(id: string, users: FakeUser[], name = "Example Directory"): FakePasswordConnector {
  const c: FakePasswordConnector = {
    id, type: "fake-password", name, usernamePrompt: "Email or username", users, logins: 0, refreshed: [], refreshedData: [],
    async login(scopes, username, password) {
      c.logins += 1;
      const u = users.find((x) => x.username === username || x.email === username);
      return u !== undefined && u.password === password ? identityOf(u, scopes) : undefined;
    },
    async refresh(scopes, identity) {
      c.refreshed.push(identity.userID);
      c.refreshedData.push(identity.connectorData);
      const u = users.find((x) => x.userID === identity.userID);
      if (u === undefined || u.disabled === true) throw new KubewardError("token_revoked", `user ${identity.userID} may no longer log in`);
      return identityOf(u, scopes);
    },
    async close() {},
  };
  return c;
}

/**
 * A callback connector that sends the browser to `upstreamURL?state=…&callback=…`
 * and accepts `code=good` back in the query or in a posted form.
 */
export function fakeCallbackConnector(id: string, upstreamURL: string, user: FakeUser, name = "Example SSO"): CallbackConnector {
  return {
    id, type: "fake-callback", name,
    async loginURL(_scopes, callbackURL, state) {
      const url = new URL(upstreamURL);
      url.searchParams.set("state", state);
      url.searchParams.set("callback", callbackURL);
      return { url: url.href, saved: { nonce: "n-" + state.slice(0, 8) } };
    },
    async handleCallback(scopes, _callbackURL, request, saved, form) {
      const code = form?.get("code") ?? request.searchParams.get("code");
      if (code !== "good" || saved.nonce === undefined) throw new KubewardError("request_invalid", "upstream refused");
      return identityOf(user, scopes);
    },
    async close() {},
  };
}
