/**
 * Discovery and JWKS answered from memory: byte for byte what oidc-provider
 * answered, with an ETag and 304 on a match, CORS as before, and new content
 * as soon as a key rotation rebuilds the provider.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { skewClock, startIssuerHarness, type Harness } from "./issuer-harness.ts";

const DISCOVERY = "/.well-known/openid-configuration";

async function get(h: Harness, path: string, headers: Record<string, string> = {}) {
  const res = await h.fetch(`${h.url}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

describe("discovery and JWKS from memory", () => {
  const clock = skewClock();
  let h: Harness;
  before(async () => {
    h = await startIssuerHarness({ clock, config: { keyRotationPeriodMs: 3_600_000 }, issuerPath: "/dex" });
  });
  after(() => h.close());

  for (const path of [DISCOVERY, "/jwks"]) {
    test(`${path}: the kept answer equals oidc-provider's and carries an ETag that yields 304`, async () => {
      const first = await get(h, path);
      const kept = await get(h, path);
      assert.equal(first.status, 200);
      assert.equal(kept.body, first.body);
      assert.equal(kept.headers.get("content-type"), first.headers.get("content-type"));
      assert.equal(kept.headers.get("access-control-allow-origin"), "*");
      const etag = kept.headers.get("etag");
      assert.match(etag ?? "", /^"[\w-]{27}"$/);
      const again = await get(h, path, { "if-none-match": etag ?? "" });
      assert.equal(again.status, 304);
      assert.equal(again.body, "");
    });

    test(`${path}: a request with an Origin still gets its origin back`, async () => {
      await get(h, path);
      const cors = await get(h, path, { origin: "https://app.example.com" });
      assert.equal(cors.status, 200);
      assert.equal(cors.headers.get("access-control-allow-origin"), "https://app.example.com");
    });
  }

  test("a key rotation changes the JWKS served, and its ETag", async () => {
    await get(h, "/jwks");
    const before = await get(h, "/jwks");
    clock.advance(3_600_000 + 1_000);
    await h.issuer.maintain();
    await get(h, "/jwks");
    const afterRotation = await get(h, "/jwks");
    assert.notEqual(afterRotation.body, before.body);
    assert.notEqual(afterRotation.headers.get("etag"), before.headers.get("etag"));
  });
});
