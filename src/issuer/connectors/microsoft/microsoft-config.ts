/**
 * The `microsoft` connector's config (Microsoft Entra ID, formerly Azure AD,
 * and personal Microsoft accounts): Dex's field names and meanings, its
 * strict JSON Schema, and the checks a schema cannot express.
 */
import { ConfigError, Problems } from "../../../config/errors.ts";
import { clientFields, names, nonEmpty } from "../oauth2-common/schema-parts.ts";

/** The `config` of a `microsoft` connector. */
export interface MicrosoftConfig {
  readonly clientID: string;
  readonly clientSecret: string;
  /** kubeward's callback URL as registered in the app registration. Default: the issuer's callback URL. */
  readonly redirectURI?: string;
  /** `common` (default), `organizations`, `consumers`, or one tenant's id or domain. Groups need a tenant id or domain. */
  readonly tenant?: string;
  /** Only members of at least one of these groups (names or ids, per `groupNameFormat`) may log in. */
  readonly groups?: readonly string[];
  /** Pass on only the `groups` listed. Default false: all of the user's groups. */
  readonly useGroupsAsWhitelist?: boolean;
  /** Only security groups (not Microsoft 365 groups). Default false. */
  readonly onlySecurityGroups?: boolean;
  /** `name` (display name, default) or `id` (object id). */
  readonly groupNameFormat?: "name" | "id";
  /** Lower-case the email. Default false. */
  readonly emailToLowercase?: boolean;
  /** The `prompt` sent to Microsoft (`login`, `consent`, `select_account`…). Default: none. */
  readonly promptType?: string;
  /** The `domain_hint` sent to Microsoft. */
  readonly domainHint?: string;
  /** Scopes instead of `user.read` (plus `directory.read.all` for groups, `offline_access` for refresh). */
  readonly scopes?: readonly string[];
  /** The identity platform's base URL (national clouds). Default `https://login.microsoftonline.com`. */
  readonly apiURL?: string;
  /** Microsoft Graph's base URL (national clouds). Default `https://graph.microsoft.com`. */
  readonly graphURL?: string;
}

const base = { type: "string", pattern: "^https://[^?#]+[^/?#]$", description: "an https URL without trailing slash, query or fragment" } as const;

/** Strict JSON Schema of {@link MicrosoftConfig}. */
export const microsoftConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["clientID", "clientSecret"],
  properties: {
    ...clientFields,
    tenant: { type: "string", pattern: "^[A-Za-z0-9.-]+$", description: "common, organizations, consumers, a tenant id or a domain" },
    groups: names,
    useGroupsAsWhitelist: { type: "boolean" },
    onlySecurityGroups: { type: "boolean" },
    groupNameFormat: { type: "string", enum: ["name", "id"] },
    emailToLowercase: { type: "boolean" },
    promptType: { type: "string" },
    domainHint: nonEmpty,
    scopes: names,
    apiURL: base,
    graphURL: base,
  },
} as const;

/** Tenants that span organizations: group memberships cannot be read there. */
export const MULTI_TENANTS: readonly string[] = ["common", "organizations", "consumers"];

/**
 * Checks what the schema cannot.
 *
 * @throws {@link ConfigError} with paths relative to the connector's `config`.
 */
export function checkMicrosoftConfig(config: MicrosoftConfig): void {
  const problems = new Problems();
  const tenant = config.tenant ?? "common";
  if (config.groups !== undefined && MULTI_TENANTS.includes(tenant)) {
    problems.add("groups", `needs tenant set to your tenant's id or domain (groups cannot be read with tenant ${tenant})`);
  }
  if (config.useGroupsAsWhitelist === true && config.groups === undefined) problems.add("useGroupsAsWhitelist", "needs groups (the list to keep)");
  if (!problems.empty) throw new ConfigError(problems.list);
}
