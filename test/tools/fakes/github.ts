/**
 * A wire-faithful fake of GitHub (github.com and GitHub Enterprise Server
 * under /api/v3) as its public docs describe it: the OAuth web flow
 * (/login/oauth/authorize, /login/oauth/access_token answering form-encoded
 * or JSON by Accept, errors with HTTP 200), and the REST endpoints a login
 * needs, with scopes, User-Agent checks, `Link` pagination and errors.
 */
import type { ServerResponse } from "node:http";
import { bearer, followAuthorize, json, startFakeHttps, type FakeHttps, type FakeRequest } from "./fake-https.ts";
import { OAuthAuthority, isOAuthError, type AuthorityOptions, type IssuedTokens, type OAuthError } from "./oauth-authority.ts";

export interface GitHubEmail { readonly email: string; readonly primary: boolean; readonly verified: boolean; readonly visibility?: "public" | "private" | null }
export interface GitHubTeam { readonly org: string; readonly name: string; readonly slug: string }
export interface GitHubUser {
  readonly login: string;
  readonly id: number;
  readonly name: string | null;
  /** The public email shown by GET /user (null when private). */
  readonly email: string | null;
  readonly emails: readonly GitHubEmail[];
  readonly orgs: readonly string[];
  readonly teams: readonly GitHubTeam[];
}

export interface FakeGitHub {
  readonly https: FakeHttps;
  readonly authority: OAuthAuthority;
  /** `https://127.0.0.1:<port>`: the fake as a GitHub Enterprise Server (`hostName` is its host). */
  readonly origin: string;
  setUser(user: GitHubUser): void;
  /** How many API requests are left this hour (default 5000); at 0 GitHub answers 403 with X-RateLimit-Remaining: 0. */
  setRateLimitRemaining(remaining: number): void;
  /** Deletes the user and revokes their tokens. */
  removeUser(login: string): void;
  /** The browser, signed in as `login`, at the authorize URL; returns the callback URL GitHub redirects to. */
  signIn(url: string, login: string, options?: { deny?: boolean }): Promise<URL>;
  close(): Promise<void>;
}

const DOCS = "https://docs.github.com/rest";
const PUBLIC_HOSTS = ["github.com", "api.github.com"];

function message(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  json(res, status, { message: text, documentation_url: DOCS, status: String(status) }, headers);
}

/** The token endpoint's answer: JSON when asked for, else form-encoded (GitHub's default); errors with HTTP 200. */
function tokenAnswer(req: FakeRequest, res: ServerResponse, answer: IssuedTokens | OAuthError): void {
  const fields: Record<string, string> = isOAuthError(answer)
    ? { error: answer.error === "invalid_grant" ? "bad_verification_code" : answer.error === "invalid_client" ? "incorrect_client_credentials" : answer.error, error_description: answer.description, error_uri: "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors" }
    : { access_token: answer.access_token, scope: answer.scope.split(/[ ,]+/).filter(Boolean).join(","), token_type: "bearer",
        ...(answer.refresh_token !== undefined ? { refresh_token: answer.refresh_token, refresh_token_expires_in: "15811200" } : {}),
        ...(answer.expires_in !== undefined ? { expires_in: String(answer.expires_in) } : {}) };
  if (String(req.headers.accept ?? "").includes("application/json")) {
    json(res, 200, Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, /^\d+$/.test(v) ? Number(v) : v])));
  } else {
    res.writeHead(200, { "content-type": "application/x-www-form-urlencoded; charset=utf-8" });
    res.end(new URLSearchParams(fields).toString());
  }
}

/** Where this request's API lives: `https://api.github.com`, or `https://<host>/api/v3` on Enterprise Server. */
function apiBase(req: FakeRequest): string {
  return req.path.startsWith("/api/v3/") ? `https://${req.host}/api/v3` : "https://api.github.com";
}

