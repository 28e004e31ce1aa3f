#!/usr/bin/env node
/** The `kubeward` executable: hands argv to the command dispatcher and exits with its code. */
import { run } from "./run.ts";

/**
 * Resolves on the first SIGTERM or SIGINT; a second one exits at once.
 * Installed before anything starts, so a signal during startup is not lost.
 */
const signalled = new Promise<string>((resolve) => {
  const first = (signal: string) => {
    process.on("SIGTERM", () => process.exit(1)).on("SIGINT", () => process.exit(1));
    resolve(signal);
  };
  process.once("SIGTERM", first).once("SIGINT", first);
});

const code = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  shutdownSignal: () => signalled,
});
process.exit(code);
