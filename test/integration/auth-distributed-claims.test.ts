/** Distributed groups claims resolved from a real HTTPS endpoint of the test issuer. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { isKubewardError } from "../../src/errors.ts";
import type { OidcIssuerConfig } from "../../src/config/types.ts";
import type { TokenAuthenticator } from "../../src/auth/authenticator.ts";
import { createAuthenticator } from "../../src/auth/create-authenticator.ts";
import { systemClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log/logger.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import { issuerConfigFor, startTestIssuer, type TestIssuer } from "../tools/test-issuer.ts";

let issuer: TestIssuer;
let authn: TokenAuthenticator;
const opened: TokenAuthenticator[] = [];

async function open(config: OidcIssuerConfig): Promise<TokenAuthenticator> {
  const deps = { clock: systemClock, logger: createLogger({ level: "silent" }), metrics: new Metrics() };
  const a = createAuthenticator([config], deps, { jwksMinRefetchIntervalMs: 50 });
  opened.push(a);
  await a.start();
  return a;
}

before(async () => {
  issuer = await startTestIssuer();
  authn = await open(issuerConfigFor(issuer, { groupsPrefix: "oidc:" }));
});
after(async () => {
  for (const a of opened) a.close();
  await issuer.stop();
});

const withSource = (endpoint: string, accessToken?: string): Record<string, unknown> => ({
  _claim_names: { groups: "src1" },
  _claim_sources: { src1: accessToken === undefined ? { endpoint } : { endpoint, access_token: accessToken } },
});

test("groups named only through _claim_names are fetched from the source with its access token", async () => {
  const endpoint = issuer.claimsEndpoint({ groups: ["dev", "ops"] }, { accessToken: "s3cret" });
  const auth = await authn.authenticate(issuer.mint({ sub: "alice", ...withSource(endpoint, "s3cret") }));
  assert.deepEqual(auth.user.groups, ["oidc:dev", "oidc:ops"]);
});

test("a source that refuses the access token makes the token token_claim_invalid", async () => {
  const endpoint = issuer.claimsEndpoint({ groups: ["dev"] }, { accessToken: "right" });
  await assert.rejects(authn.authenticate(issuer.mint(withSource(endpoint, "wrong"))), (e) => isKubewardError(e, "token_claim_invalid"));
});

test("the JWT from the source must verify: an unpublished key or another audience is token_claim_invalid", async () => {
  const forged = issuer.claimsEndpoint({ groups: ["system:masters"] }, { mint: { key: "unpublished" } });
  await assert.rejects(authn.authenticate(issuer.mint(withSource(forged))), (e) => isKubewardError(e, "token_claim_invalid"));
  const elsewhere = issuer.claimsEndpoint({ groups: ["x"], aud: "another-client" });
  await assert.rejects(authn.authenticate(issuer.mint(withSource(elsewhere))), (e) => isKubewardError(e, "token_claim_invalid"));
});

test("the source is ignored when the token carries groups itself, or when no groups claim is configured", async () => {
  const endpoint = issuer.claimsEndpoint({ groups: ["from-source"] });
  assert.deepEqual((await authn.authenticate(issuer.mint({ groups: ["direct"], ...withSource(endpoint) }))).user.groups, ["oidc:direct"]);
  const { groupsClaim: _unused, ...noGroups } = issuerConfigFor(issuer);
  const plain = await open(noGroups);
  assert.deepEqual((await plain.authenticate(issuer.mint(withSource(endpoint)))).user.groups, []);
});

test("a _claim_names entry naming a missing source is token_malformed", async () => {
  const token = issuer.mint({ _claim_names: { groups: "nowhere" }, _claim_sources: {} });
  await assert.rejects(authn.authenticate(token), (e) => isKubewardError(e, "token_malformed"));
});
