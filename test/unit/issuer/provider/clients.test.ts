/** Client metadata for oidc-provider, and syncing configured clients into storage with hashed secrets. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { systemClock } from "../../../../src/clock.ts";
import type { IssuerClientConfig } from "../../../../src/issuer/config.ts";
import { clientMetadata, createSecretVerifier, syncClients } from "../../../../src/issuer/provider/clients.ts";
import { openStorage } from "../../../../src/issuer/storage/registry.ts";

const clients: IssuerClientConfig[] = [
  { id: "kubectl", name: "kubectl", redirectURIs: ["http://127.0.0.1:8000/callback"] },
  { id: "web", name: "Web", secret: "s3cret", redirectURIs: ["https://app.example.com/cb"], trustedPeers: ["kubectl"], passwordGrant: true },
];

test("secrets are stored only as bcrypt hashes, kept when unchanged, and removed clients are deleted", async () => {
  const storage = await openStorage({ type: "memory", config: {} }, { clock: systemClock });
  await syncClients(storage, clients);
  const web = await storage.getClient("web");
  assert.ok(web?.secretHash?.startsWith("$2"));
  assert.ok(web !== undefined);
  assert.ok(!JSON.stringify(web).includes("s3cret"));
  const verify = createSecretVerifier();
  assert.equal(await verify(web.secretHash, "s3cret"), true);
  assert.equal(await verify(web.secretHash, "wrong"), false);
  assert.equal((await storage.getClient("kubectl"))?.public, true);
  await syncClients(storage, clients);
  assert.equal((await storage.getClient("web"))?.secretHash, web.secretHash, "an unchanged secret is not re-hashed");
  await syncClients(storage, [clients[0] as IssuerClientConfig]);
  assert.equal(await storage.getClient("web"), undefined);
});

test("loopback clients are native (any port); audience scopes come from the peers that trust the client", async () => {
  const m = { all: clients, alg: "RS256", passwordGrant: true };
  const kubectl = clientMetadata({ id: "kubectl", name: "kubectl", redirectURIs: ["http://127.0.0.1:8000/callback"], public: true, trustedPeers: [] }, clients[0], m);
  assert.equal(kubectl.application_type, "native");
  assert.equal(kubectl.token_endpoint_auth_method, "none");
  assert.match(String(kubectl.scope), /audience:server:client_id:web/);
  assert.ok(!(kubectl.grant_types as string[]).includes("password"));
  const web = clientMetadata({ id: "web", name: "Web", redirectURIs: ["https://app.example.com/cb"], public: false, secretHash: "$2x", trustedPeers: ["kubectl"] }, clients[1], m);
  assert.equal(web.application_type, "web");
  assert.ok((web.grant_types as string[]).includes("password"));
  assert.doesNotMatch(String(web.scope), /audience:/);
});

test("a client secret is checked with bcrypt once; later checks of the same secret are remembered, failures never", async () => {
  const calls: string[] = [];
  const verify = createSecretVerifier({ compare: async (presented) => { calls.push(presented); return presented === "right"; } });
  assert.equal(await verify("$2a$10$hash", "right"), true);
  assert.equal(await verify("$2a$10$hash", "right"), true);
  assert.deepEqual(calls, ["right"]);
  assert.equal(await verify("$2a$10$hash", "wrong"), false);
  assert.equal(await verify("$2a$10$hash", "wrong"), false);
  assert.deepEqual(calls, ["right", "wrong", "wrong"]);
  assert.equal(await verify("$2a$10$other", "right"), true, "a changed hash is checked again");
  assert.deepEqual(calls, ["right", "wrong", "wrong", "right"]);
  assert.equal(await verify(undefined, "right"), false);
  assert.equal(await verify("$2a$10$hash", ""), false);
});

test("concurrent checks of one secret share one bcrypt run; a failed one is not kept", async () => {
  const calls: string[] = [];
  const verify = createSecretVerifier({ compare: async (presented) => { calls.push(presented); await new Promise((r) => setTimeout(r, 10)); return presented === "right"; } });
  assert.deepEqual(await Promise.all(Array.from({ length: 16 }, () => verify("$2a$10$hash", "right"))), Array(16).fill(true));
  assert.deepEqual(calls, ["right"]);
  assert.deepEqual(await Promise.all([verify("$2a$10$hash", "wrong"), verify("$2a$10$hash", "wrong")]), [false, false]);
  assert.equal(await verify("$2a$10$hash", "wrong"), false);
  assert.deepEqual(calls, ["right", "wrong", "wrong"]);
});
