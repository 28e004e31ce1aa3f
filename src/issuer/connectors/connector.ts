/**
 * The connector seam: how the issuer gets an identity from an upstream
 * (local passwords, LDAP, an OIDC provider, SAML, GitHub…). As in Dex, each
 * capability is a small interface, and the issuer discovers them with the
 * type guards below. Every connector passes test/conformance/connector.ts.
 */
import type { Clock } from "../../clock.ts";
import type { Logger } from "../../log/logger.ts";
import type { PasswordStore } from "../storage/storage.ts";

/** What the client asked for, as far as a connector needs to know. */
export interface Scopes {
  /** `offline_access` was requested: the connector should keep what it needs to refresh. */
  readonly offlineAccess: boolean;
  /** `groups` was requested: the connector should fetch group memberships. */
  readonly groups: boolean;
}

/** The identity an upstream vouched for. */
export interface Identity {
  /** Stable, unique id within the connector; becomes part of the `sub` claim. */
  readonly userID: string;
  readonly username: string;
  readonly preferredUsername?: string;
  readonly email?: string;
  readonly emailVerified?: boolean;
  readonly groups: readonly string[];
  /**
   * Opaque JSON the connector needs to refresh this identity later (an
   * upstream refresh token, a DN…). Stored encrypted at rest by the issuer;
   * never logged, never put in a token.
   */
  readonly connectorData?: unknown;
}

/** Common to every connector. */
export interface ConnectorBase {
  /** The connector's id from config (`connectors[].id`); unique. */
  readonly id: string;
  /** The registry type (`local`, `oidc`, `ldap`…). */
  readonly type: string;
  /** Shown on the login page's connector choice. */
  readonly name: string;
  /** Releases sockets and timers. */
  close(): Promise<void>;
}

/** Logs in with a username and password typed into kubeward's own form. */
export interface PasswordConnector extends ConnectorBase {
  /** The label of the username field ("Email address", "Username"). */
  readonly usernamePrompt: string;
  /**
   * Checks the credentials. Resolves `undefined` for wrong credentials (the
   * login page says so); rejects with a KubewardError when the upstream fails.
   */
  login(scopes: Scopes, username: string, password: string): Promise<Identity | undefined>;
}

/** What a callback connector keeps between the redirect and the callback. */
export type CallbackState = Readonly<Record<string, string>>;

/** Logs in by redirecting the browser to the upstream and handling its callback. */
export interface CallbackConnector extends ConnectorBase {
  /**
   * The upstream URL to send the browser to. `state` is kubeward's opaque
   * value and must come back in the callback; the returned `saved` values
   * (PKCE verifier, nonce) are handed back to {@link handleCallback}.
   */
  loginURL(scopes: Scopes, callbackURL: string, state: string): Promise<{ readonly url: string; readonly saved: CallbackState }>;
  /**
   * Turns the upstream's callback request into an identity, or rejects with a
   * KubewardError. `form` is the body the upstream had the browser POST to
   * the callback (SAML's HTTP-POST binding); absent for a GET callback.
   */
  handleCallback(scopes: Scopes, callbackURL: string, request: URL, saved: CallbackState, form?: URLSearchParams): Promise<Identity>;
}

/** Re-checks an identity when a refresh token is used (user still exists, current groups). */
export interface RefreshConnector {
  /** Resolves the current identity, or rejects with a KubewardError when the user may no longer log in. */
  refresh(scopes: Scopes, identity: Identity): Promise<Identity>;
}

export type Connector = PasswordConnector | CallbackConnector;

export function isPasswordConnector(c: ConnectorBase): c is PasswordConnector {
  return typeof (c as Partial<PasswordConnector>).login === "function";
}

export function isCallbackConnector(c: ConnectorBase): c is CallbackConnector {
  return typeof (c as Partial<CallbackConnector>).loginURL === "function"
    && typeof (c as Partial<CallbackConnector>).handleCallback === "function";
}

export function isRefreshConnector(c: ConnectorBase): c is ConnectorBase & RefreshConnector {
  return typeof (c as Partial<RefreshConnector>).refresh === "function";
}

/** What every connector factory receives besides its own config. */
export interface ConnectorDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** fetch for HTTP upstreams (tests inject one trusting their CA). */
  readonly fetch: typeof globalThis.fetch;
  /**
   * The issuer's stored password entries, for the `local` connector (Dex's
   * password DB). Absent: the local connector has only its static users.
   */
  readonly passwords?: PasswordStore;
}

/**
 * One registry entry: a JSON Schema for the connector's `config` (strict;
 * errors name the field) and a factory. The registry is a plain
 * `Record<type, ConnectorType>` in registry.ts.
 */
export interface ConnectorType<C = unknown> {
  readonly schema: object;
  open(id: string, name: string, config: C, deps: ConnectorDeps): Promise<Connector>;
}
