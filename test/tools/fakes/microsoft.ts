/**
 * A wire-faithful fake of the Microsoft identity platform (v2.0 endpoints per
 * tenant, AADSTS error bodies, refresh tokens only with offline_access, RS256
 * ID tokens with a `groups` claim or the overage markers) and of the Microsoft
 * Graph calls a login needs (/me with $select, transitiveMemberOf paged with
 * @odata.nextLink, Graph error bodies).
 */
import type { ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { SignJWT, generateKeyPair } from "jose";
import { bearer, followAuthorize, json, startFakeHttps, type FakeHttps, type FakeRequest } from "./fake-https.ts";
import { OAuthAuthority, isOAuthError, type IssuedTokens, type OAuthError } from "./oauth-authority.ts";

export interface EntraGroup { readonly id: string; readonly displayName: string; readonly securityEnabled: boolean }
export interface EntraUser {
  readonly oid: string;
  readonly displayName: string;
  readonly mail: string | null;
  readonly userPrincipalName: string;
  readonly groups: readonly EntraGroup[];
}

/** The app registration's groupMembershipClaims, and the token's group limit before the overage markers replace the claim. */
export interface FakeMicrosoftOptions {
  readonly clientID: string;
  readonly clientSecret: string;
  readonly redirectURI: string;
  readonly groupMembershipClaims?: "None" | "SecurityGroup" | "All";
  /** Default 200 (Microsoft's JWT limit). */
  readonly groupsClaimLimit?: number;
  /** The largest page Graph answers, whatever $top asks (Graph may return fewer). Default 999. */
  readonly graphPageSize?: number;
  /** Mark overage with `hasgroups: true` (implicit-flow style) instead of `_claim_names`. */
  readonly hasGroupsMarker?: boolean;
}

export interface FakeMicrosoft {
  readonly https: FakeHttps;
  readonly authority: OAuthAuthority;
  readonly tenantID: string;
  readonly tenantDomain: string;
  setUser(user: EntraUser): void;
  removeUser(upn: string): void;
  signIn(url: string, upn: string, options?: { deny?: boolean }): Promise<URL>;
  close(): Promise<void>;
}

const PUBLIC_HOSTS = ["login.microsoftonline.com", "graph.microsoft.com"];

/** An AADSTS error as the token endpoint writes it. */
function aadError(res: ServerResponse, e: OAuthError): void {
  const codes: Record<string, [number, number]> = { invalid_client: [401, 7000215], invalid_grant: [400, 70008], unsupported_grant_type: [400, 70003] };
  const [status, code] = codes[e.error] ?? [400, 900144];
  const trace = randomUUID();
  json(res, status, {
    error: e.error, error_description: `AADSTS${code}: ${e.description}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [code], timestamp: new Date().toISOString().replace("T", " ").slice(0, 19) + "Z", trace_id: trace, correlation_id: randomUUID(),
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}

function graphError(res: ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { error: { code, message, innerError: { date: new Date().toISOString(), "request-id": randomUUID(), "client-request-id": randomUUID() } } });
}

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

const hasScope = (scope: string, s: string) => scope.toLowerCase().split(" ").includes(s.toLowerCase());

/** Graph's answers for the signed-in user. */
function graph(req: FakeRequest, res: ServerResponse, user: EntraUser, scope: string, pageSize: number): void {
  if (req.path === "/v1.0/me") {
    const all: Record<string, unknown> = { id: user.oid, displayName: user.displayName, mail: user.mail, userPrincipalName: user.userPrincipalName, jobTitle: null };
    const select = req.query.get("$select")?.split(",");
    const fields = select === undefined ? all : Object.fromEntries(select.map((k) => [k, all[k] ?? null]));
    return json(res, 200, { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity", ...fields });
  }
  if (req.path === "/v1.0/me/transitiveMemberOf/microsoft.graph.group") {
    if (!hasScope(scope, "directory.read.all") && !hasScope(scope, "groupmember.read.all")) return graphError(res, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    const top = Math.min(Number(req.query.get("$top") ?? 100) || 100, 999, pageSize);
    const skip = Number(req.query.get("$skiptoken") ?? 0);
    const page = user.groups.slice(skip, skip + top).map((g) => ({ "@odata.type": "#microsoft.graph.group", ...g }));
    const body: Record<string, unknown> = { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups", value: page };
    if (skip + top < user.groups.length) {
      const next = new URL(`https://${req.host}${req.path}`);
      for (const [k, v] of req.query) if (k !== "$skiptoken") next.searchParams.set(k, v);
      next.searchParams.set("$skiptoken", String(skip + top));
      body["@odata.nextLink"] = next.href;
    }
    return json(res, 200, body);
  }
  graphError(res, 400, "BadRequest", `Resource not found for the segment '${req.path.split("/").pop() ?? ""}'.`);
}

/** The ID token: v2.0 claims, and groups (or the overage markers) per the app registration. */
async function idToken(o: FakeMicrosoftOptions, key: SigningKey, tenant: string, user: EntraUser): Promise<string> {
  const claims: Record<string, unknown> = { ver: "2.0", oid: user.oid, tid: tenant, name: user.displayName, preferred_username: user.userPrincipalName };
  const claimed = o.groupMembershipClaims === "None" ? [] : user.groups.filter((g) => o.groupMembershipClaims !== "SecurityGroup" || g.securityEnabled);
  if (o.groupMembershipClaims !== "None") {
    if (claimed.length <= (o.groupsClaimLimit ?? 200)) claims["groups"] = claimed.map((g) => g.id);
    else if (o.hasGroupsMarker === true) claims["hasgroups"] = true;
    else Object.assign(claims, { _claim_names: { groups: "src1" }, _claim_sources: { src1: { endpoint: `https://graph.windows.net/${tenant}/users/${user.oid}/getMemberObjects` } } });
  }
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "fake-key-1", typ: "JWT" })
    .setIssuer(`https://login.microsoftonline.com/${tenant}/v2.0`).setAudience(o.clientID).setSubject(`pairwise-${user.oid}`)
    .setIssuedAt().setNotBefore("0s").setExpirationTime("1h").sign(key);
}

