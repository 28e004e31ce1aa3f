import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { run } from "../../../src/cli/run.ts";
import { VERSION } from "../../../src/version.ts";
import { makeFixture, type Fixture } from "../config/fixtures.ts";

/** Runs a command line in-process; the proxy is never started (no signal ever comes). */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run(args, {
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
    env: {},
    shutdownSignal: () => new Promise(() => undefined),
  });
  return { code, stdout, stderr };
}

describe("command dispatch", () => {
  test("version, as a command or a flag", async () => {
    for (const args of [["version"], ["--version"], ["proxy", "--version"], ["proxy", "--bogus", "--version"]]) {
      assert.deepEqual(await cli(...args), { code: 0, stdout: `kubeward ${VERSION}\n`, stderr: "" }, args.join(" "));
    }
  });

  test("an unknown command: one line with a hint, exit 2", async () => {
    assert.deepEqual(await cli("serverless"), { code: 2, stdout: "", stderr: "kubeward: unknown command \"serverless\"; see 'kubeward --help'\n" });
  });

  test("an unknown top-level flag", async () => {
    assert.deepEqual(await cli("--verbose"), { code: 2, stdout: "", stderr: "kubeward: --verbose: unknown flag; see 'kubeward --help'\n" });
  });

  test("version takes no arguments", async () => {
    assert.deepEqual(await cli("version", "x"), { code: 2, stdout: "", stderr: "kubeward: \"x\": unexpected argument; see 'kubeward --help'\n" });
  });

  test("no command: the usage on stderr, exit 2; --help: on stdout, exit 0", async () => {
    const none = await cli();
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^Usage: kubeward <command> \[flags\]\n/);
    const help = await cli("--help");
    assert.equal(help.code, 0);
    assert.equal(help.stdout, none.stderr);
  });

  test("proxy -h is the proxy's usage", async () => {
    const r = await cli("proxy", "-h");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: kubeward proxy \[flags\]\n/);
  });
});

describe("kubeward proxy configuration errors", () => {
  let f: Fixture;
  before(async () => { f = await makeFixture(); });
  after(() => f.cleanup());

  test("every problem on its own line, exit 2, nothing on stdout", async () => {
    assert.deepEqual(await cli("proxy", ...f.baseFlags, "--secure-port=99999", "--oidc-signing-algs=none"), {
      code: 2,
      stdout: "",
      stderr: [
        "kubeward: --oidc-signing-algs: \"none\" is refused: it accepts unsigned tokens, which anyone can forge",
        "kubeward: --secure-port: must be a port number 1-65535 (got \"99999\")",
        "",
      ].join("\n"),
    });
  });

  test("a kube-oidc-proxy flag kubeward does not implement: one line saying so", async () => {
    assert.deepEqual(await cli("proxy", ...f.baseFlags, "--disable-impersonation"), {
      code: 2, stdout: "", stderr: "kubeward: --disable-impersonation: not supported by kubeward: kubeward always impersonates the authenticated user\n",
    });
  });
});
