import { test } from "node:test";
import assert from "node:assert/strict";
import { checkReservedIdentity } from "../../../src/proxy/stages/reserved-identity.ts";
import { isKubewardError } from "../../../src/errors.ts";

const user = (username: string, groups: string[] = []) => ({ username, groups, extra: {} });

test("system: users and groups are refused unless allowed", () => {
  for (const u of [user("system:admin"), user("system:serviceaccount:kube-system:x"), user("eve", ["devs", "system:masters"])]) {
    assert.throws(() => checkReservedIdentity(u, false), (e) => isKubewardError(e, "identity_reserved"));
    assert.doesNotThrow(() => checkReservedIdentity(u, true));
  }
});

test("names that merely contain system: are fine", () => {
  assert.doesNotThrow(() => checkReservedIdentity(user("https://issuer#system:admin", ["oidc:system:masters"]), false));
  assert.doesNotThrow(() => checkReservedIdentity(user("System:Admin"), false));
});
