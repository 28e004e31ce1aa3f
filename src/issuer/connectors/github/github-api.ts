/**
 * The GitHub REST calls a login needs: the user, their verified email, and
 * their orgs and teams as groups (`org`, `org:team`), following `Link` pages.
 */
import { KubewardError } from "../../../errors.ts";
import { getAllPages, getJSON, send, statusError, type UpstreamHttp } from "../oauth2-common/upstream-http.ts";
import type { GitHubConfig, GitHubOrg } from "./github-config.ts";

/** GitHub asks every client to name itself, the media type and the API version. */
const HEADERS = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28", "user-agent": "kubeward" };
const PER_PAGE = "?per_page=100";

export interface GitHubUser { readonly login: string; readonly id: number; readonly name: string | null; readonly email: string | null }
interface Email { readonly email: string; readonly primary: boolean; readonly verified: boolean }
interface Team { readonly name: string; readonly slug: string; readonly organization: { readonly login: string } }

/** Calls the API at `base` (`https://api.github.com` or `https://<host>/api/v3`) with one user's token. */
export class GitHubApi {
  readonly #http: UpstreamHttp;
  readonly #base: string;
  readonly #token: string;

  constructor(http: UpstreamHttp, base: string, token: string) {
    this.#http = http;
    this.#base = base;
    this.#token = token;
  }

  async user(): Promise<GitHubUser> {
    const { body } = await getJSON<GitHubUser>(this.#http, "github", `${this.#base}/user`, this.#token, HEADERS);
    if (typeof body.login !== "string" || typeof body.id !== "number") throw new KubewardError("connector_unavailable", "github: GET /user answered without login or id");
    return body;
  }

  emails(): Promise<Email[]> {
    return getAllPages<Email>(this.#http, "github", `${this.#base}/user/emails${PER_PAGE}`, this.#token, HEADERS);
  }

  teams(): Promise<Team[]> {
    return getAllPages<Team>(this.#http, "github", `${this.#base}/user/teams${PER_PAGE}`, this.#token, HEADERS);
  }

  async orgs(): Promise<string[]> {
    return (await getAllPages<{ login: string }>(this.#http, "github", `${this.#base}/user/orgs${PER_PAGE}`, this.#token, HEADERS)).map((o) => o.login);
  }

  /** 204: a member; 302 or 404: not a member (or the app may not read the org). */
  async inOrg(org: string, login: string): Promise<boolean> {
    const url = `${this.#base}/orgs/${encodeURIComponent(org)}/members/${encodeURIComponent(login)}`;
    const res = await send(this.#http, "github", url, { redirect: "manual", headers: { ...HEADERS, authorization: `Bearer ${this.#token}` } });
    if (res.status === 204) return true;
    if (res.status === 302 || res.status === 404) return false;
    throw await statusError("github", `GET /orgs/${org}/members/${login}`, res);
  }
}

function inDomain(email: string, domain: string): boolean {
  const host = email.slice(email.lastIndexOf("@") + 1).toLowerCase();
  const want = domain.toLowerCase();
  return want.startsWith("*.") ? host.endsWith(want.slice(1)) : host === want;
}

/**
 * The email to report: the public one from /user unless a preferred domain
 * is set; otherwise a verified email in that domain, else the verified
 * primary one. Enterprise Server has no email verification, so its emails
 * count as verified (as in Dex).
 */
export async function userEmail(api: GitHubApi, user: GitHubUser, config: GitHubConfig): Promise<string> {
  const preferred = config.preferredEmailDomain;
  if (user.email !== null && user.email !== "" && (preferred === undefined || inDomain(user.email, preferred))) return user.email;
  const emails = (await api.emails()).map((e) => (config.hostName !== undefined ? { ...e, verified: true } : e)).filter((e) => e.verified);
  const chosen = (preferred !== undefined ? emails.find((e) => inDomain(e.email, preferred)) : undefined) ?? emails.find((e) => e.primary);
  if (chosen === undefined) throw new KubewardError("connector_refused", `github: ${user.login} has no verified primary email`);
  return chosen.email;
}

function teamNames(team: Team, field: GitHubConfig["teamNameField"]): string[] {
  if (field === "slug") return [team.slug];
  if (field === "both") return team.name === team.slug ? [team.name] : [team.name, team.slug];
  return [team.name];
}

/** `org:team` for each of `teams` in `org`, named by `field`. */
function orgTeams(teams: readonly Team[], org: string, field: GitHubConfig["teamNameField"]): string[] {
  return teams.filter((t) => t.organization.login === org).flatMap((t) => teamNames(t, field));
}

/**
 * Groups under `orgs`: for each configured org the user is in, the org and
 * all its teams (no `teams` listed) or only the listed teams.
 *
 * @throws KubewardError `connector_refused` when the user is in none of them.
 */
export async function groupsForOrgs(api: GitHubApi, login: string, orgs: readonly GitHubOrg[], field: GitHubConfig["teamNameField"]): Promise<string[]> {
  const groups: string[] = [];
  let teams: Team[] | undefined;
  for (const org of orgs) {
    if (!(await api.inOrg(org.name, login))) continue;
    teams ??= await api.teams();
    const names = orgTeams(teams, org.name, field);
    const wanted = org.teams === undefined || org.teams.length === 0 ? [org.name, ...names.map((n) => `${org.name}:${n}`)]
      : names.filter((n) => org.teams?.includes(n)).map((n) => `${org.name}:${n}`);
    groups.push(...wanted);
  }
  if (groups.length === 0) throw new KubewardError("connector_refused", `github: ${login} is not in the required orgs or teams`);
  return [...new Set(groups)];
}

/** Every org of the user and every `org:team` (loadAllGroups). */
export async function allGroups(api: GitHubApi, field: GitHubConfig["teamNameField"]): Promise<string[]> {
  const [orgs, teams] = await Promise.all([api.orgs(), api.teams()]);
  const groups = orgs.flatMap((org) => [org, ...orgTeams(teams, org, field).map((n) => `${org}:${n}`)]);
  return [...new Set(groups)];
}
