import { test } from "node:test";
import assert from "node:assert/strict";
import { KubewardError, isKubewardError } from "../../../src/errors.ts";
import { checkClaimSources, expandDistributedClaim, type DistributedClaimDeps } from "../../../src/auth/distributed-claims.ts";
import type { Claims } from "../../../src/auth/claim-mapping.ts";

const distributed = (source: Record<string, unknown>): Claims => ({
  sub: "alice", _claim_names: { groups: "src1" }, _claim_sources: { src1: source },
});

function deps(resolved: Claims = { groups: ["a", "b"] }) {
  const calls: { url: string; accessToken: string | undefined; jwt?: string }[] = [];
  const d: DistributedClaimDeps = {
    async fetchJwt(url, accessToken) {
      calls.push({ url, accessToken });
      return " header.payload.sig\n";
    },
    async verify(jwt) {
      const last = calls.at(-1);
      if (last) last.jwt = jwt;
      return resolved;
    },
  };
  return { d, calls };
}

test("well-formed _claim_names/_claim_sources pass the structural check", () => {
  checkClaimSources({});
  checkClaimSources({ _claim_names: null, _claim_sources: null });
  checkClaimSources(distributed({ endpoint: "https://e", access_token: "t" }));
  checkClaimSources(distributed({ JWT: "a.b.c" }));
});

test("a claim name pointing at a missing or empty source, or wrongly typed members, is token_malformed (as in go-oidc)", () => {
  const bad: Claims[] = [
    { _claim_names: { groups: "nope" }, _claim_sources: { src1: {} } },
    { _claim_names: { groups: "src1" } },
    { _claim_names: { groups: "" }, _claim_sources: { "": {} } },
    { _claim_names: { groups: 5 }, _claim_sources: {} },
    { _claim_names: ["groups"] },
    { _claim_sources: "x" },
    distributed({ endpoint: 42 }),
    distributed({ access_token: ["t"] }),
  ];
  for (const claims of bad) assert.throws(() => checkClaimSources(claims), (e) => isKubewardError(e, "token_malformed"), JSON.stringify(claims));
});

test("the claim is fetched from its endpoint with the access token, verified, and merged in", async () => {
  const { d, calls } = deps();
  const out = await expandDistributedClaim(distributed({ endpoint: "https://idp/claims", access_token: "secret" }), "groups", d);
  assert.deepEqual(out["groups"], ["a", "b"]);
  assert.equal(out["sub"], "alice");
  assert.deepEqual(calls, [{ url: "https://idp/claims", accessToken: "secret", jwt: "header.payload.sig" }]);
});

test("no access token is sent when the source has none", async () => {
  const { d, calls } = deps();
  await expandDistributedClaim(distributed({ endpoint: "https://idp/claims" }), "groups", d);
  assert.equal(calls[0]?.accessToken, undefined);
});

test("nothing is fetched when the token carries the claim, names no source for it, or the source is aggregated", async () => {
  const { d, calls } = deps();
  const cases: Claims[] = [
    { ...distributed({ endpoint: "https://idp/claims" }), groups: ["direct"] },
    { sub: "a" },
    { _claim_names: { roles: "src1" }, _claim_sources: { src1: { endpoint: "https://idp/claims" } } },
    distributed({ JWT: "a.b.c" }),
    distributed({ endpoint: "" }),
  ];
  for (const claims of cases) assert.equal(await expandDistributedClaim(claims, "groups", d), claims);
  assert.equal(calls.length, 0);
});

test("_claim_names without _claim_sources is refused (kube-apiserver: no claim sources)", async () => {
  await assert.rejects(expandDistributedClaim({ _claim_names: {} }, "groups", deps().d), (e) => isKubewardError(e, "token_claim_invalid"));
});

test("a failed fetch, a JWT that does not verify, or one without the claim is token_claim_invalid", async () => {
  const source = distributed({ endpoint: "https://idp/claims" });
  const failing = { ...deps().d, fetchJwt: async () => Promise.reject(new Error("GET https://idp/claims: HTTP 401")) };
  await assert.rejects(expandDistributedClaim(source, "groups", failing), (e) => isKubewardError(e, "token_claim_invalid") && /HTTP 401/.test(e.detail ?? ""));
  const unverified = { ...deps().d, verify: async () => Promise.reject(new KubewardError("token_unknown_key", "kid x")) };
  await assert.rejects(expandDistributedClaim(source, "groups", unverified), (e) => isKubewardError(e, "token_claim_invalid") && /token_unknown_key/.test(e.detail ?? ""));
  await assert.rejects(expandDistributedClaim(source, "groups", deps({ roles: [] }).d), (e) => isKubewardError(e, "token_claim_invalid"));
});
