import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../../src/config/errors.ts";
import { loadServeConfig } from "../../../src/serve/load.ts";

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), "serve-load-")); });
after(() => rm(dir, { recursive: true, force: true }));

let n = 0;
async function configFile(yaml: string): Promise<string> {
  const file = join(dir, `kubeward-${n++}.yaml`);
  await writeFile(file, yaml);
  return file;
}

async function problems(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadServeConfig(["--config", await configFile(yaml)], { HOME: dir, ...env });
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return assert.fail("expected a ConfigError");
}

describe("serve config file", () => {
  test("an unknown field is named by its path, in every section (the proxy's included)", async () => {
    assert.deepEqual(await problems("issuer:\n  urll: https://id.example\nproxy:\n  securPort: 6443\n"), [
      "issuer.urll: unknown field",
      "proxy.securPort: unknown field",
    ]);
  });

  test("a wrong type says what was expected and what was given", async () => {
    assert.deepEqual(await problems("proxy:\n  securePort: high\nclients:\n  - { id: a, name: A, passwordGrant: yes }\n"), [
      "clients[0].passwordGrant: must be true or false (got \"yes\")",
      "proxy.securePort: must be a whole number (got \"high\")",
    ]);
  });

  test("a connector's missing field is named under connectors[i].config", async () => {
    const yaml = "connectors:\n  - type: local\n    id: local\n    name: Email\n    config:\n      staticPasswords:\n        - { email: a@example.com, username: a, userID: a1 }\n";
    assert.deepEqual(await problems(yaml), ["connectors[0].config.staticPasswords[0].hash: required"]);
  });

  test("every problem is reported together, across sections", async () => {
    const yaml = [
      "issuer: { url: http://id.example, idTokenTTL: soon }",
      "connectors:",
      "  - { type: oidc, id: up, name: Upstream, config: { issuer: https://up.example } }",
      "  - { type: ldapx, id: up, name: Other }",
      "clients:",
      "  - { id: web, name: Web, secretEnv: WEB_SECRET }",
      "  - { id: web, name: Again, passwordGrant: true }",
      "",
    ].join("\n");
    const found = await problems(yaml);
    for (const expected of [
      /^issuer\.idTokenTTL: must be a duration/,
      /^issuer\.url: /,
      /^connectors\[0\]\.config\.clientID: required$/,
      /^connectors\[1\]\.type: must be one of .*\blocal\b.*\(got "ldapx"\)/,
      /^connectors\[1\]\.id: up is listed twice$/,
      /^clients\[0\]\.secretEnv: the environment variable WEB_SECRET is not set or empty$/,
      /^clients\[1\]\.id: web is listed twice$/,
      /^clients\[1\]\.passwordGrant: needs issuer\.passwordConnector$/,
    ]) assert.ok(found.some((p) => expected.test(p)), `${String(expected)} in ${JSON.stringify(found, null, 1)}`);
  });

  test("a syntax error names the line", async () => {
    const [line] = await problems("issuer:\n  url: [unclosed\n");
    assert.match(line ?? "", /kubeward-\d+\.yaml:\d+:\d+: /);
  });
});

describe("client secrets", () => {
  const yaml = (client: string) => `issuer: { passwordConnector: local }\nconnectors: [{ type: local, id: local, name: Email }]\nclients:\n  - ${client}\n`;

  test("come from an environment variable", async () => {
    const config = await loadServeConfig(["--config", await configFile(yaml("{ id: web, name: Web, secretEnv: WEB_SECRET }"))], { HOME: dir, WEB_SECRET: "s3cret" });
    assert.equal(config.clients[0]?.secret, "s3cret");
  });

  test("come from a file relative to the config file, without its final newline", async () => {
    await writeFile(join(dir, "web.secret"), "from-file\n");
    const config = await loadServeConfig(["--config", await configFile(yaml("{ id: web, name: Web, secretFile: web.secret }"))], { HOME: dir });
    assert.equal(config.clients[0]?.secret, "from-file");
  });

  test("a missing file, an empty one, or both sources are problems", async () => {
    await writeFile(join(dir, "empty.secret"), "\n");
    assert.deepEqual(await problems(yaml("{ id: a, name: A, secretFile: nowhere.secret }")), [`clients[0].secretFile: cannot read ${JSON.stringify(join(dir, "nowhere.secret"))}: ENOENT`]);
    assert.deepEqual(await problems(yaml("{ id: a, name: A, secretFile: empty.secret }")), [`clients[0].secretFile: ${JSON.stringify(join(dir, "empty.secret"))} is empty`]);
    assert.deepEqual(await problems(yaml("{ id: a, name: A, secretFile: empty.secret, secretEnv: X }"), { X: "x" }), ["clients[0].secretFile: give secretEnv or secretFile, not both"]);
  });

  test("an inline secret is refused: secrets are referenced, never written in the file", async () => {
    assert.deepEqual(await problems(yaml("{ id: a, name: A, secret: hunter2 }")), ["clients[0].secret: unknown field"]);
  });

  test("a public client has no secret", async () => {
    const config = await loadServeConfig(["--config", await configFile(yaml("{ id: cli, name: CLI, redirectURIs: ['http://127.0.0.1'] }"))], { HOME: dir });
    assert.equal(config.clients[0]?.secret, undefined);
  });
});

describe("zero-config defaults", () => {
  test("no file: state under ~/.local/state/kubeward, sqlite there, the local connector, the login client and an admin", async () => {
    const config = await loadServeConfig([], { HOME: dir });
    const state = join(dir, ".local", "state", "kubeward");
    assert.equal(config.stateDir, state);
    assert.deepEqual(config.storage, { type: "sqlite", config: { file: join(state, "issuer.db") } });
    assert.deepEqual(config.connectors.map((c) => c.type), ["local"]);
    assert.deepEqual(config.clients.map((c) => [c.id, c.secret]), [["kubeward", undefined]]);
    assert.equal(config.initialAdmin?.email, "admin@kubeward.local");
    assert.deepEqual(config.issuerListen, { host: "127.0.0.1", port: 5556, movable: true });
    assert.equal(config.issuerUrl, undefined);
    assert.ok(Object.isFrozen(config.clients));
  });

  test("$XDG_STATE_HOME and --state-dir choose the state directory, the flag first", async () => {
    assert.equal((await loadServeConfig([], { HOME: dir, XDG_STATE_HOME: "/xdg" })).stateDir, "/xdg/kubeward");
    assert.equal((await loadServeConfig(["--state-dir", "/elsewhere"], { HOME: dir, XDG_STATE_HOME: "/xdg" })).stateDir, "/elsewhere");
  });

  test("an issuer URL fixes the listen port; connectors given mean no admin unless asked for", async () => {
    const config = await loadServeConfig(["--config", await configFile("issuer: { url: 'https://id.example.com:8443/' }\nconnectors: [{ type: local, id: local, name: Email }]\n")], { HOME: dir });
    assert.equal(config.issuerUrl, "https://id.example.com:8443");
    assert.deepEqual(config.issuerListen, { host: "127.0.0.1", port: 8443, movable: false });
    assert.equal(config.initialAdmin, undefined);
  });

  test("an initial admin needs a local connector", async () => {
    const yaml = "issuer: { allowMockConnector: true }\ninitialAdmin: { email: root@example.com }\nconnectors: [{ type: mock, id: dev, name: Dev, config: { users: [{ username: a, password: a, email: a@example.com }] } }]\n";
    assert.deepEqual(await problems(yaml), ["initialAdmin: needs a connector of type local to log in with"]);
  });
});
