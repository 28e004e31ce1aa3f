import { test, describe, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile, access } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { parse } from "yaml";
import { run } from "../../../src/cli/run.ts";
import { runLogin } from "../../../src/cli/login.ts";
import { runKubeconfig } from "../../../src/cli/kubeconfig.ts";
import { TokenCache } from "../../../src/login/token-cache.ts";
import { createCertificateAuthority } from "../../../src/pki/certificates.ts";

interface Result { code: number; stdout: string; stderr: string }

function io(env: NodeJS.ProcessEnv) {
  const out = { stdout: "", stderr: "" };
  return { out, io: { stdout: (t: string) => { out.stdout += t; }, stderr: (t: string) => { out.stderr += t; }, env, shutdownSignal: () => new Promise<string>(() => undefined) } };
}

const TERMINAL = { stdin: Readable.from([]), stderrIsTTY: false, platform: "linux" as const };

async function login(env: NodeJS.ProcessEnv, ...argv: string[]): Promise<Result> {
  const { out, io: cliIo } = io(env);
  const code = await runLogin(argv, cliIo, TERMINAL);
  return { code, ...out };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

const jwt = (exp: number) => `e30.${Buffer.from(JSON.stringify({ sub: "jane", exp })).toString("base64url")}.sig`;

describe("kubeward login (in-process)", () => {
  let dir: string;
  let issuer: string;
  let flags: string[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "kubeward-login-cli-"));
    issuer = `https://127.0.0.1:${await closedPort()}`;
    flags = [`--oidc-issuer-url=${issuer}`, "--oidc-client-id=kubectl", `--token-cache-dir=${dir}`, "--oidc-extra-scope=email"];
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test("a fresh cached token is printed without asking the issuer, in the apiVersion kubectl asked for", async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    await new TokenCache(dir).write({ issuer, clientId: "kubectl", scopes: ["email", "openid"] }, { token: jwt(exp), expiresAt: exp * 1000, refreshToken: undefined });
    for (const apiVersion of ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]) {
      const env = { KUBERNETES_EXEC_INFO: JSON.stringify({ kind: "ExecCredential", apiVersion, spec: { interactive: false } }) };
      const r = await login(env, ...flags);
      assert.equal(r.stderr, "");
      assert.equal(r.code, 0);
      const cred = JSON.parse(r.stdout);
      assert.equal(cred.apiVersion, apiVersion);
      assert.equal(cred.status.token, jwt(exp));
      assert.equal(cred.status.expirationTimestamp, new Date(exp * 1000).toISOString().replace(".000Z", "Z"));
    }
  });

  test("an expiring cached token needs the issuer: unreachable is one line naming it, nothing on stdout", async () => {
    const exp = Math.floor(Date.now() / 1000) + 10;
    await new TokenCache(dir).write({ issuer, clientId: "kubectl", scopes: ["openid", "email"] }, { token: jwt(exp), expiresAt: exp * 1000, refreshToken: "r" });
    const r = await login({}, ...flags);
    assert.deepEqual(r, { code: 1, stdout: "", stderr: `kubeward login: cannot reach the issuer ${issuer} (ECONNREFUSED)\n` });
  });

  test("bad flags and a bad KUBERNETES_EXEC_INFO: one line each, exit 2", async () => {
    const r = await login({ KUBERNETES_EXEC_INFO: "{}" }, ...flags, "--grant-type=magic", "--certificate-authority-data=eA==");
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.deepEqual(r.stderr.trimEnd().split("\n"), [
      "kubeward login: --certificate-authority-data: must be base64 of a PEM certificate bundle",
      "kubeward login: --grant-type: must be one of auto, authcode, authcode-keyboard, device-code, password, client-credentials (got \"magic\")",
      "kubeward login: KUBERNETES_EXEC_INFO: asks for apiVersion (none); kubeward speaks client.authentication.k8s.io/v1 and client.authentication.k8s.io/v1beta1",
    ]);
  });

  test("a --certificate-authority that cannot be read is named", async () => {
    const r = await login({}, ...flags, `--certificate-authority=${join(dir, "missing.crt")}`);
    assert.deepEqual(r, { code: 2, stdout: "", stderr: `kubeward login: --certificate-authority: cannot read ${join(dir, "missing.crt")} (ENOENT)\n` });
  });

  test("dispatch: `kubeward login --help` and `kubeward logout --help` print their usage", async () => {
    for (const [cmd, head] of [["login", "Usage: kubeward login [flags]"], ["logout", "Usage: kubeward logout [flags]"], ["kubeconfig", "Usage: kubeward kubeconfig [flags]"]] as const) {
      const { out, io: cliIo } = io({});
      assert.equal(await run([cmd, "--help"], cliIo), 0);
      assert.ok(out.stdout.startsWith(head + "\n"), cmd);
    }
  });
});