/** Starts the fake with one tenant and one app registration. */
export async function startFakeMicrosoft(o: FakeMicrosoftOptions): Promise<FakeMicrosoft> {
  const tenantID = randomUUID();
  const tenantDomain = "contoso.onmicrosoft.com";
  const tenants = ["common", "organizations", tenantID, tenantDomain];
  const { privateKey } = await generateKeyPair("RS256");
  const authority = new OAuthAuthority({ clientID: o.clientID, clientSecret: o.clientSecret, redirectURI: o.redirectURI, tokenPrefix: "eyJ0eXAi.fake_", refreshTokens: true, accessTokenSeconds: 3599 });
  const users = new Map<string, EntraUser>();
  const tokenAnswer = async (res: ServerResponse, t: IssuedTokens | OAuthError) => {
    if (isOAuthError(t)) return aadError(res, t);
    const user = users.get(t.user);
    if (user === undefined) return aadError(res, { error: "invalid_grant", description: "The user account does not exist in the directory." });
    json(res, 200, {
      token_type: "Bearer", scope: t.scope, expires_in: t.expires_in, ext_expires_in: t.expires_in, access_token: t.access_token,
      ...(hasScope(t.scope, "offline_access") && t.refresh_token !== undefined ? { refresh_token: t.refresh_token } : {}),
      ...(hasScope(t.scope, "openid") ? { id_token: await idToken(o, privateKey, tenantID, user) } : {}),
    }, { "cache-control": "no-store" });
  };
  const https = await startFakeHttps(async (req, res) => {
    const oauth = /^\/([^/]+)\/oauth2\/v2\.0\/(authorize|token)$/.exec(req.path);
    if (oauth !== null) {
      if (!tenants.includes(oauth[1] ?? "")) return aadError(res, { error: "invalid_request", description: `Tenant '${oauth[1]}' not found.` });
      if (oauth[2] === "authorize") {
        const upn = /(?:^|;\s*)ESTSAUTH=([^;]+)/.exec(String(req.headers.cookie ?? ""))?.[1];
        if (upn === undefined || !users.has(upn)) { res.writeHead(200, { "content-type": "text/html" }); res.end("<title>Sign in to your account</title>"); return; }
        const back = authority.authorize(req.query, upn, req.query.get("deny") === "1");
        if (isOAuthError(back)) return aadError(res, back);
        if (back.searchParams.get("error") === "access_denied") back.searchParams.set("error_description", "AADSTS65004: User declined to consent to access the app.");
        res.writeHead(302, { location: back.href });
        res.end();
        return;
      }
      const form = new URLSearchParams(req.body);
      const refused = authority.clientError(req, form);
      if (refused !== undefined) return aadError(res, refused);
      return tokenAnswer(res, form.get("grant_type") === "refresh_token" ? authority.redeemRefresh(form) : authority.redeemCode(form));
    }
    if (req.path.startsWith("/v1.0/")) {
      const grant = authority.grantOf(bearer(req));
      const user = grant === undefined ? undefined : users.get(grant.user);
      if (grant === undefined || user === undefined) return graphError(res, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.");
      return graph(req, res, user, grant.scope, o.graphPageSize ?? 999);
    }
    json(res, 404, { error: "not_found" });
  }, PUBLIC_HOSTS);
  return {
    https, authority, tenantID, tenantDomain,
    setUser: (u) => void users.set(u.userPrincipalName, u),
    removeUser: (upn) => { users.delete(upn); authority.revokeUser(upn); },
    signIn: (url, upn, opts = {}) => followAuthorize(https, opts.deny === true ? `${url}&deny=1` : url, `ESTSAUTH=${upn}`),
    close: () => https.close(),
  };
}
