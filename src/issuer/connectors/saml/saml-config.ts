/**
 * The `saml` connector's config: Dex's field names and meanings, its strict
 * JSON Schema, and the checks a schema cannot express (the IdP certificate,
 * field combinations, the development-only signature switch).
 */
import { ConfigError, Problems } from "../../../config/errors.ts";
import { parseCertificates, readSettingFile } from "../../../config/pem.ts";

/** The `config` of a `saml` connector. */
export interface SamlConfig {
  /** The IdP's single sign-on URL (HTTP-Redirect binding). */
  readonly ssoURL: string;
  /** A PEM file with the IdP's signing certificate(s). */
  readonly ca?: string;
  /** The same as base64 of PEM (Dex's form) or PEM text. */
  readonly caData?: string;
  /** kubeward's SP entity id, sent as the AuthnRequest's Issuer and expected as the audience. Default: `redirectURI`. */
  readonly entityIssuer?: string;
  /** The IdP's entity id; when set, the assertion's Issuer must be it. */
  readonly ssoIssuer?: string;
  /** The assertion consumer service URL registered at the IdP. Default: the issuer's callback URL for this connector. */
  readonly redirectURI?: string;
  /** The attribute holding the username. */
  readonly usernameAttr: string;
  /** The attribute holding the email. */
  readonly emailAttr: string;
  /** The attribute holding the groups. */
  readonly groupsAttr?: string;
  /** Split a single groups value on this string (for IdPs that send `a,b,c`). */
  readonly groupsDelim?: string;
  /** Only members of one of these groups may log in (needs `groupsAttr`). */
  readonly allowedGroups?: readonly string[];
  /** Keep only the groups listed in `allowedGroups`. Default false. */
  readonly filterGroups?: boolean;
  /** The NameID format asked for: `persistent` (default), `transient`, `emailAddress`, `unspecified`, or a full URN. */
  readonly nameIDPolicyFormat?: string;
  /** Dex's switch to accept unsigned responses. Accepted in the schema so a Dex config reads, but `true` is refused: kubeward always checks signatures. */
  readonly insecureSkipSignatureValidation?: boolean;
  /** kubeward: clock difference tolerated with the IdP, e.g. `30s` (default) or `2m`. */
  readonly clockSkew?: string;
  /** kubeward: check that the IdP answers before sending the browser there (a clear error when it is down). Default true. */
  readonly checkIdPReachable?: boolean;
}

const nonEmpty = { type: "string", minLength: 1 } as const;
const url = { type: "string", pattern: "^https?://[^\\s#]+$", description: "an http(s) URL" } as const;

/** The JSON Schema of {@link SamlConfig}; unknown fields are refused. */
export const samlConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["ssoURL", "usernameAttr", "emailAttr"],
  properties: {
    ssoURL: url,
    ca: nonEmpty,
    caData: nonEmpty,
    entityIssuer: nonEmpty,
    ssoIssuer: nonEmpty,
    redirectURI: url,
    usernameAttr: nonEmpty,
    emailAttr: nonEmpty,
    groupsAttr: nonEmpty,
    groupsDelim: nonEmpty,
    allowedGroups: { type: "array", items: nonEmpty, minItems: 1, uniqueItems: true },
    filterGroups: { type: "boolean" },
    nameIDPolicyFormat: nonEmpty,
    insecureSkipSignatureValidation: { type: "boolean" },
    clockSkew: { type: "string", pattern: "^[0-9]+(ms|s|m)$", description: "a duration such as 30s or 2m" },
    checkIdPReachable: { type: "boolean" },
  },
} as const;

const NAME_ID_FORMATS: Readonly<Record<string, string>> = {
  persistent: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
  transient: "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
  emailAddress: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
  unspecified: "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
};

/** What the connector needs besides the config. */
export interface SamlSettings {
  /** The IdP's signing certificates, PEM each. */
  readonly idpCerts: readonly string[];
  /** The NameID format URN. */
  readonly nameIDFormat: string;
  readonly clockSkewMs: number;
}

function durationMs(text: string): number {
  const m = /^([0-9]+)(ms|s|m)$/.exec(text);
  const n = Number(m?.[1] ?? 0);
  return m?.[2] === "m" ? n * 60_000 : m?.[2] === "s" ? n * 1000 : n;
}

async function certificates(config: SamlConfig, problems: Problems): Promise<string[]> {
  let pem: string | undefined;
  let path = "ca";
  if (config.ca !== undefined) pem = await readSettingFile({ value: config.ca, path }, problems);
  if (config.caData !== undefined) {
    path = "caData";
    pem = config.caData.includes("-----BEGIN") ? config.caData : Buffer.from(config.caData, "base64").toString("utf8");
  }
  if (pem === undefined) return [];
  return (parseCertificates(pem, path, problems) ?? []).map((c) => c.toString());
}

/**
 * Checks what the schema cannot and reads the IdP certificate.
 *
 * @throws {@link ConfigError} with paths relative to the connector's `config`.
 */
export async function checkSamlConfig(config: SamlConfig): Promise<SamlSettings> {
  const problems = new Problems();
  if (config.ca !== undefined && config.caData !== undefined) problems.add("caData", "give either ca or caData, not both");
  if (config.ca === undefined && config.caData === undefined) problems.add("ca", "required: the IdP's signing certificate (or caData)");
  if (config.insecureSkipSignatureValidation === true) {
    problems.add("insecureSkipSignatureValidation", "is not supported: kubeward always checks the IdP's signature (an unsigned response would let anyone log in as anyone); give the IdP's certificate in ca or caData");
  }
  if (config.allowedGroups !== undefined && config.groupsAttr === undefined) problems.add("allowedGroups", "needs groupsAttr (where the groups are read from)");
  if (config.filterGroups === true && config.allowedGroups === undefined) problems.add("filterGroups", "needs allowedGroups (the groups to keep)");
  const idpCerts = await certificates(config, problems);
  if (!problems.empty) throw new ConfigError(problems.list);
  const format = config.nameIDPolicyFormat ?? "persistent";
  return { idpCerts, nameIDFormat: NAME_ID_FORMATS[format] ?? format, clockSkewMs: durationMs(config.clockSkew ?? "30s") };
}
