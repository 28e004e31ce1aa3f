/**
 * The issuer's Prometheus metrics. Labels come from closed sets: connector ids
 * and client ids from config, grant types, results. Never a user name.
 */
import { Counter, type Registry } from "prom-client";

/** Counters the issuer updates; a no-op set when no registry is given. */
export interface IssuerMetrics {
  /** A login attempt at a connector ended: `success`, `failure` (wrong credentials) or `error`. */
  login(connector: string, result: "success" | "failure" | "error"): void;
  /** The token endpoint issued tokens for `grantType`. */
  tokenIssued(grantType: string): void;
  /** An already-rotated refresh token was presented after the grace window. */
  refreshReuse(): void;
}

const GRANT_TYPES = new Set([
  "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code",
  "client_credentials", "password", "urn:ietf:params:oauth:grant-type:token-exchange",
]);

/**
 * Registers the issuer's counters on `registry`, or returns a no-op set.
 * `connectors` bounds the connector label: any other id is counted as "other".
 */
export function createIssuerMetrics(registry: Registry | undefined, connectors: readonly string[]): IssuerMetrics {
  if (registry === undefined) return { login() {}, tokenIssued() {}, refreshReuse() {} };
  const registers = [registry];
  const logins = new Counter({ name: "kubeward_issuer_logins_total", help: "Login attempts at the embedded issuer by connector id and result (success, failure, error).", labelNames: ["connector", "result"], registers });
  const tokens = new Counter({ name: "kubeward_issuer_tokens_issued_total", help: "Token responses of the embedded issuer by grant type.", labelNames: ["grant_type"], registers });
  const reuse = new Counter({ name: "kubeward_issuer_refresh_reuse_detected_total", help: "Rotated refresh tokens presented again after the grace window; each revokes its whole family.", registers });
  const known = new Set(connectors);
  return {
    login: (connector, result) => logins.inc({ connector: known.has(connector) ? connector : "other", result }),
    tokenIssued: (grantType) => tokens.inc({ grant_type: GRANT_TYPES.has(grantType) ? grantType : "other" }),
    refreshReuse: () => reuse.inc(),
  };
}
