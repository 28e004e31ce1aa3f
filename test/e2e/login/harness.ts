/**
 * The login tests' world: the upstream OpenID provider, a temporary directory
 * with its CA, a token cache and a `--browser-command` script that records
 * each URL it is asked to open, `kubeward login` run as a real process, and
 * real Chromium to log in at the provider's pages.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium, type Browser } from "playwright-core";
import { startUpstreamProvider, type UpstreamOptions, type UpstreamProvider } from "../../tools/upstream-oidc-provider.ts";

const REPO = join(import.meta.dirname, "..", "..", "..");
/** `kubeward` as a user runs it: the CLI entry under this Node. */
export const KUBEWARD = [process.execPath, join(REPO, "src", "cli", "main.ts")] as const;

export const JANE = { sub: "jane", password: "correct horse battery", email: "jane@example.com", groups: ["dev", "ops"] };

/** A public native client (PKCE, loopback redirect on any port) and a confidential machine client. */
export const CLIENTS: UpstreamOptions["clients"] = [
  {
    client_id: "kubectl", token_endpoint_auth_method: "none", application_type: "native", redirect_uris: ["http://localhost"],
    grant_types: ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"], response_types: ["code"],
  },
  { client_id: "robot", client_secret: "robot-secret", grant_types: ["client_credentials"], response_types: [], redirect_uris: [] },
];

/** How a `kubeward` run ended. */
export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A started `kubeward` process: its output so far and its end. */
export interface Running {
  stderrSoFar(): string;
  /** Writes to the process's stdin (a pipe, left open until the process ends). */
  write(text: string): void;
  readonly done: Promise<Run>;
  kill(): void;
}

/** A temporary home for `kubeward` runs against one issuer. */
export interface LoginSandbox {
  readonly dir: string;
  /** The issuer's CA as a file. */
  readonly caFile: string;
  readonly cacheDir: string;
  /** The recording `--browser-command` script. */
  readonly browserScript: string;
  /** `login` and the flags for `clientId`: issuer, client id, CA, cache, the recording browser command, any free port. */
  readonly login: readonly string[];
  /** Starts `kubeward <args>` (env KUBERNETES_EXEC_INFO etc. merged over a minimal one). */
  start(args: readonly string[], env?: Readonly<Record<string, string>>): Running;
  /** Runs `kubeward <args>` to the end. */
  run(args: readonly string[], env?: Readonly<Record<string, string>>): Promise<Run>;
  /** The URLs the browser command was asked to open, in order. */
  browserUrls(): Promise<string[]>;
  /** Waits for the `n`th (1-based) browser URL. */
  waitForBrowserUrl(n: number): Promise<string>;
  close(): Promise<void>;
}

/** A sandbox with the upstream provider as its issuer. */
export interface LoginWorld extends LoginSandbox {
  readonly provider: UpstreamProvider;
}

/** Starts the upstream provider (clients {@link CLIENTS}, user {@link JANE}) and a sandbox for its `kubectl` client. */
export async function startLoginWorld(options: Partial<UpstreamOptions> = {}): Promise<LoginWorld> {
  const provider = await startUpstreamProvider({ clients: CLIENTS, accounts: [JANE], ...options });
  const sandbox = await loginSandbox(provider.issuer, provider.caPem, "kubectl");
  return { ...sandbox, provider, close: async () => { await sandbox.close(); await provider.close(); } };
}

/** Makes the temporary directory, the CA file and the recording browser script for `issuer`. */
export async function loginSandbox(issuer: string, caPem: string, clientId: string): Promise<LoginSandbox> {
  const dir = await mkdtemp(join(tmpdir(), "kubeward-login-"));
  const caFile = join(dir, "issuer-ca.crt");
  await writeFile(caFile, caPem);
  const log = join(dir, "browser.log");
  const browserScript = join(dir, "browser.sh");
  await writeFile(browserScript, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${log}'\n`);
  await chmod(browserScript, 0o755);
  const cacheDir = join(dir, "cache");
  const children = new Set<ReturnType<typeof spawn>>();
  const start = (args: readonly string[], env: Readonly<Record<string, string>> = {}): Running => {
    const child = spawn(KUBEWARD[0], [KUBEWARD[1], ...args], { env: { PATH: process.env["PATH"] ?? "", HOME: dir, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.stdin.on("error", () => undefined);
    const done = once(child, "close").then(([code]) => {
      children.delete(child);
      child.stdin.destroy();
      return { code: code as number | null, stdout, stderr };
    });
    return { stderrSoFar: () => stderr, write: (text) => void child.stdin.write(text), done, kill: () => child.kill("SIGKILL") };
  };
  const browserUrls = async () => (await readFile(log, "utf8").catch(() => "")).split("\n").filter((l) => l !== "");
  return {
    dir, caFile, cacheDir, browserScript,
    login: ["login", `--oidc-issuer-url=${issuer}`, `--oidc-client-id=${clientId}`, `--certificate-authority=${caFile}`, `--token-cache-dir=${cacheDir}`, `--browser-command=${browserScript}`, "--listen-address=127.0.0.1:0"],
    start,
    run: (args, env) => start(args, env).done,
    browserUrls,
    waitForBrowserUrl: async (n) => {
      for (let i = 0; i < 300; i++) {
        const urls = await browserUrls();
        if (urls.length >= n) return urls[n - 1] ?? "";
        await sleep(50);
      }
      throw new Error(`the browser was not asked to open URL #${n}`);
    },
    close: async () => {
      for (const c of children) c.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium" });
}

/**
 * Logs in at `url` in a fresh Chromium context: fills the provider's sign-in
 * form, then consents (or cancels, with `deny`). Resolves with the text of
 * the page the browser ends on (kubeward's loopback page).
 */
export async function logInWithChromium(browser: Browser, url: string, options: { readonly deny?: boolean } = {}): Promise<string> {
  // The test CA is not in Chromium's store; kubeward itself verifies the provider with --certificate-authority.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.goto(url);
    if (options.deny === true) {
      await page.click("text=Cancel");
    } else {
      await page.fill("input[name=login]", JANE.sub);
      await page.fill("input[name=password]", JANE.password);
      await page.click("button[type=submit]");
      if (await page.locator("text=Authorize").count() > 0) await page.click("button[type=submit]");
    }
    await page.waitForURL(/^http:\/\/localhost:\d+\//);
    return await page.locator("body").innerText();
  } finally {
    await context.close();
  }
}

/** The claims of a JWT (not verified: the tests compare them with what the provider knows). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

/** The ExecCredential a run printed. */
export function credentialOf(run: Run): { apiVersion: string; status: { token: string; expirationTimestamp?: string } } {
  return JSON.parse(run.stdout) as { apiVersion: string; status: { token: string; expirationTimestamp?: string } };
}
