/**
 * The `ldap` connector's config: Dex's field names and meanings, its strict
 * JSON Schema, and the checks a schema cannot express (field combinations,
 * a readable root CA).
 */
import { ConfigError, Problems } from "../../../config/errors.ts";
import { parseCertificates, readSettingFile } from "../../../config/pem.ts";

/** Search scope: the whole subtree under the base DN, or its direct children only. */
export type LdapScope = "sub" | "one";

/** How a user entry is found and read. */
export interface LdapUserSearch {
  /** Where users are searched, e.g. `ou=People,dc=example,dc=org`. */
  readonly baseDN: string;
  /** Extra filter ANDed with the username match, e.g. `(objectClass=person)`. */
  readonly filter?: string;
  /** The attribute the typed username is matched against (`uid`, `mail`, `sAMAccountName`). */
  readonly username: string;
  /** The attribute holding the stable user id (`uid`, `objectGUID`), or `DN` for the entry's DN. */
  readonly idAttr: string;
  /** The attribute holding the email; needed unless `emailSuffix` is set. */
  readonly emailAttr?: string;
  /** The attribute holding the display name; default: the value of `username`. */
  readonly nameAttr?: string;
  /** The attribute holding the preferred username. */
  readonly preferredUsernameAttr?: string;
  /** When set, the email is `<name>@<emailSuffix>` (Dex's behaviour). */
  readonly emailSuffix?: string;
  /** Default `sub`. */
  readonly scope?: LdapScope;
}

/** Which user attribute a group entry names its members with. */
export interface LdapUserMatcher {
  /** A user attribute, or `DN` for the user's DN. */
  readonly userAttr: string;
  /** The group attribute listing members (`member`, `memberUid`). */
  readonly groupAttr: string;
}

/** How a user's groups are found. */
export interface LdapGroupSearch {
  readonly baseDN: string;
  /** Extra filter ANDed with the membership match, e.g. `(objectClass=groupOfNames)`. */
  readonly filter?: string;
  readonly userMatchers: readonly LdapUserMatcher[];
  /** The group attribute used as the group's name (`cn`). */
  readonly nameAttr: string;
  /** Default `sub`. */
  readonly scope?: LdapScope;
  /**
   * kubeward: also report groups the user is in through other groups.
   * `inChain` asks the server (Active Directory's LDAP_MATCHING_RULE_IN_CHAIN,
   * one search); `search` follows group-in-group membership with further
   * searches (any server, OpenLDAP included). Default: direct membership only.
   */
  readonly nestedGroups?: "inChain" | "search";
}

/** The `config` of an `ldap` connector. */
export interface LdapConfig {
  /** `host:port`; without a port, 389 with `insecureNoSSL` or `startTLS`, else 636. */
  readonly host: string;
  /** Plain LDAP, no TLS at all (passwords cross the network in clear). Default false. */
  readonly insecureNoSSL?: boolean;
  /** Do not verify the server's certificate. Default false. */
  readonly insecureSkipVerify?: boolean;
  /** Connect on plain LDAP and upgrade with StartTLS. Default false: LDAPS. */
  readonly startTLS?: boolean;
  /** A PEM file with the CA that signed the server's certificate. */
  readonly rootCA?: string;
  /** The same as base64 of PEM (Dex's form) or PEM text. */
  readonly rootCAData?: string;
  /** The service account that searches users and groups; absent: anonymous searches. */
  readonly bindDN?: string;
  readonly bindPW?: string;
  /** The label of the username field. Default `Username`. */
  readonly usernamePrompt?: string;
  readonly userSearch: LdapUserSearch;
  readonly groupSearch?: LdapGroupSearch;
}

const nonEmpty = { type: "string", minLength: 1 } as const;
const scope = { type: "string", enum: ["sub", "one"], description: "sub or one" } as const;
const attr = { type: "string", pattern: "^(DN|[A-Za-z][A-Za-z0-9-]*|[0-9]+(\\.[0-9]+)*)$", description: "an attribute name (or DN)" } as const;
const filter = { type: "string", pattern: "^\\(.*\\)$", description: "an LDAP filter in parentheses" } as const;

