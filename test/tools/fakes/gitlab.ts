/**
 * A wire-faithful fake of GitLab's OAuth2 provider (Doorkeeper: /oauth/authorize,
 * /oauth/token with its error bodies, /oauth/userinfo with the groups and
 * role claims) and of GET /api/v4/user with its scope checks, on gitlab.com
 * or under a self-hosted relative URL root.
 */
import type { ServerResponse } from "node:http";
import { bearer, followAuthorize, json, startFakeHttps, type FakeHttps, type FakeRequest } from "./fake-https.ts";
import { OAuthAuthority, isOAuthError, type IssuedTokens, type OAuthError } from "./oauth-authority.ts";

export type GitLabRole = "guest" | "reporter" | "developer" | "maintainer" | "owner";
export interface GitLabUser {
  readonly id: number;
  readonly username: string;
  readonly name: string;
  readonly email: string;
  readonly state?: "active" | "blocked" | "deactivated";
  readonly groups: readonly { readonly path: string; readonly role: GitLabRole }[];
}

export interface FakeGitLab {
  readonly https: FakeHttps;
  readonly authority: OAuthAuthority;
  setUser(user: GitLabUser): void;
  removeUser(username: string): void;
  signIn(url: string, username: string, options?: { deny?: boolean }): Promise<URL>;
  close(): Promise<void>;
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  invalid_grant: "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
  invalid_client: "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
};

function tokenAnswer(res: ServerResponse, t: IssuedTokens | OAuthError, now: number): void {
  if (isOAuthError(t)) return json(res, t.error === "invalid_client" ? 401 : 400, { error: t.error, error_description: DESCRIPTIONS[t.error] ?? t.description });
  json(res, 200, { access_token: t.access_token, token_type: "Bearer", expires_in: t.expires_in, refresh_token: t.refresh_token, scope: t.scope, created_at: Math.floor(now / 1000) }, { "cache-control": "no-store" });
}

const has = (scope: string, ...wanted: string[]) => scope.split(" ").some((s) => wanted.includes(s));

function userinfo(u: GitLabUser): Record<string, unknown> {
  const byRole = (role: GitLabRole) => u.groups.filter((g) => g.role === role).map((g) => g.path);
  return {
    sub: String(u.id), sub_legacy: `legacy-${u.id}`, name: u.name, nickname: u.username, preferred_username: u.username, email: u.email, email_verified: true,
    website: "", profile: `https://gitlab.com/${u.username}`, picture: "", groups: u.groups.map((g) => g.path),
    "https://gitlab.org/claims/groups/owner": byRole("owner"), "https://gitlab.org/claims/groups/maintainer": byRole("maintainer"), "https://gitlab.org/claims/groups/developer": byRole("developer"),
  };
}

/** The bearer-protected endpoints: 401 for a bad token, 403 for a missing scope, as GitLab answers. */
function protectedEndpoint(req: FakeRequest, res: ServerResponse, path: string, authority: OAuthAuthority, users: Map<string, GitLabUser>): void {
  const grant = authority.grantOf(bearer(req));
  const user = grant === undefined ? undefined : users.get(grant.user);
  const insufficient = (scope: string) => json(res, 403, { error: "insufficient_scope", error_description: "The request requires higher privileges than provided by the access token.", scope });
  if (path === "/oauth/userinfo") {
    if (grant === undefined || user === undefined) {
      res.writeHead(401, { "www-authenticate": 'Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"' });
      res.end();
      return;
    }
    return has(grant.scope, "openid") ? json(res, 200, userinfo(user)) : insufficient("openid");
  }
  if (grant === undefined || user === undefined) return json(res, 401, { message: "401 Unauthorized" });
  if (!has(grant.scope, "read_user", "api", "read_api")) return insufficient("api read_user");
  json(res, 200, { id: user.id, username: user.username, name: user.name, state: user.state ?? "active", email: user.email, web_url: `https://gitlab.com/${user.username}`, is_admin: false });
}

/** Starts the fake; `root` is a self-hosted instance's relative URL root (`/gitlab`), "" for gitlab.com. */
export async function startFakeGitLab(client: { clientID: string; clientSecret: string; redirectURI: string }, root = ""): Promise<FakeGitLab> {
  const authority = new OAuthAuthority({ ...client, tokenPrefix: "glo", refreshTokens: true, accessTokenSeconds: 7200 });
  const users = new Map<string, GitLabUser>();
  const https = await startFakeHttps((req, res) => {
    if (!req.path.startsWith(`${root}/`)) return json(res, 404, { message: "404 Not Found" });
    const path = req.path.slice(root.length);
    if (path === "/oauth/authorize") {
      const username = /(?:^|;\s*)_gitlab_session=([^;]+)/.exec(String(req.headers.cookie ?? ""))?.[1];
      if (username === undefined || !users.has(username)) { res.writeHead(302, { location: `https://${req.host}${root}/users/sign_in` }); res.end(); return; }
      const back = authority.authorize(req.query, username, req.query.get("deny") === "1");
      if (isOAuthError(back) || req.query.get("response_type") !== "code") { res.writeHead(400, { "content-type": "text/html" }); res.end("<h1>An error has occurred</h1>"); return; }
      if (back.searchParams.has("error")) back.searchParams.set("error_description", "The resource owner or authorization server denied the request.");
      res.writeHead(302, { location: back.href });
      res.end();
      return;
    }
    if (path === "/oauth/token" && req.method === "POST") {
      const form = new URLSearchParams(req.body);
      const refused = authority.clientError(req, form);
      return tokenAnswer(res, refused ?? (form.get("grant_type") === "refresh_token" ? authority.redeemRefresh(form) : authority.redeemCode(form)), Date.now());
    }
    if (path === "/oauth/userinfo" || path === "/api/v4/user") return protectedEndpoint(req, res, path, authority, users);
    json(res, 404, { message: "404 Not Found" });
  }, ["gitlab.com"]);
  return {
    https, authority,
    setUser: (u) => void users.set(u.username, u),
    removeUser: (username) => { users.delete(username); authority.revokeUser(username); },
    signIn: async (url, username, o = {}) => {
      const back = await followAuthorize(https, o.deny === true ? `${url}&deny=1` : url, `_gitlab_session=${username}`);
      if (back.pathname.endsWith("/users/sign_in")) throw new Error(`${username} is not a GitLab user here`);
      return back;
    },
    close: () => https.close(),
  };
}
