/**
 * `kubeward logout`: forgets the cached tokens of one issuer and client (or
 * all with --all) and revokes their refresh tokens at the issuer.
 */
import { formatProblem } from "../config/errors.ts";
import { bool, flagLines, parseFlags } from "../login/flag-parser.ts";
import { issuerFetch } from "../login/issuer-client.ts";
import { CLIENT_FLAGS, readClientOptions } from "../login/login-options.ts";
import { logout } from "../login/logout.ts";
import { describeLoginError } from "../login/messages.ts";
import { ConfigError } from "../config/errors.ts";
import { EXIT, type CliIo } from "./io.ts";

const FLAGS = [...CLIENT_FLAGS, { name: "all", type: "boolean", help: "Log out of every cached issuer and client." } as const];

const USAGE = [
  "Usage: kubeward logout [flags]",
  "",
  "Removes the tokens 'kubeward login' cached for an issuer, client id and scopes (or all",
  "with --all) and revokes their refresh tokens where the issuer has a revocation endpoint.",
  "",
  "Flags:",
  ...flagLines(FLAGS),
  "",
].join("\n");

/** Runs `kubeward logout`; exit 1 when a refresh token could not be revoked. */
export async function runLogout(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  const parsed = parseFlags(argv, FLAGS, "see 'kubeward logout --help'");
  const all = bool(parsed.values, "all");
  const client = readClientOptions(parsed.values, io.env, parsed.problems, !all);
  let problems = parsed.problems.list;
  let trust;
  if (problems.length === 0) {
    try {
      trust = await issuerFetch(client);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems = [...e.problems];
    }
  }
  if (trust === undefined) {
    io.stderr(problems.map((p) => `kubeward logout: ${formatProblem(p)}\n`).join(""));
    return EXIT.usage;
  }
  try {
    const failures = await logout(client, all, { fetch: trust.fetch, stderr: io.stderr });
    for (const f of failures) {
      io.stderr(`kubeward logout: could not revoke the refresh token: ${describeLoginError(f.error, { issuerUrl: f.issuerUrl, timeout: "" })}\n`);
    }
    return failures.length === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await trust.close();
  }
}
