import { test } from "node:test";
import assert from "node:assert/strict";
import { discoverJwksUri, discoveryDocumentUrl } from "../../../src/auth/discovery.ts";

const signal = new AbortController().signal;
function serving(doc: unknown) {
  const asked: string[] = [];
  return { asked, get: async (url: string) => (asked.push(url), doc) };
}

test("discovery is fetched from the issuer's well-known path, or discoveryUrl when set", () => {
  assert.equal(discoveryDocumentUrl("https://idp.example/realms/a"), "https://idp.example/realms/a/.well-known/openid-configuration");
  assert.equal(discoveryDocumentUrl("https://idp.example/"), "https://idp.example/.well-known/openid-configuration");
  assert.equal(discoveryDocumentUrl("https://idp.example", "https://internal/disco"), "https://internal/disco");
});

test("jwks_uri is returned when discovery names the configured issuer", async () => {
  const s = serving({ issuer: "https://idp.example", jwks_uri: "https://idp.example/keys" });
  assert.equal(await discoverJwksUri(s.get, "https://idp.example", undefined, signal), "https://idp.example/keys");
  assert.deepEqual(s.asked, ["https://idp.example/.well-known/openid-configuration"]);
});

test("a discovery document naming another issuer is refused, even one differing by a trailing slash", async () => {
  for (const issuer of ["https://evil.example", "https://idp.example/", undefined]) {
    const s = serving({ issuer, jwks_uri: "https://idp.example/keys" });
    await assert.rejects(discoverJwksUri(s.get, "https://idp.example", undefined, signal), /names issuer/);
  }
});

test("with discoveryUrl, the document must still name the configured issuer", async () => {
  const s = serving({ issuer: "https://idp.example", jwks_uri: "https://internal/keys" });
  assert.equal(await discoverJwksUri(s.get, "https://idp.example", "https://internal/disco", signal), "https://internal/keys");
  assert.deepEqual(s.asked, ["https://internal/disco"]);
});

test("a document without jwks_uri, or not an object, is refused", async () => {
  await assert.rejects(discoverJwksUri(serving({ issuer: "https://i" }).get, "https://i", undefined, signal), /no jwks_uri/);
  await assert.rejects(discoverJwksUri(serving("hello").get, "https://i", undefined, signal), /not a JSON object/);
});
