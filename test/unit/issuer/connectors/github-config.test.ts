/** The github connector's config: schema errors name the field; combinations the schema cannot see are refused. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../../../src/config/errors.ts";
import { schemaProblems } from "../../../../src/issuer/connectors/config-problems.ts";
import { checkGitHubConfig, githubConfigSchema, type GitHubConfig } from "../../../../src/issuer/connectors/github/github-config.ts";

const base: GitHubConfig = { clientID: "id", clientSecret: "secret" };

async function problems(config: GitHubConfig): Promise<string[]> {
  try {
    await checkGitHubConfig(config);
    return [];
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

test("the schema names missing, unknown and malformed fields", () => {
  const found = schemaProblems(githubConfigSchema, { clientID: "id", org: "acme", teamNameField: "title", hostName: "https://ghe.example", orgs: [{ teams: ["a"] }] }, "connectors[0].config");
  assert.deepEqual(found.map((p) => p.path).sort(), [
    "connectors[0].config.clientSecret", "connectors[0].config.hostName", "connectors[0].config.org",
    "connectors[0].config.orgs[0].name", "connectors[0].config.teamNameField",
  ]);
  assert.ok(found.some((p) => p.message === "must be one of name, slug, both (got \"title\")"));
  assert.deepEqual(schemaProblems(githubConfigSchema, { ...base, hostName: "ghe.example:8443", orgs: [{ name: "acme", teams: ["sre"] }], teamNameField: "both", preferredEmailDomain: "*.example.com" }, "c"), []);
});

test("rootCA needs hostName, orgs and loadAllGroups exclude each other, and an unreadable rootCA is named", async () => {
  assert.deepEqual(await problems({ ...base, rootCA: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" }).then((p) => p[0]), "rootCA: needs hostName (a CA is only used for a GitHub Enterprise host)");
  assert.deepEqual(await problems({ ...base, orgs: [{ name: "acme" }], loadAllGroups: true }), ["loadAllGroups: cannot be combined with orgs (orgs already decides the groups)"]);
  const [unreadable] = await problems({ ...base, hostName: "ghe.example", rootCA: "/nonexistent/ca.pem" });
  assert.match(unreadable ?? "", /^rootCA: cannot read "\/nonexistent\/ca.pem": ENOENT/);
  assert.deepEqual(await problems({ ...base, hostName: "ghe.example" }), []);
});
