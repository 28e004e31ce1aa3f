/**
 * The benchmark's workspace: a temporary directory, one CA with a loopback
 * serving certificate, free ports, and child processes started in their own
 * process groups (via the test harness) that stop() ends, even on failure.
 * Each suite runs in a scope() of it, so what one suite started (a cluster,
 * its proxies) is stopped before the next suite measures.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";
import { startProcess, type ChildHandle } from "../../test/fixtures/cluster/process.ts";

export const REPO = join(import.meta.dirname, "..", "..");
export const NODE = process.execPath;

/** Files and helpers shared by the suites. */
export interface BenchEnv {
  readonly dir: string;
  /** CA that signed the serving certificate below. */
  readonly caFile: string;
  readonly caPem: string;
  /** A serving certificate for 127.0.0.1. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Writes `content` to a file in the workspace and returns its path. */
  file(name: string, content: string): string;
  /** Starts `bin args` in its own process group, logging into the workspace; stopped by stop(). */
  spawn(name: string, bin: string, args: readonly string[]): ChildHandle;
  /** Registers a cleanup step that stop() runs (last registered, first run). */
  onStop(step: () => Promise<void> | void): void;
  /** The same workspace, with its own children and cleanup steps: its stop() ends only those. */
  scope(): BenchEnv;
  /** This scope's children that ended before stop(), each with how it exited and the end of its log (for a suite's failure). */
  exited(): string[];
  stop(): Promise<void>;
}

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const s = createServer().listen(0, "127.0.0.1");
  await once(s, "listening");
  const { port } = s.address() as { port: number };
  s.close();
  await once(s, "close");
  return port;
}

/** Creates the workspace; keep it with KUBEWARD_BENCH_KEEP=1 to read the children's logs. */
export async function createBenchEnv(): Promise<BenchEnv> {
  const dir = mkdtempSync(join(tmpdir(), "kubeward-bench-"));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const ca = await createCertificateAuthority("kubeward bench CA");
  const leaf = await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1"], usage: "server" });
  const files = { dir, caPem: ca.certPem, caFile: file("ca.pem", ca.certPem), certFile: file("serving.pem", leaf.certPem), keyFile: file("serving.key", leaf.keyPem), file };
  const scope = (onEnd: () => void): BenchEnv => {
    const steps: Array<() => Promise<void> | void> = [];
    const ended: string[] = [];
    let stopping = false;
    return {
      ...files,
      spawn(name, bin, args) {
        const child = startProcess(name, bin, args, dir);
        steps.push(() => child.stop(3000));
        void child.exited.then((how) => {
          if (!stopping) ended.push(`${name} (pid ${child.pid}) exited (${how}); the end of its log:\n${child.tail(20)}`);
        });
        return child;
      },
      exited: () => [...ended],
      onStop: (step) => void steps.push(step),
      scope() {
        const inner = scope(() => undefined);
        steps.push(() => inner.stop());
        return inner;
      },
      async stop() {
        stopping = true;
        for (const step of steps.reverse()) await Promise.resolve().then(step).catch(() => undefined);
        steps.length = 0;
        onEnd();
      },
    };
  };
  return scope(() => {
    if (process.env["KUBEWARD_BENCH_KEEP"] !== "1") rmSync(dir, { recursive: true, force: true });
  });
}

/** Polls `probe` until it is true or `timeoutMs` passes; the error names `what` and shows `log`'s tail. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number, child?: ChildHandle): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  const log = child === undefined ? "" : `\n--- ${child.logFile}\n${child.tail(20)}`;
  throw new Error(`${what} not ready after ${timeoutMs} ms${log}`);
}
