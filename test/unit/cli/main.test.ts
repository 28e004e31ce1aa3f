import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { once } from "node:events";
import { VERSION } from "../../../src/version.ts";
import { makeFixture, type Fixture } from "../config/fixtures.ts";
import { freePort } from "../../tools/free-port.ts";
import { kubewardBin } from "../../tools/kubeward-bin.ts";

const NODE = "./node_modules/.bin/node";

interface Result { code: number | null; stdout: string; stderr: string }

/** Runs `node dist/cli/main.js …` (the built bundle) to the end. */
async function cli(...args: string[]): Promise<Result> {
  const child = spawn(NODE, [kubewardBin(), ...args], { env: { PATH: process.env["PATH"] ?? "" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}


describe("kubeward CLI (a real process)", () => {
  test("--version prints the version, at the top or after proxy", async () => {
    for (const args of [["--version"], ["proxy", "--version"]]) {
      assert.deepEqual(await cli(...args), { code: 0, stdout: `kubeward ${VERSION}\n`, stderr: "" }, args.join(" "));
    }
  });

  test("a bad flag: one line on stderr, exit 2", async () => {
    assert.deepEqual(await cli("proxy", "--oidc-issuer"), { code: 2, stdout: "", stderr: "kubeward: --oidc-issuer: unknown flag; see 'kubeward proxy --help'\n" });
  });

  test("proxy --help lists every flag with its default", async () => {
    const r = await cli("proxy", "--help");
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "");
    const { FLAGS } = await import("../../../src/config/flag-table.ts");
    for (const f of FLAGS) assert.ok(r.stdout.includes(`--${f.name}`), f.name);
    for (const d of ["(default sub)", "(default RS256)", "(default 6443)", "(default 0.0.0.0)", "(default 8080)", "(default 50ms)", "(default 30s)", "(default info)"]) {
      assert.ok(r.stdout.includes(d), d);
    }
  });
});

describe("kubeward proxy runs and stops", () => {
  let f: Fixture;
  before(async () => { f = await makeFixture(); });
  after(() => f.cleanup());

  /** Flags for a proxy on 127.0.0.1:port whose issuer and upstream refuse connections. */
  async function unreachableFlags(port: number): Promise<string[]> {
    const kubeconfig = await f.write("unreachable.kubeconfig", JSON.stringify({
      "current-context": "c", clusters: [{ name: "k", cluster: { server: "https://127.0.0.1:1" } }],
      users: [{ name: "u", user: { token: "very-secret-token" } }], contexts: [{ name: "c", context: { cluster: "k", user: "u" } }],
    }));
    return ["--oidc-issuer-url=https://127.0.0.1:1", "--oidc-client-id=k", `--tls-cert-file=${f.certFile}`, `--tls-private-key-file=${f.keyFile}`,
      `--kubeconfig=${kubeconfig}`, "--bind-address=127.0.0.1", `--secure-port=${port}`, "--readiness-probe-port=0", "--shutdown-grace-period=1s"];
  }

  test("a startup failure (port taken): one line on stderr, exit 1", async (t) => {
    const taken = createServer().listen(0, "127.0.0.1");
    await once(taken, "listening");
    t.after(() => taken.close());
    const r = await cli("proxy", ...(await unreachableFlags((taken.address() as { port: number }).port)));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^kubeward: startup failed: listen EADDRINUSE[^\n]*\n$/);
  });

  test("starts, logs one startup line without secrets, drains on SIGTERM and exits 0", async (t) => {
    const port = await freePort();
    const child = spawn(NODE, [kubewardBin(), "proxy", ...(await unreachableFlags(port))], { env: { PATH: process.env["PATH"] ?? "" } });
    t.after(() => child.kill("SIGKILL"));
    let stdout = "";
    const listening = new Promise<void>((resolve) => child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes("kubeward proxy listening")) resolve();
    }));
    await listening;
    const line = JSON.parse(stdout.split("\n").find((l) => l.includes("kubeward proxy listening")) ?? "{}") as Record<string, unknown>;
    assert.equal(line["address"], `127.0.0.1:${port}`);
    assert.deepEqual(line["issuers"], ["https://127.0.0.1:1"]);
    assert.equal(line["upstream"], "https://127.0.0.1:1");
    assert.ok(!stdout.includes("very-secret-token"));
    child.kill("SIGTERM");
    const [code] = (await once(child, "close")) as [number | null];
    assert.equal(code, 0);
    assert.match(stdout, /"msg":"stopped"/);
  });
});
