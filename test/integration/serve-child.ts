/**
 * Runs `kubeward serve` as a child process for the serve tests: collects its
 * stdout, waits for a line, and kills it (SIGKILL, as a crash would); gives
 * each test a workspace that is cleaned up after it; and writes the files
 * those tests give it (a kubeconfig, a serve config).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { stringify } from "yaml";
import { kubewardBin, shebangFlags } from "../tools/kubeward-bin.ts";
import { freePort } from "../tools/free-port.ts";
import { startRecordingUpstream, type RecordingUpstream } from "../tools/recording-upstream.ts";
export { freePort };

export interface ServeChild {
  readonly process: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` on stdout; rejects when the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGKILL, then waits for the exit. */
  kill9(): Promise<void>;
}

/**
 * Starts `node dist/cli/main.js serve …args` (the built bundle, or the
 * executable `bin`, with its shebang's Node flags) with `env` (instead of this
 * process's environment).
 */
export function startServe(args: readonly string[], env: NodeJS.ProcessEnv, bin = kubewardBin()): ServeChild {
  const child = spawn("./node_modules/.bin/node", [...shebangFlags(bin), bin, "serve", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (b: Buffer) => void (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => void (err += b.toString()));
  const exited = once(child, "exit");
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = out.match(pattern);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no ${String(pattern)} on stdout (exit ${String(child.exitCode)})\nstdout:\n${out}\nstderr:\n${err.slice(-3000)}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

/** A serve test's temporary directory, the recording upstream serve's proxy fronts, and the serve processes started there. */
export interface ServeWorkspace {
  readonly dir: string;
  readonly upstream: RecordingUpstream;
  /** startServe with `env` (default: childEnv(dir)) and `bin`; the process is killed after the test if still running. */
  start(args: readonly string[], env?: NodeJS.ProcessEnv, bin?: string): ServeChild;
}

/** Creates a workspace (`prefix` names its directory) that `t` tears down after the test: serve processes killed, upstream closed, directory removed. */
export async function serveWorkspace(t: TestContext, prefix: string): Promise<ServeWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const upstream = await startRecordingUpstream();
  const children: ServeChild[] = [];
  t.after(async () => {
    for (const c of children) await c.kill9();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir, upstream,
    start(args, env = childEnv(dir), bin) {
      const child = startServe(args, env, bin);
      children.push(child);
      return child;
    },
  };
}

/** The environment a child gets: PATH and a HOME of the test's own, nothing else of this process. */
export function childEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"], HOME: home, ...extra };
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A kubeconfig (YAML) for `upstream` with its client certificate, as an operator's cluster-admin kubeconfig is. */
export function upstreamKubeconfig(upstream: RecordingUpstream): string {
  return stringify({
    apiVersion: "v1", kind: "Config", "current-context": "up",
    clusters: [{ name: "up", cluster: { server: upstream.url, "certificate-authority-data": b64(upstream.ca.certPem) } }],
    users: [{ name: "proxy", user: { "client-certificate-data": b64(upstream.clientCert.certPem), "client-key-data": b64(upstream.clientCert.keyPem) } }],
    contexts: [{ name: "up", context: { cluster: "up", user: "proxy" } }],
  });
}

/**
 * Writes `dir`/kubeward.yaml for `kubeward serve`: local passwords, the initial
 * admin admin@kubeward.local in kubeward-admins, a client "cli" with the
 * password grant (secret "cli-secret-value") and the proxy in front of
 * `upstream` on a free port, plus `proxy`'s settings. Returns the config's
 * path and the issuer's URL.
 */
export async function writeServeConfig(dir: string, upstream: RecordingUpstream, proxy: Record<string, unknown> = {}): Promise<{ config: string; issuerUrl: string }> {
  await writeFile(join(dir, "upstream.kubeconfig"), upstreamKubeconfig(upstream));
  await writeFile(join(dir, "cli-secret"), "cli-secret-value\n");
  const issuerUrl = `https://127.0.0.1:${await freePort()}`;
  const config = join(dir, "kubeward.yaml");
  await writeFile(config, stringify({
    stateDir: "state",
    issuer: { url: issuerUrl, passwordConnector: "local" },
    initialAdmin: { email: "admin@kubeward.local", groups: ["kubeward-admins"] },
    connectors: [{ type: "local", id: "local", name: "Email" }],
    clients: [{ id: "cli", name: "CLI", secretFile: "cli-secret", passwordGrant: true }],
    proxy: { kubeconfig: "upstream.kubeconfig", securePort: await freePort(), ...proxy },
  }));
  return { config, issuerUrl };
}
