/**
 * The closed catalogue of kubeward error codes. Every failure the program can
 * report carries one of these codes; each wire format (Kubernetes Status,
 * OAuth error JSON, login page, CLI line) is produced from it in one place.
 */

/** Stable error codes. Adding one means adding it to {@link CATALOGUE}. */
export type ErrorCode = keyof typeof CATALOGUE;

interface Entry {
  /** HTTP status a client sees when this error ends an API request. */
  readonly status: number;
  /** A safe, user-facing summary; never carries internal detail. */
  readonly summary: string;
}

/**
 * The catalogue. `status` is what the API path answers; `summary` is what a
 * user may read. Internal detail goes to `KubewardError.detail`, which is
 * logged and never returned.
 */
export const CATALOGUE = {
  // Authentication: the reason a token was refused (logged; the client sees 401).
  token_missing: { status: 401, summary: "no bearer token was presented" },
  token_malformed: { status: 401, summary: "the token is not a well-formed JWT" },
  token_issuer_mismatch: { status: 401, summary: "the token was issued by an issuer this proxy does not trust" },
  token_audience_mismatch: { status: 401, summary: "the token's audience does not include the client id" },
  token_expired: { status: 401, summary: "the token has expired" },
  token_not_yet_valid: { status: 401, summary: "the token is not valid yet (nbf)" },
  token_alg_not_allowed: { status: 401, summary: "the token is signed with an algorithm that is not allowed" },
  token_signature_invalid: { status: 401, summary: "the token's signature does not verify" },
  token_unknown_key: { status: 401, summary: "the token is signed with a key the issuer does not publish" },
  token_claim_missing: { status: 401, summary: "a required claim is missing from the token" },
  token_claim_mismatch: { status: 401, summary: "a required claim has the wrong value" },
  token_claim_invalid: { status: 401, summary: "a claim used for the identity has the wrong type or is empty" },
  token_email_unverified: { status: 401, summary: "the token's email is not verified" },
  token_revoked: { status: 401, summary: "access for this identity has been revoked" },
  identity_blocked: { status: 401, summary: "this identity is blocked by an operator" },
  revocation_list_stale: { status: 503, summary: "the revocation list is not known to be current" },
  admin_unauthenticated: { status: 401, summary: "the admin API needs a client certificate or an admin token" },
  admin_forbidden: { status: 403, summary: "this identity may not use the admin API" },
  admin_not_found: { status: 404, summary: "no such revocation or block" },
  identity_reserved: { status: 401, summary: "the token maps to a reserved system: identity" },
  authenticator_not_ready: { status: 401, summary: "the authenticator has not loaded the issuer's keys yet" },
  // Authorization of client-requested impersonation.
  impersonation_forbidden: { status: 403, summary: "impersonation is not allowed for this user" },
  impersonation_invalid: { status: 400, summary: "the impersonation headers are not valid" },
  // Request shape.
  request_header_too_large: { status: 431, summary: "the request headers are too large" },
  request_invalid: { status: 400, summary: "the request is not valid" },
  // Upstream (kube-apiserver) problems.
  upstream_unavailable: { status: 503, summary: "the Kubernetes API server is not reachable" },
  upstream_error: { status: 502, summary: "the Kubernetes API server gave an invalid response" },
  upstream_timeout: { status: 504, summary: "the Kubernetes API server did not answer in time" },
  // Issuer discovery and keys.
  issuer_unavailable: { status: 503, summary: "the OIDC issuer is not reachable" },
  issuer_invalid: { status: 502, summary: "the OIDC issuer answered with an invalid document" },
  // Issuer storage.
  storage_conflict: { status: 409, summary: "an object with this id already exists" },
  storage_unavailable: { status: 503, summary: "the issuer's storage cannot be used" },
  // Issuer connectors (the upstream identity provider behind a login).
  connector_unavailable: { status: 503, summary: "the identity provider is not reachable" },
  connector_refused: { status: 403, summary: "the identity provider does not allow this login" },
  connector_callback_invalid: { status: 400, summary: "the identity provider's answer to the login is not valid" },
  // The login client (kubeward login, logout and kubeconfig).
  issuer_untrusted_certificate: { status: 502, summary: "the OIDC issuer's TLS certificate is not trusted" },
  login_timeout: { status: 408, summary: "the login did not finish in time" },
  login_denied: { status: 403, summary: "the login was denied at the issuer" },
  login_failed: { status: 401, summary: "the issuer refused the login" },
  login_needs_terminal: { status: 400, summary: "the login needs a terminal to ask for input" },
  // Process level.
  shutting_down: { status: 503, summary: "the proxy is shutting down" },
  config_invalid: { status: 500, summary: "the configuration is not valid" },
  internal: { status: 500, summary: "an internal error occurred" },
} as const satisfies Record<string, Entry>;

/** An error with a stable code, a safe message and an internal detail. */
export class KubewardError extends Error {
  readonly code: ErrorCode;
  /** Internal detail for logs only; never sent to a client. */
  readonly detail: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    super(CATALOGUE[code].summary, options);
    this.name = "KubewardError";
    this.code = code;
    this.detail = detail;
  }

  /** The HTTP status this error maps to on the API path. */
  get status(): number {
    return CATALOGUE[this.code].status;
  }
}

/** True when `e` is a {@link KubewardError}, optionally with one of `codes`. */
export function isKubewardError(e: unknown, ...codes: ErrorCode[]): e is KubewardError {
  return e instanceof KubewardError && (codes.length === 0 || codes.includes(e.code));
}
