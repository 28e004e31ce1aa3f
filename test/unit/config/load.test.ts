import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { loadProxyConfig } from "../../../src/config/load.ts";
import { ConfigError } from "../../../src/config/errors.ts";
import { makeFixture, type Fixture } from "./fixtures.ts";

let f: Fixture;
before(async () => { f = await makeFixture(); });
after(() => f.cleanup());

/** The lines a user reads on stderr for this command line. */
async function lines(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadProxyConfig(argv, env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.code, "config_invalid");
    return e.lines();
  }
  assert.fail("expected a ConfigError");
}

describe("defaults", () => {
  test("the minimal command line gets kube-oidc-proxy's defaults", async () => {
    const c = await loadProxyConfig(f.baseFlags, {});
    assert.deepEqual(c.oidc, [{
      issuerUrl: "https://idp.example.com", audiences: ["kubernetes"], usernameClaim: "sub", usernamePrefix: "https://idp.example.com#",
      groupsPrefix: "", signingAlgs: ["RS256"], requiredClaims: {},
    }]);
    assert.deepEqual(c.listen, { host: "0.0.0.0", port: 6443 });
    assert.equal(c.readinessProbePort, 8080);
    assert.equal(c.metricsListen, undefined);
    assert.equal(c.flushIntervalMs, 50);
    assert.equal(c.shutdownGracePeriodMs, 30_000);
    assert.equal(c.maxHeaderSize, 1_048_576);
    assert.equal(c.logLevel, "info");
    assert.deepEqual(c.extraUserHeaders, {});
    assert.equal(c.extraUserHeaderClientIp, false);
    assert.equal(c.allowReservedIdentities, false);
    assert.equal(c.tlsCertFile, f.certFile);
    assert.equal(c.tlsPrivateKeyFile, f.keyFile);
  });

  test("the result is deeply frozen", async () => {
    const c = await loadProxyConfig(f.baseFlags, {});
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.oidc) && Object.isFrozen(c.oidc[0]) && Object.isFrozen(c.oidc[0]?.signingAlgs));
    assert.ok(Object.isFrozen(c.upstream) && Object.isFrozen(c.listen) && Object.isFrozen(c.extraUserHeaders));
    assert.throws(() => { (c.oidc[0]?.signingAlgs as string[]).push("ES256"); }, TypeError);
  });
});

describe("every flag reaches the config", () => {
  test("oidc flags", async () => {
    const c = await loadProxyConfig([...f.baseFlags,
      "--oidc-ca-file", f.caFile, "--oidc-username-claim=email", "--oidc-username-prefix", "oidc:", "--oidc-groups-claim=groups",
      "--oidc-groups-prefix=oidc:", "--oidc-signing-algs=ES256,PS512", "--oidc-signing-algs", "RS384",
      "--oidc-required-claim=hd=example.com,tier=gold", "--oidc-required-claim", "env=prod"], {});
    const [o] = c.oidc;
    assert.equal(o?.caPem, f.caPem);
    assert.equal(o?.usernameClaim, "email");
    assert.equal(o?.usernamePrefix, "oidc:");
    assert.equal(o?.groupsClaim, "groups");
    assert.equal(o?.groupsPrefix, "oidc:");
    assert.deepEqual(o?.signingAlgs, ["ES256", "PS512", "RS384"]);
    assert.deepEqual(o?.requiredClaims, { hd: "example.com", tier: "gold", env: "prod" });
  });

  test("serving, identity and process flags", async () => {
    const c = await loadProxyConfig([...f.baseFlags,
      "--secure-port", "8443", "--bind-address=127.0.0.1", "--metrics-serving-address=127.0.0.1:9090", "-P", "8081",
      "--flush-interval=-1ms", "--extra-user-headers=team=a,team=b", "--extra-user-headers", "Site=eu", "--extra-user-header-client-ip",
      "--allow-reserved-identities=true", "--shutdown-grace-period=1m30s", "--max-request-header-bytes=32768", "--log-level=debug"], {});
    assert.deepEqual(c.listen, { host: "127.0.0.1", port: 8443 });
    assert.deepEqual(c.metricsListen, { host: "127.0.0.1", port: 9090 });
    assert.equal(c.readinessProbePort, 8081);
    assert.equal(c.flushIntervalMs, -1);
    assert.deepEqual(c.extraUserHeaders, { team: ["a", "b"], site: ["eu"] });
    assert.equal(c.extraUserHeaderClientIp, true);
    assert.equal(c.allowReservedIdentities, true);
    assert.equal(c.shutdownGracePeriodMs, 90_000);
    assert.equal(c.maxHeaderSize, 32768);
    assert.equal(c.logLevel, "debug");
  });

  test("booleans take =false, and the last of a repeated single-value flag wins (as pflag)", async () => {
    const c = await loadProxyConfig([...f.baseFlags, "--extra-user-header-client-ip=false", "--log-level=warn", "--log-level=error", "--readiness-probe-port=0"], {});
    assert.equal(c.extraUserHeaderClientIp, false);
    assert.equal(c.logLevel, "error");
    assert.equal(c.readinessProbePort, undefined, "0 turns the probe off");
  });

  test("--metrics-serving-address with an empty host listens on all IPv4 interfaces; [v6]:port works", async () => {
    assert.deepEqual((await loadProxyConfig([...f.baseFlags, "--metrics-serving-address=:9090"], {})).metricsListen, { host: "0.0.0.0", port: 9090 });
    assert.deepEqual((await loadProxyConfig([...f.baseFlags, "--metrics-serving-address=[::1]:9090"], {})).metricsListen, { host: "::1", port: 9090 });
  });
});

