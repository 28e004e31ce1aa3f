/**
 * A real HTTPS OIDC issuer for tests: serves discovery and a JWKS on
 * 127.0.0.1 with its own CA, mints tokens (well-formed or deliberately
 * broken), rotates keys, and can be taken down to simulate an outage.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { once } from "node:events";
import { createHmac, generateKeyPairSync, randomUUID, sign, constants, type KeyObject } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";
import type { OidcIssuerConfig } from "../../src/config/types.ts";

/** Key types the issuer can sign with. */
export type TestKeyAlg = "RS256" | "ES256" | "PS256";

export interface TestIssuerOptions {
  /** Algorithm of the first signing key. Default RS256. */
  readonly alg?: TestKeyAlg;
  /** Default `aud` of minted tokens. Default "kubeward". */
  readonly audience?: string;
  /** Path after the origin in the issuer URL, e.g. "/realms/dev". Default none. */
  readonly issuerPath?: string;
  /** The `issuer` discovery announces; the issuer URL unless set (to test a mismatch). */
  readonly discoveryIssuer?: string;
  /** Extra JWK objects published verbatim beside the signing keys (e.g. `use: "enc"` keys). */
  readonly extraJwks?: readonly Record<string, unknown>[];
  /** Milliseconds since the epoch used for default `iat`/`exp`. Default Date.now. */
  readonly now?: () => number;
}

/** How {@link TestIssuer.mint} signs. */
export interface MintOptions {
  /** Header fields merged over `{ alg, kid, typ: "JWT" }`; a field set to undefined is removed (e.g. `{ kid: undefined }`). */
  readonly header?: Readonly<Record<string, unknown>>;
  /** Signing key: "current" (default), "unpublished" (a key never in the JWKS, with its own kid), or the kid of a published key. */
  readonly key?: string;
  /** "alg-none": unsigned, `alg: none`. "hs256-public-key": HMAC-SHA256 keyed by the current public key's PEM (alg confusion). */
  readonly attack?: "alg-none" | "hs256-public-key";
  /** Rewrites the claims after signing, so the signature no longer matches. */
  readonly tamper?: (claims: Record<string, unknown>) => Record<string, unknown>;
}

/** A running test issuer. */
export interface TestIssuer {
  /** The issuer URL (`iss`), https://127.0.0.1:<port>[issuerPath]. */
  readonly url: string;
  /** PEM of the CA that signed the issuer's serving certificate. */
  readonly caPem: string;
  /** The default audience. */
  readonly audience: string;
  /** Another URL serving the same discovery document (for `discoveryUrl`). */
  readonly altDiscoveryUrl: string;
  /** kid of the key `mint` signs with by default. */
  currentKid(): string;
  /** kids of the signing keys in the JWKS, oldest first. */
  publishedKids(): string[];
  /**
   * Mints a token. Defaults `iss`, `aud`, `sub`, `iat`, `exp` (+10 min);
   * a claim set to undefined is removed. Example: `mint({ groups: ["dev"], exp: undefined })`.
   */
  mint(claims?: Readonly<Record<string, unknown>>, options?: MintOptions): string;
  /** Adds a new key and signs with it from now on; the old keys stay published unless `dropOld`. Returns the new kid. */
  rotate(options?: { readonly alg?: TestKeyAlg; readonly dropOld?: boolean }): string;
  /**
   * Serves a distributed-claims endpoint: each GET answers with a fresh
   * `mint(claims, mint)`, or 401 without `Authorization: Bearer <accessToken>`
   * when one is set. Returns its URL, for a token's `_claim_sources`.
   */
  claimsEndpoint(claims: Readonly<Record<string, unknown>>, options?: { readonly accessToken?: string; readonly mint?: MintOptions }): string;
  /** While down, every request is answered 503. */
  setDown(down: boolean): void;
  /** JWKS requests received so far (served or refused). */
  jwksFetchCount(): number;
  /** Discovery requests received so far. */
  discoveryFetchCount(): number;
  stop(): Promise<void>;
}

interface SigningKey {
  readonly kid: string;
  readonly alg: TestKeyAlg;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

function newKey(alg: TestKeyAlg, kid = `key-${randomUUID().slice(0, 8)}`): SigningKey {
  const pair = alg === "ES256"
    ? generateKeyPairSync("ec", { namedCurve: "P-256" })
    : generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, alg, ...pair };
}

