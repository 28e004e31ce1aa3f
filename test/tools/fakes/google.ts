/**
 * A wire-faithful fake of Google's OAuth 2.0 and Workspace Admin SDK:
 * accounts.google.com's authorize (refresh tokens only with
 * access_type=offline), oauth2.googleapis.com/token (codes, refresh tokens,
 * and service account JWT assertions verified with the key's public half, as
 * RFC 7523 and domain-wide delegation work), the OpenID userinfo, and the
 * Directory API's groups list paged with pageToken/nextPageToken.
 */
import type { ServerResponse } from "node:http";
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { jwtVerify } from "jose";
import { bearer, followAuthorize, json, startFakeHttps, type FakeHttps, type FakeRequest } from "./fake-https.ts";
import { OAuthAuthority, isOAuthError, type IssuedTokens, type OAuthError } from "./oauth-authority.ts";

export interface GoogleUser { readonly sub: string; readonly email: string; readonly name: string; readonly hd?: string; readonly email_verified?: boolean }
export interface FakeGoogle {
  readonly https: FakeHttps;
  readonly authority: OAuthAuthority;
  setUser(user: GoogleUser): void;
  removeUser(email: string): void;
  /** Makes `member` (a user or a group email) a member of `groups`, replacing its memberships. */
  setMemberships(member: string, groups: readonly string[]): void;
  /** Makes `email` a Workspace admin whom service accounts may act as. */
  addAdmin(email: string): void;
  /** Creates a service account whose client id is delegated `scopes`; returns its JSON key as Google downloads it. */
  createServiceAccountKey(scopes: readonly string[]): Record<string, string>;
  signIn(url: string, email: string, options?: { deny?: boolean }): Promise<URL>;
  close(): Promise<void>;
}

const TOKEN_URI = "https://oauth2.googleapis.com/token";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const DIRECTORY_SCOPE = "https://www.googleapis.com/auth/admin.directory.group.readonly";
interface ServiceAccount { readonly email: string; readonly publicKey: KeyObject; readonly scopes: readonly string[] }

function apiError(res: ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, { error: { code, message, errors: [{ message, domain: "global", reason }] } });
}

function tokenAnswer(res: ServerResponse, t: IssuedTokens | OAuthError, offline: boolean): void {
  if (isOAuthError(t)) return json(res, t.error === "invalid_client" ? 401 : 400, { error: t.error, error_description: t.error === "invalid_client" ? "Unauthorized" : "Bad Request" });
  json(res, 200, { access_token: t.access_token, expires_in: t.expires_in, scope: t.scope, token_type: "Bearer", ...(offline && t.refresh_token !== undefined ? { refresh_token: t.refresh_token } : {}) });
}

/** Verifies a service account's JWT assertion: signature, issuer, audience, lifetime, delegated scope, known subject. */
async function assertionGrant(res: ServerResponse, form: URLSearchParams, accounts: Map<string, ServiceAccount>, users: Map<string, GoogleUser>, authority: OAuthAuthority): Promise<void> {
  const assertion = form.get("assertion") ?? "";
  const iss = String(JSON.parse(Buffer.from(assertion.split(".")[1] ?? "", "base64url").toString("utf8") || "{}").iss ?? "");
  const account = accounts.get(iss);
  if (account === undefined) return json(res, 400, { error: "invalid_grant", error_description: "Invalid grant: account not found" });
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(assertion, account.publicKey, { issuer: account.email, audience: TOKEN_URI, algorithms: ["RS256"], maxTokenAge: "1h" }));
  } catch {
    return json(res, 400, { error: "invalid_grant", error_description: "Invalid JWT Signature." });
  }
  const scopes = String(claims["scope"] ?? "").split(" ");
  if (!scopes.every((s) => account.scopes.includes(s))) return json(res, 401, { error: "unauthorized_client", error_description: "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested." });
  const subject = String(claims["sub"] ?? "");
  if (!users.has(subject)) return json(res, 400, { error: "invalid_grant", error_description: "Invalid email or User ID" });
  const issued = authority.issueFor(`sa:${subject}`, scopes.join(" "));
  json(res, 200, { access_token: issued.access_token, expires_in: 3599, token_type: "Bearer" });
}

/** GET admin/directory/v1/groups?userKey=…: the caller must act as an admin with the readonly groups scope. */
function directoryGroups(req: FakeRequest, res: ServerResponse, caller: string | undefined, admins: Set<string>, memberships: Map<string, readonly string[]>, pageSize: number): void {
  if (caller === undefined) return apiError(res, 401, "authError", "Invalid Credentials");
  if (!admins.has(caller)) return apiError(res, 403, "forbidden", "Not Authorized to access this resource/api");
  const userKey = req.query.get("userKey") ?? "";
  const groups = memberships.get(userKey);
  if (groups === undefined) return apiError(res, 404, "notFound", "Resource Not Found: userKey");
  const size = Math.min(Number(req.query.get("maxResults") ?? 200) || 200, 200, pageSize);
  const start = Number(req.query.get("pageToken") ?? 0);
  const page = groups.slice(start, start + size).map((g) => ({ kind: "admin#directory#group", id: g.length.toString(16), etag: '"e"', email: g, name: g.split("@")[0], directMembersCount: "1", adminCreated: true }));
  json(res, 200, { kind: "admin#directory#groups", etag: '"etag"', ...(page.length > 0 ? { groups: page } : {}), ...(start + size < groups.length ? { nextPageToken: String(start + size) } : {}) });
}

