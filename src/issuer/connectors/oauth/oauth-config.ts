/**
 * The generic `oauth` connector's config: Dex's field names and meanings,
 * its strict JSON Schema, and the checks a schema cannot express.
 */
import { ConfigError, Problems } from "../../../config/errors.ts";
import { readRootCAs } from "../oauth2-common/root-cas.ts";
import { clientFields, httpURL as url, names, nonEmpty } from "../oauth2-common/schema-parts.ts";

/** Where in the userinfo JSON each identity field is; dot-separated paths reach nested objects (`data.user.name`). */
export interface OAuthClaimMapping {
  /** Default `user_name`. */
  readonly userNameKey?: string;
  /** Default `preferred_username`. */
  readonly preferredUsernameKey?: string;
  /** Default `groups`. */
  readonly groupsKey?: string;
  /** Default `email`. */
  readonly emailKey?: string;
  /** Default `email_verified`. */
  readonly emailVerifiedKey?: string;
}

/** The `config` of an `oauth` connector. */
export interface OAuthConfig {
  readonly authorizationURL: string;
  readonly tokenURL: string;
  readonly userInfoURL: string;
  readonly clientID: string;
  readonly clientSecret: string;
  /** kubeward's callback URL as registered upstream. Default: the issuer's callback URL. */
  readonly redirectURI?: string;
  /** Scopes to ask for. Default none. */
  readonly scopes?: readonly string[];
  /** CA certificates for the upstream's TLS: PEM file paths, PEM text, or base64 of PEM. */
  readonly rootCAs?: readonly string[];
  /** Do not verify the upstream's TLS certificate (development only). */
  readonly insecureSkipVerify?: boolean;
  /** Path of the user id in the userinfo JSON. Default `id`. */
  readonly userIDKey?: string;
  readonly claimMapping?: OAuthClaimMapping;
  /** kubeward: only members of at least one of these groups may log in. */
  readonly allowedGroups?: readonly string[];
  /** kubeward: pass on only these groups. */
  readonly keepGroups?: readonly string[];
}

/** Strict JSON Schema of {@link OAuthConfig}. */
export const oauthConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["authorizationURL", "tokenURL", "userInfoURL", "clientID", "clientSecret"],
  properties: {
    authorizationURL: url,
    tokenURL: url,
    userInfoURL: url,
    ...clientFields,
    scopes: { ...names, minItems: 0 },
    rootCAs: names,
    insecureSkipVerify: { type: "boolean" },
    userIDKey: nonEmpty,
    claimMapping: {
      type: "object",
      additionalProperties: false,
      properties: { userNameKey: nonEmpty, preferredUsernameKey: nonEmpty, groupsKey: nonEmpty, emailKey: nonEmpty, emailVerifiedKey: nonEmpty },
    },
    allowedGroups: names,
    keepGroups: names,
  },
} as const;

/**
 * Checks what the schema cannot and reads `rootCAs`.
 *
 * @returns the CA bundle (PEM), or undefined for the system roots.
 * @throws {@link ConfigError} with paths relative to the connector's `config`.
 */
export async function checkOAuthConfig(config: OAuthConfig): Promise<string | undefined> {
  const problems = new Problems();
  if (config.insecureSkipVerify === true && config.rootCAs !== undefined) problems.add("insecureSkipVerify", "cannot be combined with rootCAs (nothing would be verified against them)");
  const pem = await readRootCAs(config.rootCAs ?? [], "rootCAs", problems);
  if (!problems.empty) throw new ConfigError(problems.list);
  return pem;
}
