/**
 * `kubeward login`: the kubectl exec credential plugin. Reads its flags and
 * KUBERNETES_EXEC_INFO, gets a token, and prints the ExecCredential on stdout;
 * every other word goes to stderr, every failure on one line.
 */
import type { Readable } from "node:stream";
import { systemClock } from "../clock.ts";
import { ConfigError, formatProblem } from "../config/errors.ts";
import { browserOpener, defaultBrowserCommand } from "../login/browser.ts";
import { execCredential, readExecInfo, type ExecInfo } from "../login/exec-credential.ts";
import { parseFlags, str } from "../login/flag-parser.ts";
import { asLoginError, issuerFetch } from "../login/issuer-client.ts";
import { obtainToken } from "../login/login.ts";
import { DEFAULT_TIMEOUT, LOGIN_FLAGS, loginUsage, readLoginOptions, type LoginOptions } from "../login/login-options.ts";
import { describeLoginError } from "../login/messages.ts";
import { terminalPrompt } from "../login/prompt.ts";
import { EXIT, type CliIo } from "./io.ts";

/** The terminal a login may talk to; the process's own unless a test gives others. */
export interface Terminal {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stderrIsTTY: boolean;
  readonly platform: NodeJS.Platform;
}

const HINT = "see 'kubeward login --help'";

/** Runs `kubeward login`; resolves with the exit code. */
export async function runLogin(argv: readonly string[], io: CliIo, terminal: Terminal = processTerminal()): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(loginUsage());
    return EXIT.ok;
  }
  const parsed = parseFlags(argv, LOGIN_FLAGS, HINT);
  const options = readLoginOptions(parsed.values, io.env, parsed.problems);
  let info: ExecInfo;
  try {
    info = readExecInfo(io.env["KUBERNETES_EXEC_INFO"]);
  } catch (e) {
    parsed.problems.add("KUBERNETES_EXEC_INFO", (e as Error).message);
    info = readExecInfo(undefined);
  }
  if (!parsed.problems.empty) return usageFailure(parsed.problems.list, io);
  const timeout = str(parsed.values, "authentication-timeout") ?? DEFAULT_TIMEOUT;
  try {
    const tokens = await loginWith(options, info, io, terminal);
    io.stdout(execCredential(info.apiVersion, tokens.token, tokens.expiresAt));
    return EXIT.ok;
  } catch (e) {
    if (e instanceof ConfigError) return usageFailure(e.problems, io);
    io.stderr(`kubeward login: ${describeLoginError(asLoginError(e), { issuerUrl: options.issuerUrl, timeout })}\n`);
    return EXIT.failed;
  }
}

async function loginWith(options: LoginOptions, info: ExecInfo, io: CliIo, terminal: Terminal) {
  const trust = await issuerFetch(options);
  try {
    return await obtainToken(options, {
      clock: systemClock,
      fetch: trust.fetch,
      stderr: io.stderr,
      openBrowser: options.skipOpenBrowser ? undefined : browserOpener(options.browserCommand ?? defaultBrowserCommand(terminal.platform)),
      prompt: terminalPrompt(terminal.stdin, io.stderr),
      interactive: info.interactive ?? terminal.stdin.isTTY === true,
      stderrIsTTY: terminal.stderrIsTTY,
    });
  } finally {
    await trust.close();
  }
}

function usageFailure(problems: readonly { path: string; message: string }[], io: CliIo): number {
  io.stderr(problems.map((p) => `kubeward login: ${formatProblem(p)}\n`).join(""));
  return EXIT.usage;
}

function processTerminal(): Terminal {
  return { stdin: process.stdin, stderrIsTTY: process.stderr.isTTY === true, platform: process.platform };
}