/** The JSON Schema of {@link LdapConfig}; unknown fields are refused. */
export const ldapConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["host", "userSearch"],
  properties: {
    host: { type: "string", pattern: "^[^/:\\s]+(:[0-9]{1,5})?$|^\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?$", description: "host or host:port (no scheme)" },
    insecureNoSSL: { type: "boolean" },
    insecureSkipVerify: { type: "boolean" },
    startTLS: { type: "boolean" },
    rootCA: nonEmpty,
    rootCAData: nonEmpty,
    bindDN: nonEmpty,
    bindPW: nonEmpty,
    usernamePrompt: nonEmpty,
    userSearch: {
      type: "object",
      additionalProperties: false,
      required: ["baseDN", "username", "idAttr"],
      properties: {
        baseDN: nonEmpty, filter, username: attr, idAttr: attr, emailAttr: attr, nameAttr: attr,
        preferredUsernameAttr: attr, emailSuffix: { type: "string", pattern: "^[^@\\s]+$", description: "a domain without @" }, scope,
      },
    },
    groupSearch: {
      type: "object",
      additionalProperties: false,
      required: ["baseDN", "userMatchers", "nameAttr"],
      properties: {
        baseDN: nonEmpty, filter, nameAttr: attr, scope,
        userMatchers: {
          type: "array", minItems: 1,
          items: { type: "object", additionalProperties: false, required: ["userAttr", "groupAttr"], properties: { userAttr: attr, groupAttr: attr } },
        },
        nestedGroups: { type: "string", enum: ["inChain", "search"], description: "inChain or search" },
      },
    },
  },
} as const;

/** What the connector needs besides the config: where to connect and how to trust it. */
export interface LdapTarget {
  readonly url: string;
  readonly hostname: string;
  readonly startTLS: boolean;
  /** PEM bundle, or undefined for the system roots. */
  readonly caPem?: string;
}

function parseHost(host: string, defaultPort: number): { hostname: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::([0-9]+))?$/.exec(host);
  const hostname = m?.[1] ?? host;
  return { hostname: hostname.replace(/^\[|\]$/g, ""), port: m?.[2] === undefined ? defaultPort : Number(m[2]) };
}

function combinationProblems(config: LdapConfig, problems: Problems): void {
  if (config.insecureNoSSL === true && config.startTLS === true) problems.add("startTLS", "cannot be combined with insecureNoSSL: true (which turns TLS off)");
  if (config.rootCA !== undefined && config.rootCAData !== undefined) problems.add("rootCAData", "give either rootCA or rootCAData, not both");
  if ((config.bindDN === undefined) !== (config.bindPW === undefined)) problems.add(config.bindDN === undefined ? "bindDN" : "bindPW", "bindDN and bindPW go together");
  if (config.userSearch.emailAttr === undefined && config.userSearch.emailSuffix === undefined) problems.add("userSearch.emailAttr", "required (or set userSearch.emailSuffix)");
  const gs = config.groupSearch;
  if (gs?.nestedGroups !== undefined && !gs.userMatchers.some((m) => m.userAttr === "DN")) {
    problems.add("groupSearch.nestedGroups", "needs a userMatchers entry with userAttr: DN (groups name their member groups by DN)");
  }
}

async function caPem(config: LdapConfig, problems: Problems): Promise<string | undefined> {
  let pem: string | undefined;
  let path = "rootCA";
  if (config.rootCA !== undefined) pem = await readSettingFile({ value: config.rootCA, path }, problems);
  if (config.rootCAData !== undefined) {
    path = "rootCAData";
    const data = config.rootCAData;
    pem = data.includes("-----BEGIN") ? data : Buffer.from(data, "base64").toString("utf8");
  }
  return pem !== undefined && parseCertificates(pem, path, problems) ? pem : undefined;
}

/**
 * Checks what the schema cannot and works out where to connect.
 *
 * @throws {@link ConfigError} with paths relative to the connector's `config`.
 */
export async function checkLdapConfig(config: LdapConfig): Promise<LdapTarget> {
  const problems = new Problems();
  combinationProblems(config, problems);
  const pem = await caPem(config, problems);
  if (!problems.empty) throw new ConfigError(problems.list);
  const plain = config.insecureNoSSL === true || config.startTLS === true;
  const { hostname, port } = parseHost(config.host, plain ? 389 : 636);
  const urlHost = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    url: `${plain ? "ldap" : "ldaps"}://${urlHost}:${port}`,
    hostname,
    startTLS: config.startTLS === true && config.insecureNoSSL !== true,
    ...(pem !== undefined ? { caPem: pem } : {}),
  };
}
