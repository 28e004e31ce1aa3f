/**
 * The `github` connector's config: Dex's field names and meanings, its
 * strict JSON Schema, and the checks a schema cannot express.
 */
import { ConfigError, Problems } from "../../../config/errors.ts";
import { readRootCAs } from "../oauth2-common/root-cas.ts";
import { clientFields, names, nonEmpty } from "../oauth2-common/schema-parts.ts";

/** An organization whose members may log in; with `teams`, only members of those teams. */
export interface GitHubOrg {
  readonly name: string;
  readonly teams?: readonly string[];
}

/** The `config` of a `github` connector. */
export interface GitHubConfig {
  readonly clientID: string;
  readonly clientSecret: string;
  /** kubeward's callback URL as registered at GitHub. Default: the issuer's callback URL. */
  readonly redirectURI?: string;
  /** Only members of these orgs (and teams) may log in; their groups are `org` and `org:team`. */
  readonly orgs?: readonly GitHubOrg[];
  /** Without `orgs`: every org and team of the user becomes a group (when the client asks for groups). */
  readonly loadAllGroups?: boolean;
  /** Which team field names a group: `name` (default), `slug`, or `both` (one group for each). */
  readonly teamNameField?: "name" | "slug" | "both";
  /** The user id is the login instead of GitHub's numeric id. Default false. */
  readonly useLoginAsID?: boolean;
  /** GitHub Enterprise Server host (`github.example.com`, port allowed); default github.com. */
  readonly hostName?: string;
  /** CA certificate for the Enterprise host: a PEM file path, PEM text or base64 of PEM. */
  readonly rootCA?: string;
  /** Prefer a verified email in this domain (`example.com`, `*.example.com`) over the primary one. */
  readonly preferredEmailDomain?: string;
}

/** Strict JSON Schema of {@link GitHubConfig}. */
export const githubConfigSchema = {
  type: "object",
  additionalProperties: false,
  required: ["clientID", "clientSecret"],
  properties: {
    ...clientFields,
    orgs: {
      type: "array",
      minItems: 1,
      items: { type: "object", additionalProperties: false, required: ["name"], properties: { name: nonEmpty, teams: { ...names, minItems: 0 } } },
    },
    loadAllGroups: { type: "boolean" },
    teamNameField: { type: "string", enum: ["name", "slug", "both"] },
    useLoginAsID: { type: "boolean" },
    hostName: { type: "string", pattern: "^[A-Za-z0-9.-]+(:[0-9]{1,5})?$", description: "a host name, optionally with a port, without scheme or path" },
    rootCA: nonEmpty,
    preferredEmailDomain: { type: "string", pattern: "^(\\*\\.)?[A-Za-z0-9.-]+$", description: "a domain, optionally starting with *." },
  },
} as const;

/**
 * Checks what the schema cannot and reads `rootCA`.
 *
 * @returns the CA bundle (PEM) for the Enterprise host, or undefined.
 * @throws {@link ConfigError} with paths relative to the connector's `config`.
 */
export async function checkGitHubConfig(config: GitHubConfig): Promise<string | undefined> {
  const problems = new Problems();
  if (config.rootCA !== undefined && config.hostName === undefined) problems.add("rootCA", "needs hostName (a CA is only used for a GitHub Enterprise host)");
  if (config.orgs !== undefined && config.loadAllGroups === true) problems.add("loadAllGroups", "cannot be combined with orgs (orgs already decides the groups)");
  const pem = config.rootCA === undefined ? undefined : await readRootCAs([config.rootCA], "rootCA", problems);
  if (!problems.empty) throw new ConfigError(problems.list);
  return pem;
}
