/**
 * A fake generic OAuth2 provider as RFC 6749 and RFC 6750 describe it:
 * /oauth/authorize, /oauth/token (JSON answers, `invalid_client` as 401 with
 * a Basic challenge, other errors as 400) with refresh token rotation, and a
 * bearer-protected /api/me answering each user's JSON document as set.
 */
import type { ServerResponse } from "node:http";
import { bearer, followAuthorize, json, startFakeHttps, type FakeHttps, type FakeRequest } from "./fake-https.ts";
import { OAuthAuthority, isOAuthError, type IssuedTokens, type OAuthError } from "./oauth-authority.ts";

export interface FakeOAuth2 {
  readonly https: FakeHttps;
  readonly authority: OAuthAuthority;
  readonly authorizationURL: string;
  readonly tokenURL: string;
  readonly userInfoURL: string;
  /** Sets the userinfo document of `login`. */
  setUser(login: string, userinfo: unknown): void;
  removeUser(login: string): void;
  signIn(url: string, login: string, options?: { deny?: boolean }): Promise<URL>;
  close(): Promise<void>;
}

function tokenAnswer(res: ServerResponse, answer: IssuedTokens | OAuthError): void {
  const noStore = { "cache-control": "no-store", pragma: "no-cache" };
  if (!isOAuthError(answer)) {
    const { user: _, ...body } = answer;
    return json(res, 200, { ...body, token_type: "Bearer" }, noStore);
  }
  const status = answer.error === "invalid_client" ? 401 : 400;
  json(res, status, { error: answer.error, error_description: answer.description }, { ...noStore, ...(status === 401 ? { "www-authenticate": 'Basic realm="fake"' } : {}) });
}

/** Which client authentication methods the token endpoint accepts (`token_endpoint_auth_methods_supported`). */
export type ClientAuthMethods = readonly ("client_secret_basic" | "client_secret_post")[];

function token(req: FakeRequest, res: ServerResponse, authority: OAuthAuthority, methods: ClientAuthMethods): void {
  const form = new URLSearchParams(req.body);
  const used = req.headers.authorization?.startsWith("Basic ") === true ? "client_secret_basic" : "client_secret_post";
  const refused = methods.includes(used) ? authority.clientError(req, form) : { error: "invalid_client", description: `${used} is not supported` };
  if (refused !== undefined) return tokenAnswer(res, refused);
  const type = form.get("grant_type");
  if (type === "authorization_code") return tokenAnswer(res, authority.redeemCode(form));
  if (type === "refresh_token") return tokenAnswer(res, authority.redeemRefresh(form));
  tokenAnswer(res, { error: "unsupported_grant_type", description: `grant_type ${String(type)} is not supported` });
}

/** Starts the fake with one registered client. */
export async function startFakeOAuth2(client: { clientID: string; clientSecret: string; redirectURI: string }, methods: ClientAuthMethods = ["client_secret_basic", "client_secret_post"]): Promise<FakeOAuth2> {
  const authority = new OAuthAuthority({ ...client, tokenPrefix: "at_", refreshTokens: true, accessTokenSeconds: 3600 });
  const users = new Map<string, unknown>();
  const https = await startFakeHttps((req, res) => {
    if (req.path === "/oauth/authorize") {
      const login = /(?:^|;\s*)session=([^;]+)/.exec(String(req.headers.cookie ?? ""))?.[1];
      if (login === undefined || !users.has(login)) { res.writeHead(200, { "content-type": "text/html" }); res.end("<form>sign in</form>"); return; }
      if (req.query.get("response_type") !== "code") return json(res, 400, { error: "unsupported_response_type" });
      const back = authority.authorize(req.query, login, req.query.get("deny") === "1");
      if (isOAuthError(back)) return json(res, 400, back);
      res.writeHead(302, { location: back.href });
      res.end();
      return;
    }
    if (req.path === "/oauth/token" && req.method === "POST") return token(req, res, authority, methods);
    if (req.path === "/api/me") {
      const grant = authority.grantOf(bearer(req));
      if (grant === undefined || !users.has(grant.user)) {
        res.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token", error_description="The access token is invalid or has expired"' });
        res.end();
        return;
      }
      return json(res, 200, users.get(grant.user));
    }
    json(res, 404, { error: "not_found" });
  });
  return {
    https, authority,
    authorizationURL: `${https.origin}/oauth/authorize`,
    tokenURL: `${https.origin}/oauth/token`,
    userInfoURL: `${https.origin}/api/me`,
    setUser: (login, info) => void users.set(login, info),
    removeUser: (login) => { users.delete(login); authority.revokeUser(login); },
    signIn: (url, login, o = {}) => followAuthorize(https, o.deny === true ? `${url}&deny=1` : url, `session=${login}`),
    close: () => https.close(),
  };
}
