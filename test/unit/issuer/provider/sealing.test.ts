/** Connector data is sealed at rest, opens with older keys after a rotation, and resists tampering. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSealer } from "../../../../src/issuer/provider/sealing.ts";

test("sealed values round-trip and do not show their content", () => {
  const s = createSealer(["k1"]);
  const sealed = s.seal({ refreshToken: "upstream-secret" });
  assert.doesNotMatch(sealed, /upstream-secret/);
  assert.deepEqual(s.open(sealed), { refreshToken: "upstream-secret" });
});

test("after a key rotation old values still open; a dropped key or a flipped bit opens nothing", () => {
  const sealed = createSealer(["k1"]).seal("x");
  assert.equal(createSealer(["k2", "k1"]).open(sealed), "x");
  assert.equal(createSealer(["k2"]).open(sealed), undefined);
  const bytes = Buffer.from(sealed.slice(3), "base64url");
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
  assert.equal(createSealer(["k1"]).open(`v1.${bytes.toString("base64url")}`), undefined);
  assert.equal(createSealer(["k1"]).open("plain"), undefined);
});