describe("kubeward logout (in-process)", () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), "kubeward-logout-cli-")); });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test("removes the entry of the issuer, client and scopes given, and only it", async () => {
    const cache = new TokenCache(dir);
    const key = { issuer: "https://idp.example", clientId: "kubectl", scopes: ["openid"] };
    await cache.write(key, { token: "t", expiresAt: undefined, refreshToken: undefined });
    await cache.write({ ...key, clientId: "other" }, { token: "t2", expiresAt: undefined, refreshToken: undefined });
    const { out, io: cliIo } = io({});
    assert.equal(await run(["logout", "--oidc-issuer-url=https://idp.example", "--oidc-client-id=kubectl", `--token-cache-dir=${dir}`], cliIo), 0);
    assert.equal(out.stderr, "kubeward logout: removed the cached tokens for https://idp.example (client kubectl)\n");
    await assert.rejects(access(cache.pathOf(key)));
    assert.equal((await cache.list()).length, 1);
  });

  test("nothing cached: says so, exit 0; no issuer without --all: exit 2", async () => {
    const a = io({});
    assert.equal(await run(["logout", "--all", `--token-cache-dir=${dir}`], a.io), 0);
    assert.equal(a.out.stderr, "kubeward logout: no cached tokens\n");
    const b = io({});
    assert.equal(await run(["logout", `--token-cache-dir=${dir}`], b.io), 2);
    assert.equal(b.out.stderr, "kubeward logout: --oidc-issuer-url: is required\nkubeward logout: --oidc-client-id: is required\n");
  });
});

describe("kubeward kubeconfig (in-process)", () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), "kubeward-kubeconfig-cli-")); });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const SELF = { command: "/opt/node/bin/node", args: ["/opt/kubeward/dist/cli/main.js"] };

  test("writes into the first $KUBECONFIG file: the proxy with its CA, exec kubeward login with the login flags", async () => {
    const ca = await createCertificateAuthority("proxy CA");
    const caFile = join(dir, "proxy-ca.crt");
    await writeFile(caFile, ca.certPem);
    const issuerCa = join(dir, "issuer-ca.crt");
    await writeFile(issuerCa, ca.certPem);
    const file = join(dir, "config");
    const { out, io: cliIo } = io({ KUBECONFIG: `${file}:${join(dir, "second")}` });
    const code = await runKubeconfig([
      "--server=https://127.0.0.1:6443", `--certificate-authority=${caFile}`, "--context-name=dev", "--set-current",
      "--oidc-issuer-url=https://idp.example", "--oidc-client-id=kubectl", "--oidc-extra-scope=offline_access,email",
      "--grant-type=device-code", `--oidc-ca-file=${issuerCa}`,
    ], cliIo, SELF);
    assert.equal(code, 0, out.stderr);
    assert.equal(out.stderr, `kubeward kubeconfig: wrote context "dev" to ${file}\n`);
    const doc = parse(await readFile(file, "utf8"));
    assert.equal(doc["current-context"], "dev");
    assert.deepEqual(doc.clusters, [{ name: "dev", cluster: { server: "https://127.0.0.1:6443", "certificate-authority-data": Buffer.from(ca.certPem).toString("base64") } }]);
    assert.deepEqual(doc.contexts, [{ name: "dev", context: { cluster: "dev", user: "dev" } }]);
    assert.deepEqual(doc.users[0].user.exec, {
      apiVersion: "client.authentication.k8s.io/v1",
      command: "/opt/node/bin/node",
      args: [
        "/opt/kubeward/dist/cli/main.js", "login", "--oidc-issuer-url=https://idp.example", "--oidc-client-id=kubectl",
        "--oidc-extra-scope=offline_access", "--oidc-extra-scope=email", "--grant-type=device-code",
        `--certificate-authority-data=${Buffer.from(ca.certPem).toString("base64")}`,
      ],
      interactiveMode: "IfAvailable",
      provideClusterInfo: false,
    });
  });

  test("--exec-command replaces the running kubeward; --print writes no file", async () => {
    const { out, io: cliIo } = io({ HOME: dir });
    const code = await runKubeconfig(["--print", "--server=https://p:443", "--oidc-issuer-url=https://i", "--oidc-client-id=c", "--exec-command=kubeward"], cliIo, SELF);
    assert.equal(code, 0, out.stderr);
    const exec = parse(out.stdout).users[0].user.exec;
    assert.equal(exec.command, "kubeward");
    assert.deepEqual(exec.args, ["login", "--oidc-issuer-url=https://i", "--oidc-client-id=c"]);
    await assert.rejects(access(join(dir, ".kube", "config")));
  });

  test("every bad flag is named", async () => {
    const { out, io: cliIo } = io({ HOME: dir });
    const code = await runKubeconfig(["--server=http://p", `--certificate-authority=${join(dir, "nope")}`, "--oidc-client-id=c", "--listen-address=10.0.0.1:80"], cliIo, SELF);
    assert.equal(code, 2);
    assert.deepEqual(out.stderr.trimEnd().split("\n"), [
      "kubeward kubeconfig: --server: must be an https URL without query or fragment (got \"http://p\")",
      "kubeward kubeconfig: --oidc-issuer-url: is required",
      "kubeward kubeconfig: --listen-address: must be a loopback IP and port such as 127.0.0.1:8000, or :0 for any free port (got \"10.0.0.1:80\")",
      `kubeward kubeconfig: --certificate-authority: cannot read ${join(dir, "nope")} (ENOENT)`,
    ]);
  });
});
