/** The one-line messages `kubeward login` and `kubeward logout` print on stderr for each failure. */
import { CATALOGUE, type KubewardError } from "../errors.ts";

/** What a message may mention besides the error. */
export interface MessageContext {
  readonly issuerUrl: string;
  /** The --authentication-timeout as the user wrote it (or the default). */
  readonly timeout: string;
}

/**
 * The line (without the `kubeward login: ` prefix) a user reads for `e`.
 *
 * @example
 * ```ts
 * describeLoginError(new KubewardError("issuer_unavailable", "ECONNREFUSED"), ctx)
 * // "cannot reach the issuer https://idp.example (ECONNREFUSED)"
 * ```
 */
export function describeLoginError(e: KubewardError, ctx: MessageContext): string {
  const detail = e.detail === undefined || e.detail === "" ? "" : ` (${e.detail})`;
  switch (e.code) {
    case "issuer_unavailable":
      return `cannot reach the issuer ${ctx.issuerUrl}${detail}`;
    case "issuer_untrusted_certificate":
      return `the TLS certificate of the issuer ${ctx.issuerUrl} is not trusted${detail}; give its CA with --certificate-authority`;
    case "issuer_invalid":
      return `${ctx.issuerUrl} did not answer as an OIDC issuer${detail}; check --oidc-issuer-url`;
    case "login_timeout":
      return `the login did not finish within ${ctx.timeout}${detail}; try again or raise --authentication-timeout`;
    case "login_denied":
      return `the login was denied at the issuer${detail}`;
    case "login_failed":
      return `the issuer refused the login${detail}`;
    case "login_needs_terminal":
      return `${CATALOGUE[e.code].summary}${detail}`;
    default:
      return `${e.message}${detail}`;
  }
}
