/**
 * The embedded issuer's settings, as the config layer will produce them
 * (validated and frozen there), and the defaults every optional field takes.
 */

/** One OAuth client the issuer serves. */
export interface IssuerClientConfig {
  /** The `client_id`. */
  readonly id: string;
  /** The client secret; absent for a public client (kubectl), which must use PKCE. Stored only as a bcrypt hash. */
  readonly secret?: string;
  /** Exact redirect URIs; loopback `http://127.0.0.1|[::1]|localhost` ones match on any port (RFC 8252 §7.3). */
  readonly redirectURIs: readonly string[];
  /** Shown on the login and approval pages. */
  readonly name: string;
  /** Client ids that may mint tokens whose audience is this client (`audience:server:client_id:<this id>`). */
  readonly trustedPeers?: readonly string[];
  /** Skip the approval screen for this client. Default false. */
  readonly skipApproval?: boolean;
  /** May use `grant_type=password` (needs {@link IssuerConfig.passwordConnector}). Default false. */
  readonly passwordGrant?: boolean;
  /** May use `client_credentials` (confidential clients only). Default false. */
  readonly clientCredentials?: boolean;
}

/** The login pages' look. */
export interface IssuerTheme {
  /** Product name in the title and header. Default "kubeward". */
  readonly name?: string;
  /** An https (or data:) URL of a logo image; its origin is added to the CSP's img-src. */
  readonly logoURL?: string;
  /** Accent colour, a CSS hex colour. Default "#2457c5". */
  readonly primaryColor?: string;
  /** Page background, a CSS hex colour. Default "#f4f6fa". */
  readonly backgroundColor?: string;
}

/** Everything the embedded issuer is configured with. Durations are milliseconds. */
export interface IssuerConfig {
  /** The issuer URL (`iss`); https except on loopback. */
  readonly issuerURL: string;
  readonly clients: readonly IssuerClientConfig[];
  /** ID and access token lifetime. Default 10 min. */
  readonly idTokenTtlMs?: number;
  /** A refresh token unused this long dies. Default 7 days. */
  readonly refreshIdleTtlMs?: number;
  /** A refresh family dies this long after the login, used or not. Default 30 days. */
  readonly refreshAbsoluteTtlMs?: number;
  /** An old refresh token presented again within this window gets a fresh rotation instead of counting as theft. Default 2 s. */
  readonly refreshReuseGraceMs?: number;
  /** Signing algorithm of new keys. Default RS256. */
  readonly signingAlg?: "RS256" | "ES256";
  /** How long a key signs before the next one takes over. Default 24 h. */
  readonly keyRotationPeriodMs?: number;
  /** How long a device code is valid. Default 10 min. */
  readonly deviceCodeTtlMs?: number;
  /** The polling interval announced to device clients; faster polls get `slow_down`. Default 5 s. */
  readonly devicePollIntervalMs?: number;
  /** The connector `grant_type=password` logs in with; the password grant is off when absent. */
  readonly passwordConnector?: string;
  /**
   * Secrets, newest first, that sign the issuer's cookies and CSRF tokens and
   * seal connector data at rest. Random per process when absent: logins in
   * progress then end on restart, and refresh connectors lose their data.
   */
  readonly secretKeys?: readonly string[];
  /** The `mock` development connector may be configured. Default false. */
  readonly allowMockConnector?: boolean;
  readonly theme?: IssuerTheme;
}

/** {@link IssuerConfig} with every default applied. */
export interface ResolvedIssuerConfig {
  readonly issuerURL: string;
  readonly clients: readonly IssuerClientConfig[];
  readonly idTokenTtlMs: number;
  readonly refreshIdleTtlMs: number;
  readonly refreshAbsoluteTtlMs: number;
  readonly refreshReuseGraceMs: number;
  readonly signingAlg: "RS256" | "ES256";
  readonly keyRotationPeriodMs: number;
  readonly deviceCodeTtlMs: number;
  readonly devicePollIntervalMs: number;
  readonly passwordConnector: string | undefined;
  readonly secretKeys: readonly string[] | undefined;
  readonly allowMockConnector: boolean;
  readonly theme: Required<Omit<IssuerTheme, "logoURL">> & { readonly logoURL: string | undefined };
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Applies the defaults; the issuer URL loses any trailing slash. */
export function resolveIssuerConfig(c: IssuerConfig): ResolvedIssuerConfig {
  return {
    issuerURL: c.issuerURL.replace(/\/+$/, ""),
    clients: c.clients,
    idTokenTtlMs: c.idTokenTtlMs ?? 10 * MINUTE,
    refreshIdleTtlMs: c.refreshIdleTtlMs ?? 7 * DAY,
    refreshAbsoluteTtlMs: c.refreshAbsoluteTtlMs ?? 30 * DAY,
    refreshReuseGraceMs: c.refreshReuseGraceMs ?? 2_000,
    signingAlg: c.signingAlg ?? "RS256",
    keyRotationPeriodMs: c.keyRotationPeriodMs ?? DAY,
    deviceCodeTtlMs: c.deviceCodeTtlMs ?? 10 * MINUTE,
    devicePollIntervalMs: c.devicePollIntervalMs ?? 5_000,
    passwordConnector: c.passwordConnector,
    secretKeys: c.secretKeys,
    allowMockConnector: c.allowMockConnector ?? false,
    theme: {
      name: c.theme?.name ?? "kubeward",
      logoURL: c.theme?.logoURL,
      primaryColor: c.theme?.primaryColor ?? "#2457c5",
      backgroundColor: c.theme?.backgroundColor ?? "#f4f6fa",
    },
  };
}
