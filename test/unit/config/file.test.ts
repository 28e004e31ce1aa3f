import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { loadProxyConfig } from "../../../src/config/load.ts";
import { ConfigError } from "../../../src/config/errors.ts";
import { makeFixture, type Fixture } from "./fixtures.ts";

let f: Fixture;
before(async () => { f = await makeFixture(); });
after(() => f.cleanup());

async function withFile(yaml: string, flags: readonly string[] = []) {
  const file = await f.write(`kubeward-${Math.random().toString(36).slice(2)}.yaml`, yaml);
  return { file, load: () => loadProxyConfig(["--config", file, ...flags], {}) };
}

async function lines(yaml: string, flags: readonly string[] = []): Promise<string[]> {
  const { load } = await withFile(yaml, flags);
  try {
    await load();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.lines();
  }
  assert.fail("expected a ConfigError");
}

const serving = () => `tlsCertFile: ${f.certFile}\ntlsPrivateKeyFile: ${f.keyFile}\nkubeconfig: ${f.kubeconfig}\n`;

describe("config file", () => {
  test("a complete file gives the same config as the flags", async () => {
    const yaml = `
oidc:
  issuerURL: https://idp.example.com
  clientID: kubernetes
  caFile: ${f.caFile}
  usernameClaim: email
  groupsClaim: groups
  groupsPrefix: "oidc:"
  signingAlgs: [ES256]
  requiredClaims: { hd: example.com }
${serving()}securePort: 8443
bindAddress: 127.0.0.1
metricsServingAddress: 127.0.0.1:9090
readinessProbePort: 8081
flushInterval: 100ms
extraUserHeaders: { team: [a, b], site: eu }
extraUserHeaderClientIP: true
allowReservedIdentities: false
shutdownGracePeriod: 10s
maxRequestHeaderBytes: 65536
logLevel: warn
`;
    const c = await (await withFile(yaml)).load();
    assert.deepEqual(c.oidc, [{
      issuerUrl: "https://idp.example.com", audiences: ["kubernetes"], caPem: f.caPem, usernameClaim: "email", usernamePrefix: "",
      groupsClaim: "groups", groupsPrefix: "oidc:", signingAlgs: ["ES256"], requiredClaims: { hd: "example.com" },
    }]);
    assert.deepEqual(c.listen, { host: "127.0.0.1", port: 8443 });
    assert.deepEqual(c.metricsListen, { host: "127.0.0.1", port: 9090 });
    assert.equal(c.readinessProbePort, 8081);
    assert.equal(c.flushIntervalMs, 100);
    assert.deepEqual(c.extraUserHeaders, { team: ["a", "b"], site: ["eu"] });
    assert.equal(c.extraUserHeaderClientIp, true);
    assert.equal(c.shutdownGracePeriodMs, 10_000);
    assert.equal(c.maxHeaderSize, 65536);
    assert.equal(c.logLevel, "warn");
    assert.equal(c.upstream.token, "proxy-token");
  });

  test("flags override file values field by field", async () => {
    const yaml = `oidc: { issuerURL: https://file.example.com, clientID: file-client, usernameClaim: email }\n${serving()}securePort: 8443\nlogLevel: warn\n`;
    const c = await (await withFile(yaml, ["--oidc-client-id=flag-client", "--secure-port=9443"])).load();
    assert.equal(c.oidc[0]?.issuerUrl, "https://file.example.com");
    assert.deepEqual(c.oidc[0]?.audiences, ["flag-client"]);
    assert.equal(c.oidc[0]?.usernameClaim, "email");
    assert.equal(c.listen.port, 9443);
    assert.equal(c.logLevel, "warn");
  });

  test("a list of issuers, each with its own mapping, audiences, uid claim and discovery URL", async () => {
    const yaml = `
oidc:
  - issuerURL: https://a.example.com
    clientID: kubernetes
  - issuerURL: https://b.example.com
    discoveryURL: https://internal.b.example.com/.well-known/openid-configuration
    audiences: [k8s, k8s-prod]
    usernameClaim: email
    uidClaim: oid
${serving()}`;
    const c = await (await withFile(yaml)).load();
    assert.equal(c.oidc.length, 2);
    assert.deepEqual(c.oidc[0]?.audiences, ["kubernetes"]);
    assert.equal(c.oidc[0]?.usernamePrefix, "https://a.example.com#");
    assert.deepEqual(c.oidc[1]?.audiences, ["k8s", "k8s-prod"]);
    assert.equal(c.oidc[1]?.discoveryUrl, "https://internal.b.example.com/.well-known/openid-configuration");
    assert.equal(c.oidc[1]?.uidClaim, "oid");
    assert.equal(c.oidc[1]?.usernamePrefix, "");
  });

  test("list entries are checked one by one, and a repeated issuer is refused", async () => {
    const yaml = `oidc:\n  - { issuerURL: https://a.example.com, clientID: k }\n  - { clientID: k }\n  - { issuerURL: "http://x", clientID: k }\n  - { issuerURL: https://a.example.com, clientID: k2 }\n  - { issuerURL: https://c.example.com }\n${serving()}`;
    assert.deepEqual(await lines(yaml), [
      "kubeward: oidc[1].issuerURL: required",
      'kubeward: oidc[2].issuerURL: must be an https URL without query or fragment (got "http://x")',
      "kubeward: oidc[3].issuerURL: the same issuer as oidc[0].issuerURL; each issuer may appear once",
      "kubeward: oidc[4].clientID: required (or audiences)",
    ]);
  });

  test("--oidc-* flags cannot refine a list of issuers", async () => {
    const yaml = `oidc:\n  - { issuerURL: https://a.example.com, clientID: k }\n${serving()}`;
    assert.deepEqual(await lines(yaml, ["--oidc-groups-claim=groups"]), [
      "kubeward: --oidc-groups-claim: cannot be combined with a list of issuers under oidc in the config file; set it in each entry",
    ]);
  });

  test("an unknown field is refused with its path", async () => {
    assert.deepEqual(await lines(`oidc: { issuerURL: https://a.example.com, clientId: k }\nsecurePorts: 1\n${serving()}`), [
      "kubeward: securePorts: unknown field",
      "kubeward: oidc.clientId: unknown field",
    ]);
  });

  test("a wrong type is refused with its path and the value", async () => {
    assert.deepEqual(await lines(`oidc:\n  - { issuerURL: https://a.example.com, clientID: k, signingAlgs: RS256 }\nsecurePort: "6443"\nextraUserHeaderClientIP: yes please\n`), [
      'kubeward: oidc[0].signingAlgs: must be a list (got "RS256")',
      'kubeward: securePort: must be a whole number (got "6443")',
      'kubeward: extraUserHeaderClientIP: must be true or false (got "yes please")',
    ]);
  });

  test("values are checked with the file's field names", async () => {
    assert.deepEqual(await lines(`oidc: { issuerURL: "http://x", clientID: k }\n${serving()}securePort: 99999\nflushInterval: soon\n`), [
      'kubeward: oidc.issuerURL: must be an https URL without query or fragment (got "http://x")',
      'kubeward: securePort: must be a port number 1-65535 (got "99999")',
      'kubeward: flushInterval: must be a duration such as 50ms, 1s or 1m30s (got "soon")',
    ]);
  });

  test("a missing setting names both the flag and the field", async () => {
    assert.deepEqual(await lines(`oidc: { issuerURL: https://a.example.com }\nkubeconfig: ${f.kubeconfig}\n`), [
      "kubeward: --oidc-client-id: required (or oidc.clientID in the config file)",
      "kubeward: --tls-cert-file: required (or tlsCertFile in the config file)",
      "kubeward: --tls-private-key-file: required (or tlsPrivateKeyFile in the config file)",
    ]);
  });

  test("a YAML syntax error names the file, line and column", async () => {
    const { file, load } = await withFile("oidc:\n  issuerURL: https://a.example.com\n  clientID: [k\nsecurePort: 1\n");
    await assert.rejects(load(), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.problems.length, 1);
      assert.match(e.lines()[0] ?? "", new RegExp(`^kubeward: ${file}:4:1: \\S.*$`));
      return true;
    });
  });

  test("a duplicate key is a syntax error", async () => {
    const { file, load } = await withFile("logLevel: info\nlogLevel: debug\n");
    await assert.rejects(load(), (e: unknown) => e instanceof ConfigError && e.lines()[0] === `kubeward: ${file}:2:1: Map keys must be unique`);
  });

  test("file names in the config file are relative to its directory", async () => {
    const yaml = "oidc: { issuerURL: https://a.example.com, clientID: k, caFile: ca.crt }\ntlsCertFile: tls.crt\ntlsPrivateKeyFile: ./tls.key\nkubeconfig: proxy.kubeconfig\n";
    const c = await (await withFile(yaml)).load();
    assert.equal(c.tlsCertFile, f.certFile);
    assert.equal(c.tlsPrivateKeyFile, f.keyFile);
    assert.equal(c.oidc[0]?.caPem, f.caPem);
    assert.equal(c.upstream.token, "proxy-token");
  });

  test("an unreadable config file", async () => {
    await assert.rejects(loadProxyConfig(["--config=/nonexistent/kubeward.yaml"], {}), (e: unknown) =>
      e instanceof ConfigError && e.lines().join("\n") === 'kubeward: --config: cannot read "/nonexistent/kubeward.yaml": ENOENT');
  });

  test("a file that is not a mapping", async () => {
    const { file, load } = await withFile("- a\n- b\n");
    await assert.rejects(load(), (e: unknown) => e instanceof ConfigError && e.lines()[0] === `kubeward: ${file}: must be a mapping (got "[\\"a\\",\\"b\\"]")`);
  });
});
