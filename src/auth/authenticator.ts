/**
 * The token authenticator seam: turns a bearer token into a Kubernetes
 * identity. Every implementation passes test/conformance/authenticator.ts.
 */

/** A Kubernetes identity, as kube-apiserver's user.Info carries it. */
export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  /** Extra keys are lowercase; values keep their order. */
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

/** A successfully authenticated token. */
export interface Authentication {
  readonly user: UserInfo;
  /** The token's `exp`, in milliseconds since the epoch. */
  readonly expiresAt: number;
  /** The token's `iat` in milliseconds since the epoch, when present. */
  readonly issuedAt?: number;
  /** The issuer URL that vouched for this identity. */
  readonly issuer: string;
}

/**
 * Authenticates bearer tokens. A refused token rejects with a
 * `KubewardError` whose code says why (token_expired, token_unknown_key…).
 */
export interface TokenAuthenticator {
  authenticate(token: string): Promise<Authentication>;
  /** True once the authenticator can verify tokens (keys loaded). */
  ready(): boolean;
  /** Starts background work (discovery, key refresh). */
  start(): Promise<void>;
  /** Stops background work and timers. */
  close(): void;
}
