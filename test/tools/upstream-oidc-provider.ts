/**
 * A real, independent OpenID provider for tests: the npm `oidc-provider`
 * (panva) on 127.0.0.1 over HTTPS with its own CA, with configurable clients
 * and accounts, its own password-checking login and consent pages, and
 * {@link UpstreamProvider.signIn}, which drives them over plain HTTP.
 */
import { createServer as createHttpsServer } from "node:https";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { once } from "node:events";
import { randomBytes, timingSafeEqual, createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";

/** An account the provider knows; its claims go into ID tokens (`conformIdTokenClaims: false`). */
export interface UpstreamAccount {
  readonly sub: string;
  /** What the login form checks. */
  readonly password: string;
  readonly email?: string;
  /** Default true. */
  readonly email_verified?: boolean;
  readonly name?: string;
  readonly preferred_username?: string;
  readonly groups?: readonly string[];
}

/**
 * oidc-provider client metadata, e.g. a confidential web client
 * `{ client_id, client_secret, redirect_uris }`, a public loopback client
 * `{ client_id, token_endpoint_auth_method: "none", application_type: "native", redirect_uris: ["http://127.0.0.1/callback"] }`
 * (its requests may use any port on that loopback URI, RFC 8252 §7.3; PKCE is required for it)
 * or a device client (`grant_types: ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"]`).
 */
export type UpstreamClient = Readonly<Record<string, unknown>> & { readonly client_id: string };

export interface UpstreamOptions {
  readonly clients: readonly UpstreamClient[];
  readonly accounts: readonly UpstreamAccount[];
  /** Serve plain HTTP instead of HTTPS. Default false. */
  readonly insecureHttp?: boolean;
  /** ID token lifetime in seconds. Default oidc-provider's (1 hour). */
  readonly idTokenTTL?: number;
  /** Access token lifetime in seconds. Default oidc-provider's (1 hour). */
  readonly accessTokenTTL?: number;
}

/** The running provider. */
export interface UpstreamProvider {
  /** The issuer URL, `https://127.0.0.1:<port>`. */
  readonly issuer: string;
  /** PEM of the CA that signed the serving certificate ("" over HTTP). */
  readonly caPem: string;
  /** A fetch that trusts {@link caPem}. */
  readonly fetch: typeof globalThis.fetch;
  /** The oidc-provider instance, for anything not wrapped here. */
  readonly provider: Provider;
  /** Adds an account or replaces the one with its `sub` (changed groups show in the next token). */
  setAccount(account: UpstreamAccount): void;
  /** Removes an account: its refresh tokens stop working. */
  removeAccount(sub: string): void;
  /**
   * Follows `url` (an authorization request, or `/device` for the device
   * flow) through login and consent with a fresh cookie jar. Resolves the
   * first redirect that leaves the provider (the client's callback URL, not
   * fetched), or, when a page has no form left (the device flow's success
   * page), the last page's URL. `abort` cancels at the login page, so the
   * client gets `error=access_denied`. Rejects when the password is refused.
   */
  signIn(url: string, login: { readonly login: string; readonly password: string; readonly userCode?: string; readonly abort?: boolean }): Promise<URL>;
  /** Stops the server and closes its connections. */
  close(): Promise<void>;
}

/**
 * Starts a provider on 127.0.0.1 (random port) with the code, refresh,
 * device and client-credentials grants, revocation and introspection.
 */
export async function startUpstreamProvider(options: UpstreamOptions): Promise<UpstreamProvider> {
  const secure = options.insecureHttp !== true;
  const ca = secure ? await createCertificateAuthority("upstream-oidc-test-ca") : undefined;
  const leaf = ca ? await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1"], usage: "server" }) : undefined;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server: Server = leaf
    ? createHttpsServer({ cert: leaf.certPem, key: leaf.keyPem }, (q, s) => handler(q, s))
    : createHttpServer((q, s) => handler(q, s));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const issuer = `${secure ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map(options.accounts.map((a) => [a.sub, a]));
  const provider = new Provider(issuer, await providerConfig(options, accounts));
  const callback = provider.callback();
  handler = (req, res) => {
    if (req.url?.startsWith("/interaction/")) interaction(provider, accounts, req, res).catch((e: unknown) => res.writeHead(500).end(String(e)));
    else callback(req, res);
  };
  const agent = ca ? new Agent({ connect: { ca: ca.certPem } }) : undefined;
  const trustingFetch = ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as object), ...(agent ? { dispatcher: agent } : {}) })) as unknown as typeof globalThis.fetch;
  return {
    issuer,
    caPem: ca?.certPem ?? "",
    fetch: trustingFetch,
    provider,
    setAccount: (a) => void accounts.set(a.sub, a),
    removeAccount: (sub) => void accounts.delete(sub),
    signIn: (url, login) => signIn(trustingFetch, issuer, url, login),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent?.close();
    },
  };
}

const HOUR = 3600;
/** Every lifetime set, so oidc-provider does not print a notice per default it uses. */
const TTL = {
  AuthorizationCode: 60, BackchannelAuthenticationRequest: 600, ClientCredentials: 600, DeviceCode: 600,
  Grant: 14 * 24 * HOUR, Interaction: HOUR, PreAuthorizedCode: 600, RefreshToken: 14 * 24 * HOUR, Session: 14 * 24 * HOUR,
};

type Stored = Record<string, unknown>;

/** oidc-provider's storage, one Map per model, so it does not warn about its built-in one. */
class MemoryAdapter {
  readonly #items: Map<string, { payload: Stored; expiresAt: number }> = new Map();

  upsert(id: string, payload: Stored, expiresIn?: number): Promise<void> {
    this.#items.set(id, { payload: { ...payload }, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    return Promise.resolve();
  }
  find(id: string): Promise<Stored | undefined> {
    const item = this.#items.get(id);
    return Promise.resolve(item && item.expiresAt > Date.now() ? item.payload : undefined);
  }
  findByUid(uid: string): Promise<Stored | undefined> {
    return this.#findBy("uid", uid);
  }
  findByUserCode(userCode: string): Promise<Stored | undefined> {
    return this.#findBy("userCode", userCode);
  }
  consume(id: string): Promise<void> {
    const item = this.#items.get(id);
    if (item) item.payload["consumed"] = Math.floor(Date.now() / 1000);
    return Promise.resolve();
  }
  destroy(id: string): Promise<void> {
    this.#items.delete(id);
    return Promise.resolve();
  }
  revokeByGrantId(grantId: string): Promise<void> {
    for (const [id, item] of this.#items) if (item.payload["grantId"] === grantId) this.#items.delete(id);
    return Promise.resolve();
  }
  #findBy(field: string, value: string): Promise<Stored | undefined> {
    for (const item of this.#items.values()) if (item.payload[field] === value && item.expiresAt > Date.now()) return Promise.resolve(item.payload);
    return Promise.resolve(undefined);
  }
}

async function providerConfig(options: UpstreamOptions, accounts: Map<string, UpstreamAccount>): Promise<Record<string, unknown>> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return {
    clients: options.clients.map((c) => ({ ...c })),
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: "upstream-1", alg: "RS256", use: "sig" }] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username"], groups: ["groups"] },
    scopes: ["openid", "offline_access", "email", "profile", "groups"],
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      deviceFlow: { enabled: true, ...DEVICE_PAGES },
      clientCredentials: { enabled: true },
      revocation: { enabled: true, allowedPolicy: (_ctx: unknown, c: { clientId: string }, t: { clientId?: string }) => t.clientId === c.clientId },
      introspection: { enabled: true },
    },
    interactions: { url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
    adapter: MemoryAdapter,
    ttl: { ...TTL, IdToken: options.idTokenTTL ?? HOUR, AccessToken: options.accessTokenTTL ?? HOUR },
    findAccount: (_ctx: unknown, sub: string) => {
      const a = accounts.get(sub);
      if (a === undefined) return undefined;
      const { password: _, ...claims } = a;
      return { accountId: sub, claims: () => ({ email_verified: true, ...claims, groups: [...(a.groups ?? [])] }) };
    },
  };
}

const page = (title: string, body: string) =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

/** The device flow's pages; `form` is oidc-provider's own (hidden xsrf and fields). */
const DEVICE_PAGES = {
  userCodeInputSource: (ctx: { body: unknown }, form: string, _out: unknown, err: unknown) => {
    ctx.body = page("Device sign-in", `${err ? '<p class="error">Invalid code</p>' : ""}${form}<button type="submit" form="op.deviceInputForm">Continue</button>`);
  },
  userCodeConfirmSource: (ctx: { body: unknown }, form: string) => {
    ctx.body = page("Confirm device", `${form}<button type="submit" form="op.deviceConfirmForm">Continue</button>`);
  },
  successSource: (ctx: { body: unknown }) => {
    ctx.body = page("Signed in", "<p>You may close this page.</p>");
  },
};

function loginPage(uid: string, error: boolean): string {
  return page("Sign-in", `${error ? '<p class="error">Invalid login or password</p>' : ""}
<form method="post" action="/interaction/${uid}/login">
<input required type="text" name="login" placeholder="Login" autofocus>
<input required type="password" name="password" placeholder="Password">
<button type="submit">Sign-in</button></form>
<a href="/interaction/${uid}/abort">Cancel</a>`);
}

function consentPage(uid: string): string {
  return page("Authorize", `<form method="post" action="/interaction/${uid}/confirm"><button type="submit" autofocus>Continue</button></form>
<a href="/interaction/${uid}/abort">Cancel</a>`);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function samePassword(a: string, b: string): boolean {
  const h = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

/** The login and consent pages (what oidc-provider's `interactions.url` points at). */
async function interaction(provider: Provider, accounts: Map<string, UpstreamAccount>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const [, , uid, action] = (req.url ?? "").split("?")[0]?.split("/") ?? [];
  const html = (body: string) => res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(body);
  if (req.method === "GET" && action === undefined) {
    html(details.prompt.name === "login" ? loginPage(details.uid, false) : consentPage(details.uid));
  } else if (action === "abort") {
    await provider.interactionFinished(req, res, { error: "access_denied", error_description: "End-User aborted interaction" }, { mergeWithLastSubmission: false });
  } else if (req.method === "POST" && action === "login") {
    const form = await readForm(req);
    const account = accounts.get(form.get("login") ?? "");
    if (account === undefined || !samePassword(account.password, form.get("password") ?? "")) return void html(loginPage(uid ?? "", true));
    await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
  } else if (req.method === "POST" && action === "confirm") {
    req.resume();
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session?.accountId, clientId: String(details.params["client_id"]) });
    if (grant === undefined) return void res.writeHead(400).end("no grant");
    const missing = details.prompt.details as unknown as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  } else {
    res.writeHead(404).end();
  }
}

/** A first post-able form on an HTML page: its action and hidden fields. */
function firstForm(html: string): { action: string; fields: Map<string, string> } | undefined {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (form === undefined || form === null) return undefined;
  const action = /action="([^"]*)"/i.exec(form[1] ?? "")?.[1] ?? "";
  const fields = new Map<string, string>();
  for (const input of (form[2] ?? "").matchAll(/<input\b[^>]*>/gi)) {
    const name = /name="([^"]*)"/i.exec(input[0])?.[1];
    if (name !== undefined) fields.set(name, /value="([^"]*)"/i.exec(input[0])?.[1] ?? "");
  }
  return { action: action.replaceAll("&amp;", "&"), fields };
}

async function signIn(
  fetchFn: typeof globalThis.fetch, issuer: string, start: string,
  who: { readonly login: string; readonly password: string; readonly userCode?: string; readonly abort?: boolean },
): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(start, issuer);
  let body: URLSearchParams | undefined;
  for (let step = 0; step < 20; step++) {
    const res = await fetchFn(url, {
      method: body ? "POST" : "GET", redirect: "manual",
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; "), ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
      ...(body ? { body: body.toString() } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ""] = c.split(";");
      const eq = pair.indexOf("=");
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    body = undefined;
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location !== null) {
      await res.body?.cancel();
      url = new URL(location, url);
      if (url.origin !== new URL(issuer).origin) return url;
      continue;
    }
    const html = await res.text();
    if (/class="error"/.test(html)) throw new Error(`upstream refused the login of ${who.login}`);
    const form = firstForm(html);
    if (res.status !== 200) throw new Error(`upstream answered ${res.status} at ${url.pathname}: ${html.slice(0, 200)}`);
    if (form === undefined) return url;
    if (who.abort === true && form.fields.has("password")) {
      url = new URL(/href="([^"]*\/abort)"/.exec(html)?.[1] ?? "abort", url);
      continue;
    }
    if (form.fields.has("login")) form.fields.set("login", who.login);
    if (form.fields.has("password")) form.fields.set("password", who.password);
    if (form.fields.has("user_code")) form.fields.set("user_code", who.userCode ?? "");
    url = new URL(form.action, url);
    body = new URLSearchParams([...form.fields]);
  }
  throw new Error(`sign-in at ${start} did not finish in 20 steps`);
}