/** Starts the fake with one OAuth client; the Directory answers at most `directoryPageSize` groups a page (default 200). */
export async function startFakeGoogle(client: { clientID: string; clientSecret: string; redirectURI: string }, directoryPageSize = 200): Promise<FakeGoogle> {
  const authority = new OAuthAuthority({ ...client, tokenPrefix: "ya29.", refreshTokens: true, accessTokenSeconds: 3599 });
  const users = new Map<string, GoogleUser>();
  const memberships = new Map<string, readonly string[]>();
  const admins = new Set<string>();
  const accounts = new Map<string, ServiceAccount>();
  const offlineCodes = new Set<string>();
  const https = await startFakeHttps(async (req, res) => {
    if (req.host === "accounts.google.com" && req.path === "/o/oauth2/v2/auth") {
      const email = /(?:^|;\s*)SID=([^;]+)/.exec(String(req.headers.cookie ?? ""))?.[1];
      if (email === undefined || !users.has(email)) { res.writeHead(200, { "content-type": "text/html" }); res.end("<title>Sign in - Google Accounts</title>"); return; }
      const back = authority.authorize(req.query, email, req.query.get("deny") === "1");
      if (isOAuthError(back)) { res.writeHead(400, { "content-type": "text/html" }); res.end(`<title>Error 400: ${back.error}</title>`); return; }
      if (req.query.get("access_type") === "offline") offlineCodes.add(back.searchParams.get("code") ?? "");
      res.writeHead(302, { location: back.href });
      res.end();
      return;
    }
    if (req.host === "oauth2.googleapis.com" && req.path === "/token" && req.method === "POST") {
      const form = new URLSearchParams(req.body);
      if (form.get("grant_type") === JWT_BEARER) return assertionGrant(res, form, accounts, users, authority);
      const refused = authority.clientError(req, form);
      if (refused !== undefined) return tokenAnswer(res, refused, false);
      if (form.get("grant_type") === "refresh_token") return tokenAnswer(res, authority.redeemRefresh(form), true);
      return tokenAnswer(res, authority.redeemCode(form), offlineCodes.delete(form.get("code") ?? ""));
    }
    const grant = authority.grantOf(bearer(req));
    if (req.host === "openidconnect.googleapis.com" && req.path === "/v1/userinfo") {
      const user = grant === undefined ? undefined : users.get(grant.user);
      if (user === undefined) return json(res, 401, { error: "invalid_request", error_description: "Invalid Credentials" });
      return json(res, 200, { sub: user.sub, name: user.name, given_name: user.name.split(" ")[0], picture: "https://lh3.googleusercontent.com/a/x", email: user.email, email_verified: user.email_verified ?? true, ...(user.hd !== undefined ? { hd: user.hd } : {}) });
    }
    if (req.host === "admin.googleapis.com" && req.path === "/admin/directory/v1/groups") {
      const caller = grant?.user.startsWith("sa:") === true && grant.scope.split(" ").includes(DIRECTORY_SCOPE) ? grant.user.slice(3) : undefined;
      return directoryGroups(req, res, caller, admins, memberships, directoryPageSize);
    }
    apiError(res, 404, "notFound", "Not Found");
  }, ["accounts.google.com", "oauth2.googleapis.com", "openidconnect.googleapis.com", "admin.googleapis.com"]);
  return {
    https, authority,
    setUser: (u) => { users.set(u.email, u); if (!memberships.has(u.email)) memberships.set(u.email, []); },
    removeUser: (email) => { users.delete(email); memberships.delete(email); authority.revokeUser(email); },
    setMemberships: (member, groups) => { memberships.set(member, [...groups]); for (const g of groups) if (!memberships.has(g)) memberships.set(g, []); },
    addAdmin: (email) => void admins.add(email),
    createServiceAccountKey: (scopes) => {
      const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const email = `kubeward-groups-${randomBytes(3).toString("hex")}@kubeward-test.iam.gserviceaccount.com`;
      accounts.set(email, { email, publicKey, scopes });
      return {
        type: "service_account", project_id: "kubeward-test", private_key_id: randomBytes(20).toString("hex"),
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), client_email: email, client_id: String(100000000000000000000n + BigInt(accounts.size)),
        auth_uri: "https://accounts.google.com/o/oauth2/auth", token_uri: TOKEN_URI, auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
      };
    },
    signIn: (url, email, o = {}) => followAuthorize(https, o.deny === true ? `${url}&deny=1` : url, `SID=${email}`),
    close: () => https.close(),
  };
}
