/** Trusted-peer audiences: only peers that list the requesting client count. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { trustedAudience } from "../../../../src/issuer/provider/token-response.ts";

test("audience scopes resolve to peers that trust the client; others are dropped", () => {
  const clients = [
    { id: "web", name: "Web", redirectURIs: [], trustedPeers: ["kubectl"] },
    { id: "robot", name: "Robot", redirectURIs: [] },
  ];
  const scope = "openid audience:server:client_id:web audience:server:client_id:robot audience:server:client_id:nobody";
  assert.deepEqual(trustedAudience(scope, "kubectl", clients), ["web"]);
  assert.deepEqual(trustedAudience("openid groups", "kubectl", clients), []);
});
