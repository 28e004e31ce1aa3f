/**
 * Runs `kubeward serve` as a child process for the serve tests: collects its
 * stdout, waits for a line, and kills it (SIGKILL, as a crash would).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { kubewardBin } from "../tools/kubeward-bin.ts";
export { freePort } from "../tools/free-port.ts";

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

/** Starts `node dist/cli/main.js serve …args` (the built bundle) with `env` (instead of this process's environment). */
export function startServe(args: readonly string[], env: NodeJS.ProcessEnv): ServeChild {
  const child = spawn("./node_modules/.bin/node", [kubewardBin(), "serve", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
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


/** The environment a child gets: PATH and a HOME of the test's own, nothing else of this process. */
export function childEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"], HOME: home, ...extra };
}
