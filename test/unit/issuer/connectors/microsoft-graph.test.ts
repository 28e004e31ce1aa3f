/** The microsoft connector's ID token reading (groups and overage markers) and config checks. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../../../src/config/errors.ts";
import { isKubewardError } from "../../../../src/errors.ts";
import { idTokenGroups } from "../../../../src/issuer/connectors/microsoft/microsoft-graph.ts";
import { checkMicrosoftConfig } from "../../../../src/issuer/connectors/microsoft/microsoft-config.ts";

const unsigned = (claims: object) => `${Buffer.from('{"alg":"RS256"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.sig`;

test("the groups claim is used; _claim_names.groups or hasgroups mean an overage; another audience is refused", () => {
  assert.deepEqual(idTokenGroups(unsigned({ aud: "app", oid: "o", groups: ["g1"] }), "app"), { oid: "o", groups: ["g1"] });
  assert.deepEqual(idTokenGroups(unsigned({ aud: "app", _claim_names: { groups: "src1" } }), "app"), { oid: undefined, groups: undefined });
  assert.equal(idTokenGroups(unsigned({ aud: ["app"], hasgroups: true, groups: ["partial"] }), "app").groups, undefined);
  assert.throws(() => idTokenGroups(unsigned({ aud: "other" }), "app"), (e) => isKubewardError(e, "connector_callback_invalid"));
  assert.throws(() => idTokenGroups("not-a-jwt", "app"), (e) => isKubewardError(e, "connector_callback_invalid"));
});

test("config: groups need a single tenant; useGroupsAsWhitelist needs groups", () => {
  const base = { clientID: "a", clientSecret: "b" };
  assert.throws(() => checkMicrosoftConfig({ ...base, tenant: "organizations", groups: ["x"] }), (e) => e instanceof ConfigError && e.problems[0]?.path === "groups");
  assert.throws(() => checkMicrosoftConfig({ ...base, tenant: "contoso.com", useGroupsAsWhitelist: true }), (e) => e instanceof ConfigError && e.problems[0]?.path === "useGroupsAsWhitelist");
  checkMicrosoftConfig({ ...base, tenant: "contoso.com", groups: ["x"], useGroupsAsWhitelist: true });
});