describe("username prefix (kube-apiserver's flag rules)", () => {
  const cases: [string[], string][] = [
    [[], "https://idp.example.com#"],
    [["--oidc-username-prefix="], "https://idp.example.com#"],
    [["--oidc-username-prefix=-"], ""],
    [["--oidc-username-prefix=oidc:"], "oidc:"],
    [["--oidc-username-claim=email"], ""],
    [["--oidc-username-claim=email", "--oidc-username-prefix=-"], ""],
    [["--oidc-username-claim=email", "--oidc-username-prefix=mail:"], "mail:"],
    [["--oidc-username-claim=preferred_username"], "https://idp.example.com#"],
    [["--oidc-username-claim=preferred_username", "--oidc-username-prefix=-"], ""],
  ];
  for (const [extra, want] of cases) {
    test(`${extra.join(" ") || "(no prefix flags)"} → ${JSON.stringify(want)}`, async () => {
      const c = await loadProxyConfig([...f.baseFlags, ...extra], {});
      assert.equal(c.oidc[0]?.usernamePrefix, want);
    });
  }
});

describe("validation errors, each as the line the user reads", () => {
  const cases: [string, string[], string[]][] = [
    ["port out of range", ["--secure-port=99999"], ['kubeward: --secure-port: must be a port number 1-65535 (got "99999")']],
    ["port zero", ["--secure-port=0"], ['kubeward: --secure-port: must be a port number 1-65535 (got "0")']],
    ["probe port", ["--readiness-probe-port=http"], ['kubeward: --readiness-probe-port: must be a port number 1-65535, or 0 to turn it off (got "http")']],
    ["probe port clashes", ["--readiness-probe-port=6443"], ["kubeward: --readiness-probe-port: must differ from --secure-port (both 6443)"]],
    ["metrics port clashes", ["--metrics-serving-address=0.0.0.0:8080"], ["kubeward: --metrics-serving-address: uses the same port as --readiness-probe-port (8080)"]],
    ["http issuer", ["--oidc-issuer-url=http://x"], ['kubeward: --oidc-issuer-url: must be an https URL without query or fragment (got "http://x")']],
    ["issuer with query", ["--oidc-issuer-url=https://x/?a=b"], ['kubeward: --oidc-issuer-url: must be an https URL without query or fragment (got "https://x/?a=b")']],
    ["issuer with fragment", ["--oidc-issuer-url=https://x/#f"], ['kubeward: --oidc-issuer-url: must be an https URL without query or fragment (got "https://x/#f")']],
    ["issuer with user info (not echoed)", ["--oidc-issuer-url=https://u:secret@x"], ["kubeward: --oidc-issuer-url: must be an https URL without user info (the value is not shown)"]],
    ["bind address", ["--bind-address=localhost"], ['kubeward: --bind-address: must be an IP address such as 0.0.0.0 or :: (got "localhost")']],
    ["host:port", ["--metrics-serving-address=9090"], ['kubeward: --metrics-serving-address: must be host:port with a port 1-65535, e.g. 0.0.0.0:9090 (got "9090")']],
    ["duration", ["--flush-interval=50"], ['kubeward: --flush-interval: must be a duration such as 50ms, 1s or 1m30s (got "50")']],
    ["negative grace period", ["--shutdown-grace-period=-1s"], ['kubeward: --shutdown-grace-period: must be a duration such as 50ms, 1s or 1m30s (got "-1s")']],
    ["header bytes", ["--max-request-header-bytes=10"], ['kubeward: --max-request-header-bytes: must be a whole number of bytes from 1024 to 16777216 (got "10")']],
    ["log level", ["--log-level=verbose"], ['kubeward: --log-level: must be one of fatal, error, warn, info, debug, trace (got "verbose")']],
    ["alg none", ["--oidc-signing-algs=none"], ['kubeward: --oidc-signing-algs: "none" is refused: it accepts unsigned tokens, which anyone can forge']],
    ["alg HS256", ["--oidc-signing-algs=RS256,HS256"], ['kubeward: --oidc-signing-algs: "HS256" is refused: HMAC algorithms verify with a shared secret, so whoever can verify a token can also forge one']],
    ["alg unknown", ["--oidc-signing-algs=EdDSA"], ['kubeward: --oidc-signing-algs: must be one of RS256, RS384, RS512, ES256, ES384, ES512, PS256, PS384, PS512 (got "EdDSA")']],
    ["required claim syntax", ["--oidc-required-claim=hd"], ['kubeward: --oidc-required-claim: must be key=value (got "hd")']],
    ["extra key", ["--extra-user-headers=bad key=v"], ['kubeward: --extra-user-headers: key must be letters, digits and . _ / - (got "bad key")']],
    ["bool value", ["--allow-reserved-identities=yes"], ['kubeward: --allow-reserved-identities: must be true or false (got "yes")']],
    ["value missing", ["--oidc-groups-claim"], ["kubeward: --oidc-groups-claim: needs a value; see 'kubeward proxy --help'"]],
    ["unreadable CA", ["--oidc-ca-file=/nonexistent/ca.crt"], ['kubeward: --oidc-ca-file: cannot read "/nonexistent/ca.crt": ENOENT']],
  ];
  for (const [name, extra, want] of cases) {
    test(name, async () => assert.deepEqual(await lines([...f.baseFlags, ...extra]), want));
  }

  test("a CA file without a certificate", async () => {
    assert.deepEqual(await lines([...f.baseFlags, `--oidc-ca-file=${f.keyFile}`]), ["kubeward: --oidc-ca-file: does not hold a PEM certificate (-----BEGIN CERTIFICATE-----)"]);
  });

  test("a TLS key that does not match the certificate", async () => {
    assert.deepEqual(await lines([...f.baseFlags, `--tls-private-key-file=${f.otherKeyFile}`]), ["kubeward: --tls-private-key-file: does not match the certificate in --tls-cert-file"]);
  });

  test("a TLS key file that holds no key", async () => {
    const [line] = await lines([...f.baseFlags, `--tls-private-key-file=${f.caFile}`]);
    assert.match(line ?? "", /^kubeward: --tls-private-key-file: does not hold a usable unencrypted PEM private key: /);
  });

  test("an empty command line names every required flag at once", async () => {
    assert.deepEqual(await lines([]), [
      "kubeward: --oidc-issuer-url: required",
      "kubeward: --oidc-client-id: required",
      "kubeward: --tls-cert-file: required",
      "kubeward: --tls-private-key-file: required",
      "kubeward: --kubeconfig: required outside a Kubernetes pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)",
    ]);
  });

  test("several problems are reported together", async () => {
    assert.deepEqual(await lines([...f.baseFlags, "--secure-port=99999", "--log-level=loud"]), [
      'kubeward: --secure-port: must be a port number 1-65535 (got "99999")',
      'kubeward: --log-level: must be one of fatal, error, warn, info, debug, trace (got "loud")',
    ]);
  });
});

