/**
 * The typed, validated configuration kubeward runs on. Flags and config files
 * both produce these objects (src/config/load.ts); nothing downstream parses
 * raw input again.
 */

/** One trusted OIDC issuer, with claim mapping already resolved to kube-apiserver's rules. */
export interface OidcIssuerConfig {
  /** Exact `iss` value; https. */
  readonly issuerUrl: string;
  /** Where discovery is fetched from when it differs from the issuer URL. */
  readonly discoveryUrl?: string;
  /** `aud` must contain at least one of these (MatchAny). */
  readonly audiences: readonly string[];
  /** PEM bundle trusted for the issuer's TLS; system roots when absent. */
  readonly caPem?: string;
  readonly usernameClaim: string;
  /**
   * The literal prefix put before the username. The flag rules
   * (`issuer#` default unless the claim is `email`, `-` meaning none) are
   * already applied by the config layer.
   */
  readonly usernamePrefix: string;
  readonly groupsClaim?: string;
  readonly groupsPrefix: string;
  /** Claim that becomes the Kubernetes uid, when set. */
  readonly uidClaim?: string;
  /** Allowed JWS algorithms (RS/ES/PS 256/384/512). */
  readonly signingAlgs: readonly string[];
  /** Claims that must be present and equal (string values). */
  readonly requiredClaims: Readonly<Record<string, string>>;
}

/** How to reach kube-apiserver and with which credentials. */
export interface UpstreamConfig {
  /** Base URL of kube-apiserver, e.g. https://10.0.0.1:6443. */
  readonly server: string;
  readonly caPem?: string;
  /** Client certificate and key (PEM) the proxy presents. */
  readonly certPem?: string;
  readonly keyPem?: string;
  /** The files certPem and keyPem were read from, when both came from files: re-read as they are renewed. */
  readonly clientCertFiles?: { readonly certFile: string; readonly keyFile: string };
  /** A bearer token the proxy presents (or a file re-read as it rotates). */
  readonly token?: string;
  readonly tokenFile?: string;
  readonly insecureSkipTlsVerify: boolean;
  /** TLS server name to verify, when it differs from the URL's host. */
  readonly tlsServerName?: string;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface ProxyConfig {
  readonly oidc: readonly OidcIssuerConfig[];
  readonly upstream: UpstreamConfig;
  /** Where the authenticating proxy listens (HTTPS, HTTP/1.1 and HTTP/2). */
  readonly listen: ListenAddress;
  readonly tlsCertFile: string;
  readonly tlsPrivateKeyFile: string;
  /** Prometheus /metrics (plain HTTP); disabled when absent. */
  readonly metricsListen?: ListenAddress;
  /** Plain-HTTP readiness probe answering GET /ready; disabled when absent. */
  readonly readinessProbePort?: number;
  /** How often buffered response bytes are flushed; 0 or less means immediately. */
  readonly flushIntervalMs: number;
  /** Static extras added to every forwarded identity (--extra-user-headers). */
  readonly extraUserHeaders: Readonly<Record<string, readonly string[]>>;
  /** Add the client's address as extra `remote-client-ip`. */
  readonly extraUserHeaderClientIp: boolean;
  /** Let tokens map to `system:` users and groups (refused by default). */
  readonly allowReservedIdentities: boolean;
  /** Longest wait for in-flight requests on SIGTERM before connections are cut. */
  readonly shutdownGracePeriodMs: number;
  /** Largest accepted request header block, in bytes. */
  readonly maxHeaderSize: number;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
  /** Revocations and blocks enforced from shared storage; absent: none (see docs/revocation.md). */
  readonly revocation?: RevocationConfig;
}

/** The `revocation` section, resolved. */
export interface RevocationConfig {
  /** The SQLite file revocations are kept in, shared with the issuer and other replicas on it; serve uses its own storage. */
  readonly sqliteFile?: string;
  readonly lockingMode: "failClosed" | "bestEffort";
  readonly staleAfterMs: number;
  readonly pollIntervalMs: number;
  /** The longest token lifetime any trusted issuer grants; revocations are kept this long. */
  readonly maxTokenAgeMs: number;
  /** The admin API; absent: no admin listener. */
  readonly admin?: AdminConfig;
}

/** Where the admin API listens and whom it accepts. */
export interface AdminConfig {
  readonly listen: ListenAddress;
  readonly tlsCertFile: string;
  readonly tlsPrivateKeyFile: string;
  /** Client certificates signed by this CA are operators. */
  readonly clientCaFile?: string;
  /** Bearer tokens (verified like the proxy's) whose groups include this one are operators. */
  readonly adminGroup?: string;
}