/** One page of `items` with GitHub's `Link` header (per_page default 30, max 100). */
function paginated(req: FakeRequest, res: ServerResponse, items: readonly unknown[], scopes: string): void {
  const perPage = Math.min(Number(req.query.get("per_page") ?? 30) || 30, 100);
  const page = Math.max(Number(req.query.get("page") ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (p: number, rel: string) => {
    const u = new URL(apiBase(req) + req.path.replace(/^\/api\/v3/, ""));
    u.searchParams.set("per_page", String(perPage));
    u.searchParams.set("page", String(p));
    return `<${u.href}>; rel="${rel}"`;
  };
  const links = [...(page < last ? [link(page + 1, "next"), link(last, "last")] : []), ...(page > 1 ? [link(1, "first"), link(page - 1, "prev")] : [])];
  json(res, 200, items.slice((page - 1) * perPage, page * perPage), { "x-oauth-scopes": scopes, ...(links.length > 0 ? { link: links.join(", ") } : {}) });
}

function userJSON(u: GitHubUser, base: string): Record<string, unknown> {
  return { login: u.login, id: u.id, node_id: `U_${u.id}`, url: `${base}/users/${u.login}`, type: "User", site_admin: false, name: u.name, email: u.email };
}

function teamJSON(t: GitHubTeam, base: string): Record<string, unknown> {
  return { id: t.slug.length * 1000 + t.org.length, name: t.name, slug: t.slug, privacy: "closed", permission: "pull", url: `${base}/teams/${t.slug}`,
    organization: { login: t.org, id: t.org.length, url: `${base}/orgs/${t.org}` } };
}

const has = (scopes: string, ...wanted: string[]) => scopes.split(/[ ,]+/).some((s) => wanted.includes(s));

/** GET endpoints of the REST API, for an authenticated user with the token's scopes. */
function api(req: FakeRequest, res: ServerResponse, user: GitHubUser, scopes: string): void {
  const path = req.path.replace(/^\/api\/v3/, "");
  const base = apiBase(req);
  const commaScopes = scopes.split(/[ ,]+/).filter(Boolean).join(", ");
  const membership = /^\/orgs\/([^/]+)\/members\/([^/]+)$/.exec(path);
  if (path === "/user") return json(res, 200, userJSON(user, base), { "x-oauth-scopes": commaScopes });
  if (path === "/user/emails") {
    if (!has(scopes, "user", "user:email")) return message(res, 404, "Not Found");
    return paginated(req, res, user.emails.map((e) => ({ visibility: null, ...e })), commaScopes);
  }
  if (path === "/user/orgs") return paginated(req, res, has(scopes, "read:org", "user", "admin:org") ? user.orgs.map((o) => ({ login: o, id: o.length, url: `${base}/orgs/${o}` })) : [], commaScopes);
  if (path === "/user/teams") {
    if (!has(scopes, "read:org", "user", "repo")) return message(res, 403, "Resource not accessible by integration", { "x-accepted-oauth-scopes": "admin:org, read:org, repo, user, write:org" });
    return paginated(req, res, user.teams.map((t) => teamJSON(t, base)), commaScopes);
  }
  if (membership !== null) {
    // The requester is the user: a member sees 204; a non-member (or a token without read:org) is sent to the public list.
    if (user.orgs.includes(membership[1] ?? "") && has(scopes, "read:org", "user", "admin:org")) { res.writeHead(204); res.end(); return; }
    res.writeHead(302, { location: `${base}/orgs/${membership[1]}/public_members/${membership[2]}` });
    res.end();
    return;
  }
  message(res, 404, "Not Found");
}

/** Starts the fake; `options` registers the one OAuth app (a GitHub App with expiring tokens when `refreshTokens`). */
export async function startFakeGitHub(options: Omit<AuthorityOptions, "tokenPrefix" | "refreshTokens"> & { readonly expiringTokens?: boolean }): Promise<FakeGitHub> {
  const expiring = options.expiringTokens === true;
  const authority = new OAuthAuthority({ ...options, tokenPrefix: "gho_", refreshTokens: expiring, ...(expiring ? { accessTokenSeconds: 28800 } : {}) });
  const users = new Map<string, GitHubUser>();
  let remaining = 5000;
  const https = await startFakeHttps(async (req, res) => {
    const form = new URLSearchParams(req.body);
    if (req.path === "/login/oauth/authorize") {
      const login = /(?:^|;\s*)user_session=([^;]+)/.exec(String(req.headers.cookie ?? ""))?.[1];
      if (login === undefined || !users.has(login)) { res.writeHead(200, { "content-type": "text/html" }); res.end("<title>Sign in to GitHub</title>"); return; }
      const back = authority.authorize(req.query, login, req.query.get("deny") === "1");
      if (isOAuthError(back)) return message(res, 400, back.description);
      res.writeHead(302, { location: back.href });
      res.end();
      return;
    }
    if (req.path === "/login/oauth/access_token" && req.method === "POST") {
      const refused = authority.clientError(req, form);
      if (refused !== undefined) return tokenAnswer(req, res, refused);
      const grant = form.get("grant_type") === "refresh_token" ? authority.redeemRefresh(form) : authority.redeemCode(form);
      if (isOAuthError(grant) && form.get("grant_type") === "refresh_token") return tokenAnswer(req, res, { error: "bad_refresh_token", description: "The refresh token passed is incorrect or expired." });
      return tokenAnswer(req, res, grant);
    }
    if (req.headers["user-agent"] === undefined) return message(res, 403, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header");
    const version = req.headers["x-github-api-version"];
    if (version !== undefined && version !== "2022-11-28") return message(res, 400, `API version ${String(version)} is not supported.`);
    const grant = authority.grantOf(bearer(req));
    const user = grant === undefined ? undefined : users.get(grant.user);
    if (grant === undefined || user === undefined) return message(res, 401, "Bad credentials");
    const limits = { "x-ratelimit-limit": "5000", "x-ratelimit-remaining": String(Math.max(remaining - 1, 0)), "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600), "x-ratelimit-resource": "core" };
    if (remaining <= 0) return message(res, 403, `API rate limit exceeded for user ID ${user.id}.`, { ...limits, "x-ratelimit-remaining": "0" });
    remaining--;
    for (const [k, v] of Object.entries(limits)) res.setHeader(k, v);
    await Promise.resolve(api(req, res, user, grant.scope));
  }, PUBLIC_HOSTS);
  return {
    https, authority, origin: https.origin,
    setUser: (u) => void users.set(u.login, u),
    setRateLimitRemaining: (n) => { remaining = n; },
    removeUser: (login) => { users.delete(login); authority.revokeUser(login); },
    signIn: (url, login, o = {}) => followAuthorize(https, o.deny === true ? `${url}&deny=1` : url, `user_session=${login}`),
    close: () => https.close(),
  };
}
