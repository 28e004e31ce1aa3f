import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { isKubewardError } from "../../../src/errors.ts";
import type { OidcIssuerConfig } from "../../../src/config/types.ts";
import { createOidcAuthenticator } from "../../../src/auth/oidc-authenticator.ts";
import { createLogger } from "../../../src/log/logger.ts";
import { Metrics } from "../../../src/metrics/metrics.ts";

const ISS = "https://issuer.test";
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const JWK = { ...publicKey.export({ format: "jwk" }), kid: "k1" };
const config: OidcIssuerConfig = {
  issuerUrl: ISS, audiences: ["kubeward"], usernameClaim: "sub", usernamePrefix: "", groupsPrefix: "", signingAlgs: ["ES256"], requiredClaims: {},
};
const timing = { jwksMinRefetchIntervalMs: 10, jwksRefreshIntervalMs: 60_000, initRetryMinMs: 20, initRetryMaxMs: 40 };

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");
function token(claims: Record<string, unknown>): string {
  const input = `${b64({ alg: "ES256", kid: "k1" })}.${b64({ iss: ISS, aud: "kubeward", exp: Math.floor(Date.now() / 1000) + 60, ...claims })}`;
  return `${input}.${sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
}

/** A scripted issuer: `docs` maps URL to the document served (an Error is thrown instead). */
function scripted(docs: Record<string, unknown>) {
  const asked: string[] = [];
  const get = async (url: string): Promise<unknown> => {
    asked.push(url);
    const doc = docs[url];
    if (doc === undefined || doc instanceof Error) throw doc ?? new Error(`404 ${url}`);
    return doc;
  };
  return { asked, get, docs };
}

function make(get: (url: string) => Promise<unknown>) {
  const a = createOidcAuthenticator(config, { clock: { now: () => Date.now() }, logger: createLogger({ level: "silent" }), metrics: new Metrics(), get }, timing);
  return a;
}

const DISCOVERY = `${ISS}/.well-known/openid-configuration`;
const JWKS = `${ISS}/jwks`;

test("start() resolves after the first attempt; with discovery and keys in place, the authenticator is ready", async (t) => {
  const s = scripted({ [DISCOVERY]: { issuer: ISS, jwks_uri: JWKS }, [JWKS]: { keys: [JWK] } });
  const a = make(s.get);
  t.after(() => a.close());
  assert.equal(a.ready(), false);
  await a.start();
  assert.equal(a.ready(), true);
  assert.deepEqual(s.asked, [DISCOVERY, JWKS]);
  assert.equal((await a.authenticate(token({ sub: "alice" }))).user.username, "alice");
});

test("discovery is retried with backoff until it succeeds; discovery is not repeated once it has", async (t) => {
  const s = scripted({ [DISCOVERY]: new Error("ECONNREFUSED"), [JWKS]: new Error("ECONNREFUSED") });
  const a = make(s.get);
  t.after(() => a.close());
  await a.start();
  await assert.rejects(a.authenticate(token({ sub: "a" })), (e) => isKubewardError(e, "authenticator_not_ready"));
  await sleep(150);
  const discoveries = s.asked.filter((u) => u === DISCOVERY).length;
  assert.ok(discoveries >= 3 && discoveries <= 6, `${discoveries} discovery attempts in 150 ms (20, 40, 40… ms apart)`);
  s.docs[DISCOVERY] = { issuer: ISS, jwks_uri: JWKS };
  await sleep(80);
  assert.equal(a.ready(), false, "keys still missing");
  s.docs[JWKS] = { keys: [JWK] };
  await sleep(80);
  assert.equal(a.ready(), true);
  assert.equal(s.asked.filter((u) => u === DISCOVERY).length, discoveries + 1);
});

test("a key set with no usable signing key does not make the authenticator ready", async (t) => {
  const s = scripted({ [DISCOVERY]: { issuer: ISS, jwks_uri: JWKS }, [JWKS]: { keys: [{ ...JWK, use: "enc" }, { kty: "oct", k: "c2VjcmV0" }] } });
  const a = make(s.get);
  t.after(() => a.close());
  await a.start();
  assert.equal(a.ready(), false);
  s.docs[JWKS] = { keys: [JWK] };
  await sleep(80);
  assert.equal(a.ready(), true);
});

test("close() stops the retries", async () => {
  const s = scripted({});
  const a = make(s.get);
  await a.start();
  a.close();
  const n = s.asked.length;
  await sleep(100);
  assert.equal(s.asked.length, n);
});

test("the Authentication carries exp and iat in milliseconds and the issuer", async (t) => {
  const s = scripted({ [DISCOVERY]: { issuer: ISS, jwks_uri: JWKS }, [JWKS]: { keys: [JWK] } });
  const a = make(s.get);
  t.after(() => a.close());
  await a.start();
  const exp = Math.floor(Date.now() / 1000) + 100;
  const auth = await a.authenticate(token({ sub: "a", exp, iat: exp - 200 }));
  assert.deepEqual([auth.expiresAt, auth.issuedAt, auth.issuer], [exp * 1000, (exp - 200) * 1000, ISS]);
  assert.equal("issuedAt" in (await a.authenticate(token({ sub: "a" }))), false);
});

test("close() while discovery is in flight leaves no refresh or retry timer behind", async (t) => {
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  const before = timers();
  const s = scripted({ [DISCOVERY]: { issuer: ISS, jwks_uri: JWKS }, [JWKS]: { keys: [JWK] } });
  const a = make(async (url) => {
    await sleep(30);
    return s.get(url);
  });
  t.after(() => a.close());
  const starting = a.start();
  await sleep(5);
  a.close();
  await starting;
  await sleep(50);
  assert.equal(a.ready(), false);
  assert.ok(timers() <= before, `timers before ${before}, after ${timers()}`);
});