describe("flags kubeward does not take", () => {
  const cases: [string[], string][] = [
    [["--token-passthrough"], "kubeward: --token-passthrough: not supported by kubeward: kubeward always authenticates tokens itself and impersonates the user"],
    [["--disable-impersonation=true"], "kubeward: --disable-impersonation: not supported by kubeward: kubeward always impersonates the authenticated user"],
    [["--audit-log-path", "/var/log/audit"], "kubeward: --audit-log-path: not supported by kubeward: kubeward writes no Kubernetes audit log (kube-apiserver's audit log records the impersonated user)"],
    [["--server=https://x"], "kubeward: --server: not supported by kubeward: set the upstream's address and credentials in the --kubeconfig file"],
    [["-v=4"], "kubeward: -v: not supported by kubeward: use --log-level"],
    [["--oidc-issuer"], "kubeward: --oidc-issuer: unknown flag; see 'kubeward proxy --help'"],
    [["-secure-port=1"], "kubeward: -secure-port: unknown flag; see 'kubeward proxy --help'"],
    [["serve"], `kubeward: "serve": unexpected argument; see 'kubeward proxy --help'`],
  ];
  for (const [extra, want] of cases) {
    test(extra.join(" "), async () => assert.deepEqual(await lines([...f.baseFlags, ...extra]), [want]));
  }

  test("every refused flag is named, not only the first", async () => {
    assert.equal((await lines([...f.baseFlags, "--token-passthrough", "--bogus", "--audit-policy-file=x"])).length, 3);
  });
});

describe("listeners must not share a port", () => {
  test("metrics on the proxy's port", async () => {
    assert.deepEqual(await lines([...f.baseFlags, "--metrics-serving-address=127.0.0.1:6443"]), ["kubeward: --metrics-serving-address: uses the same port as --secure-port (6443)"]);
  });

  test("different addresses may share a port", async () => {
    const c = await loadProxyConfig([...f.baseFlags, "--bind-address=127.0.0.1", "--metrics-serving-address=127.0.0.2:6443"], {});
    assert.deepEqual(c.metricsListen, { host: "127.0.0.2", port: 6443 });
  });
});