function publicJwk(k: SigningKey): Record<string, unknown> {
  return { ...k.publicKey.export({ format: "jwk" }), kid: k.kid, alg: k.alg, use: "sig" };
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

function signature(input: string, alg: string, key: SigningKey): string {
  const data = Buffer.from(input);
  if (alg === "ES256") return sign("sha256", data, { key: key.privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url");
  if (alg === "PS256") {
    return sign("sha256", data, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString("base64url");
  }
  return sign("sha256", data, key.privateKey).toString("base64url");
}

function withoutUndefined(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

/**
 * Starts an issuer on 127.0.0.1 with a fresh CA and one signing key. Call `stop()` when done.
 *
 * @example
 * ```ts
 * const issuer = await startTestIssuer({ alg: "ES256" });
 * t.after(() => issuer.stop());
 * const authn = createAuthenticator([issuerConfigFor(issuer)], deps);
 * await authn.start();
 * await authn.authenticate(issuer.mint({ sub: "alice", groups: ["dev"] }));
 * const forged = issuer.mint({}, { key: "unpublished" }); // refused: token_unknown_key
 * ```
 */
export async function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const ca = await createCertificateAuthority("kubeward-test-issuer-ca");
  const leaf = await issueCertificate(ca, { commonName: "test-issuer", hosts: ["127.0.0.1", "localhost"], usage: "server" });
  const now = options.now ?? (() => Date.now());
  const audience = options.audience ?? "kubeward";
  let published: SigningKey[] = [newKey(options.alg ?? "RS256")];
  let current = published[0] as SigningKey;
  const unpublished = newKey(options.alg ?? "RS256", "unpublished");
  let down = false;
  let jwksFetches = 0;
  let discoveryFetches = 0;
  let url = "";
  const claimEndpoints = new Map<string, { claims: Readonly<Record<string, unknown>>; accessToken?: string; mint?: MintOptions }>();

  const discovery = (): unknown => ({
    issuer: options.discoveryIssuer ?? url,
    jwks_uri: `${url}/keys`,
    id_token_signing_alg_values_supported: ["RS256", "ES256", "PS256"],
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
  });

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? "/", "https://x").pathname;
    const prefix = new URL(url).pathname.replace(/\/$/, "");
    let body: unknown;
    if (path === `${prefix}/keys`) {
      jwksFetches++;
      body = { keys: [...published.map(publicJwk), ...(options.extraJwks ?? [])] };
    } else if (path === `${prefix}/.well-known/openid-configuration` || path === "/alt/openid-configuration") {
      discoveryFetches++;
      body = discovery();
    }
    const endpoint = claimEndpoints.get(path);
    if (down) res.writeHead(503).end("down");
    else if (endpoint) serveClaims(req, res, endpoint);
    else if (body === undefined) res.writeHead(404).end("not found");
    else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  }

  function serveClaims(req: IncomingMessage, res: ServerResponse, e: { claims: Readonly<Record<string, unknown>>; accessToken?: string; mint?: MintOptions }): void {
    if (e.accessToken !== undefined && req.headers.authorization !== `Bearer ${e.accessToken}`) res.writeHead(401).end("unauthorized");
    else res.writeHead(200, { "content-type": "application/jwt" }).end(mint(e.claims, e.mint));
  }

  const server: Server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, handle);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  url = origin + (options.issuerPath ?? "");

  function pickKey(key: string | undefined): SigningKey {
    if (key === undefined || key === "current") return current;
    if (key === "unpublished") return unpublished;
    const found = published.find((k) => k.kid === key);
    if (!found) throw new Error(`test issuer: no published key ${key}`);
    return found;
  }

  function mint(claims: Readonly<Record<string, unknown>> = {}, mintOptions: MintOptions = {}): string {
    const key = pickKey(mintOptions.key);
    const t = Math.floor(now() / 1000);
    const payload = withoutUndefined({ iss: url, aud: audience, sub: "alice", iat: t, exp: t + 600, ...claims });
    const attack = mintOptions.attack;
    const alg = attack === "alg-none" ? "none" : attack === "hs256-public-key" ? "HS256" : key.alg;
    const header = withoutUndefined({ alg, kid: key.kid, typ: "JWT", ...mintOptions.header });
    const input = `${b64(header)}.${b64(payload)}`;
    let sig = "";
    if (attack === "hs256-public-key") {
      const secret = current.publicKey.export({ type: "spki", format: "pem" });
      sig = createHmac("sha256", secret).update(input).digest("base64url");
    } else if (attack !== "alg-none") {
      sig = signature(input, String(header["alg"]), key);
    }
    const body = mintOptions.tamper ? b64(mintOptions.tamper({ ...payload })) : b64(payload);
    return `${b64(header)}.${body}.${sig}`;
  }

  return {
    url,
    caPem: ca.certPem,
    audience,
    altDiscoveryUrl: `${origin}/alt/openid-configuration`,
    currentKid: () => current.kid,
    publishedKids: () => published.map((k) => k.kid),
    mint,
    rotate(rotateOptions = {}) {
      current = newKey(rotateOptions.alg ?? current.alg);
      published = rotateOptions.dropOld ? [current] : [...published, current];
      return current.kid;
    },
    claimsEndpoint(claims, endpointOptions = {}) {
      const path = `/claims/${randomUUID()}`;
      claimEndpoints.set(path, { claims, ...endpointOptions });
      return origin + path;
    },
    setDown(value) {
      down = value;
    },
    jwksFetchCount: () => jwksFetches,
    discoveryFetchCount: () => discoveryFetches,
    async stop() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/**
 * An OidcIssuerConfig that trusts `issuer`: its URL, audience and CA, `sub`
 * as username with the `issuer#` prefix, `groups` as groups, RS256/ES256/PS256.
 */
export function issuerConfigFor(issuer: TestIssuer, overrides: Partial<OidcIssuerConfig> = {}): OidcIssuerConfig {
  return {
    issuerUrl: issuer.url,
    audiences: [issuer.audience],
    caPem: issuer.caPem,
    usernameClaim: "sub",
    usernamePrefix: `${issuer.url}#`,
    groupsClaim: "groups",
    groupsPrefix: "",
    signingAlgs: ["RS256", "ES256", "PS256"],
    requiredClaims: {},
    ...overrides,
  };
}
