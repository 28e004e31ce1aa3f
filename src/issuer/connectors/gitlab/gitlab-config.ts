/** The `gitlab` connector's config: Dex's field names and meanings, and its strict JSON Schema. */
import { clientFields, names } from "../oauth2-common/schema-parts.ts";

/** The `config` of a `gitlab` connector. */
export interface GitLabConfig {
  /** The GitLab instance, e.g. `https://gitlab.example.com` or `https://example.com/gitlab`. Default `https://gitlab.com`. */
  readonly baseURL?: string;
  readonly clientID: string;
  readonly clientSecret: string;
  /** kubeward's callback URL as registered in the GitLab application. Default: the issuer's callback URL. */
  readonly redirectURI?: string;
  /** Only members of at least one of these groups (full paths) may log in, and only these are passed on. */
  readonly groups?: readonly string[];
  /** The user id is the username instead of GitLab's numeric id. Default false. */
  readonly useLoginAsID?: boolean;
  /** Also pass on `group:owner`, `group:maintainer`, `group:developer` for the user's role in each group. Default false. */
  readonly getGroupsPermission?: boolean;
}

/** Strict JSON Schema of {@link GitLabConfig}. */
export const gitlabConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["clientID", "clientSecret"],
  properties: {
    baseURL: { type: "string", pattern: "^https?://[^?#]*[^/?#]$", description: "an http(s) URL without trailing slash, query or fragment" },
    ...clientFields,
    groups: names,
    useLoginAsID: { type: "boolean" },
    getGroupsPermission: { type: "boolean" },
  },
} as const;
