import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { parseFlags } from "../../../src/login/flag-parser.ts";
import { LOGIN_FLAGS, readLoginOptions } from "../../../src/login/login-options.ts";

const HINT = "see 'kubeward login --help'";
const BASE = ["--oidc-issuer-url=https://idp.example", "--oidc-client-id=kubectl"];

function read(...argv: string[]) {
  const parsed = parseFlags(argv, LOGIN_FLAGS, HINT);
  const options = readLoginOptions(parsed.values, { HOME: "/home/jane" }, parsed.problems);
  return { options, problems: parsed.problems.list.map((p) => `${p.path}: ${p.message}`) };
}

describe("kubeward login flags", () => {
  test("defaults are kubelogin's", () => {
    const { options, problems } = read(...BASE);
    assert.deepEqual(problems, []);
    assert.deepEqual(options.listenAddresses, [{ host: "127.0.0.1", port: 8000 }, { host: "127.0.0.1", port: 18000 }]);
    assert.equal(options.grantType, "auto");
    assert.equal(options.tokenCacheDir, "/home/jane/.kube/cache/kubeward");
    assert.equal(options.authenticationTimeoutMs, 180_000);
    assert.deepEqual(options.scopes, ["openid"]);
    assert.equal(options.redirectHostname, "localhost");
    assert.equal(options.keyboardRedirectUrl, "urn:ietf:wg:oauth:2.0:oob");
    assert.equal(options.skipOpenBrowser, false);
  });

  test("both spellings, repeatable and comma-separated lists", () => {
    const { options, problems } = read(
      "--oidc-issuer-url", "https://idp.example/realms/x", "--oidc-client-id", "k",
      "--oidc-extra-scope=email", "--oidc-extra-scope", "groups,offline_access",
      "--listen-address=:0", "--listen-address", "[::1]:9000", "--skip-open-browser", "--force-refresh=true",
      "--authentication-timeout=1m30s", "--grant-type", "device-code",
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(options.scopes, ["openid", "email", "groups", "offline_access"]);
    assert.deepEqual(options.listenAddresses, [{ host: "127.0.0.1", port: 0 }, { host: "::1", port: 9000 }]);
    assert.equal(options.skipOpenBrowser, true);
    assert.equal(options.forceRefresh, true);
    assert.equal(options.authenticationTimeoutMs, 90_000);
    assert.equal(options.grantType, "device-code");
  });

  test("http issuers only on loopback", () => {
    assert.deepEqual(read("--oidc-issuer-url=http://127.0.0.1:5556/dex", "--oidc-client-id=k").problems, []);
    assert.match(read("--oidc-issuer-url=http://idp.example", "--oidc-client-id=k").problems[0] ?? "", /^--oidc-issuer-url: must be an https URL/);
  });

  test("every bad flag is named, all at once", () => {
    assert.deepEqual(read("--listen-address=0.0.0.0:8000", "--grant-type=implicit", "--authentication-timeout=soon", "--skip-open-browser=maybe", "-v", "stray", "--grant-type=password", "--oidc-extra-scope").problems, [
      "--skip-open-browser: must be true or false (got \"maybe\")",
      "-v: unknown flag; see 'kubeward login --help'",
      "\"stray\": unexpected argument; see 'kubeward login --help'",
      "--oidc-extra-scope: needs a value; see 'kubeward login --help'",
      "--oidc-issuer-url: is required",
      "--oidc-client-id: is required",
      "--authentication-timeout: must be a duration such as 50ms, 1s or 1m30s (got \"soon\")",
      "--username: is required with --grant-type=password",
      "--listen-address: must be a loopback IP and port such as 127.0.0.1:8000, or :0 for any free port (got \"0.0.0.0:8000\")",
    ]);
    assert.match(read(...BASE, "--grant-type=implicit").problems[0] ?? "", /^--grant-type: must be one of auto, authcode, authcode-keyboard, device-code, password, client-credentials \(got "implicit"\)$/);
    assert.deepEqual(read(...BASE, "--certificate-authority-data=bm90IGEgY2VydA==").problems, ["--certificate-authority-data: must be base64 of a PEM certificate bundle"]);
  });
});
