/**
 * The `oidc` connector's config: Dex's field names where the meaning is the
 * same, its JSON Schema, and the checks a schema cannot express (field
 * combinations, readable root CAs).
 */
import { ConfigError, Problems } from "../../../config/errors.ts";
import { parseCertificates, readSettingFile } from "../../../config/pem.ts";

/** Claim names used when the standard ones are absent (or always, with `overrideClaimMapping`). */
export interface ClaimMapping {
  /** Default `preferred_username`. */
  readonly preferred_username?: string;
  /** Default `email`. */
  readonly email?: string;
  /** Default `groups`. */
  readonly groups?: string;
}

/** The `config` of an `oidc` connector. */
export interface OidcConfig {
  /** The upstream's issuer URL (https); discovery is read from it and must name it. */
  readonly issuer: string;
  readonly clientID: string;
  readonly clientSecret: string;
  /** kubeward's callback URL as registered upstream. Default: the callback URL the issuer passes. */
  readonly redirectURI?: string;
  /** Send the client secret in the form body instead of HTTP Basic. Default false. */
  readonly basicAuthUnsupported?: boolean;
  /** Scopes besides `openid`. Default `profile`, `email`. */
  readonly scopes?: readonly string[];
  /** Accept emails the upstream has not verified. Default false: they are refused. */
  readonly insecureSkipEmailVerified?: boolean;
  /** Read groups from the upstream's claims. Default false (as Dex: groups are not trusted unless asked). */
  readonly insecureEnableGroups?: boolean;
  /** Also read claims from the userinfo endpoint. Default false. */
  readonly getUserInfo?: boolean;
  /** Claim holding the stable user id. Default `sub`. */
  readonly userIDKey?: string;
  /** Claim holding the user name. Default `name`. */
  readonly userNameKey?: string;
  /** Use `claimMapping` even when the standard claim is present. Default false. */
  readonly overrideClaimMapping?: boolean;
  readonly claimMapping?: ClaimMapping;
  /** Only members of at least one of these upstream groups may log in (needs `insecureEnableGroups`). */
  readonly allowedGroups?: readonly string[];
  /** kubeward's keep-list: only these upstream groups are passed on; the rest are dropped (needs `insecureEnableGroups`). */
  readonly keepGroups?: readonly string[];
  /** CA certificates for the upstream's TLS: PEM file paths, PEM text, or base64 of PEM (as Dex). Default: system roots. */
  readonly rootCAs?: readonly string[];
  /** The `prompt` sent upstream. Default `consent` (needed for refresh tokens at many providers); "" sends none. */
  readonly promptType?: string;
  /** Google: only users of these hosted domains (`hd` claim) may log in. */
  readonly hostedDomains?: readonly string[];
}

const nonEmpty = { type: "string", minLength: 1 } as const;
const names = { type: "array", items: nonEmpty, uniqueItems: true } as const;

/** Strict JSON Schema of {@link OidcConfig}. */
export const oidcConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["issuer", "clientID", "clientSecret"],
  properties: {
    issuer: { type: "string", pattern: "^https://[^?#]+$", description: "an https URL without query or fragment" },
    clientID: nonEmpty,
    clientSecret: nonEmpty,
    redirectURI: { type: "string", pattern: "^https?://[^#]+$", description: "an http(s) URL" },
    basicAuthUnsupported: { type: "boolean" },
    scopes: names,
    insecureSkipEmailVerified: { type: "boolean" },
    insecureEnableGroups: { type: "boolean" },
    getUserInfo: { type: "boolean" },
    userIDKey: nonEmpty,
    userNameKey: nonEmpty,
    overrideClaimMapping: { type: "boolean" },
    claimMapping: {
      type: "object",
      additionalProperties: false,
      properties: { preferred_username: nonEmpty, email: nonEmpty, groups: nonEmpty },
    },
    allowedGroups: { ...names, minItems: 1 },
    keepGroups: { ...names, minItems: 1 },
    rootCAs: { type: "array", items: nonEmpty, minItems: 1 },
    promptType: { type: "string" },
    hostedDomains: { ...names, minItems: 1 },
  },
} as const;

/** One `rootCAs` entry as PEM: inline PEM, a file, or base64 of PEM. */
async function rootCaPem(entry: string, path: string, problems: Problems): Promise<string | undefined> {
  if (entry.includes("-----BEGIN")) return entry;
  const decoded = Buffer.from(entry, "base64").toString("utf8");
  if (/^[A-Za-z0-9+/=\s]+$/.test(entry) && decoded.includes("-----BEGIN")) return decoded;
  return readSettingFile({ value: entry, path }, problems);
}

/**
 * Checks what the schema cannot and reads `rootCAs`.
 *
 * @returns the CA bundle (PEM) for the upstream's TLS, or undefined for system roots.
 * @throws {@link ConfigError} with paths relative to the connector's `config`.
 */
export async function checkOidcConfig(config: OidcConfig): Promise<string | undefined> {
  const problems = new Problems();
  for (const field of ["allowedGroups", "keepGroups"] as const) {
    if (config[field] !== undefined && config.insecureEnableGroups !== true) {
      problems.add(field, "needs insecureEnableGroups: true (groups are only read from the upstream when enabled)");
    }
  }
  const pems: string[] = [];
  for (const [i, entry] of (config.rootCAs ?? []).entries()) {
    const pem = await rootCaPem(entry, `rootCAs[${i}]`, problems);
    if (pem !== undefined && parseCertificates(pem, `rootCAs[${i}]`, problems)) pems.push(pem);
  }
  if (!problems.empty) throw new ConfigError(problems.list);
  return pems.length > 0 ? pems.join("\n") : undefined;
}
