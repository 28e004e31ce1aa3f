/**
 * `kubeward serve` as users run it, its proxy in front of the test cluster: a
 * local connector with one static user, the public `kubeward` client (browser,
 * device and password grants), kubeconfigs from `kubeward kubeconfig`, real kubectl.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import bcrypt from "bcryptjs";
import { parse, stringify } from "yaml";
import type { Browser } from "playwright-core";
import { createCertificateAuthority, issueCertificate } from "../../../src/pki/certificates.ts";
import { requireBinaries, binaries } from "../../fixtures/cluster/binaries.ts";
import type { ClusterClient } from "../../fixtures/cluster/client.ts";
import { freePort } from "../../fixtures/cluster/wait.ts";
import { runKubectl, type KubectlResult } from "../../fixtures/cluster/kubectl.ts";
import { KUBEWARD, type Run } from "./harness.ts";

/** The static user of the local connector; the proxy maps `email` to the username. */
export const USER = { email: "jane@example.com", password: "correct horse battery", groups: ["kubeward-e2e"] };

export interface ServeFixtureOptions {
  /** issuer.idTokenTTL (a Go duration). */
  readonly idTokenTTL?: string;
  /** Configure proxy.revocation with an admin API (mutual TLS). */
  readonly admin?: boolean;
}

/** A kubeconfig written by `kubeward kubeconfig` and the files its login uses. */
export interface UserKubeconfig {
  readonly path: string;
  readonly cacheDir: string;
}

export interface ServeFixture {
  readonly dir: string;
  readonly issuerUrl: string;
  readonly proxyUrl: string;
  /** The generated CA (issuer and proxy certificates). */
  readonly caFile: string;
  /** `--server … --certificate-authority … --client-certificate … --client-key …` for `kubeward revoke`. */
  readonly adminFlags: readonly string[];
  /** The recording `--browser-command` script and the URLs it was asked to open. */
  readonly browserScript: string;
  browserUrls(): Promise<string[]>;
  waitForBrowserUrl(n: number, timeoutMs?: number): Promise<string>;
  /** Runs `kubeward kubeconfig` for a new user entry (its own token cache), with extra login flags. */
  kubeconfig(name: string, loginFlags: readonly string[]): Promise<UserKubeconfig>;
  /** Appends arguments to the exec entry of a kubeconfig (what a user does by hand, e.g. --password). */
  appendExecArgs(kubeconfig: string, args: readonly string[]): Promise<void>;
  /** Runs real kubectl with `kubeconfig`, HOME set to the fixture's directory. */
  kubectl(kubeconfig: string, args: readonly string[], timeoutMs?: number): Promise<KubectlResult>;
  /** Starts kubectl and exposes its stderr as it comes. */
  startKubectl(kubeconfig: string, args: readonly string[], timeoutMs?: number): { stderrSoFar(): string; done: Promise<KubectlResult> };
  /** Runs `kubeward <args>` to the end. */
  kubeward(args: readonly string[]): Promise<Run>;
  serveLog(): string;
  close(): Promise<void>;
}

/** Starts `kubeward serve --config` with its proxy at the cluster, and waits until its /ready answers 200. */
export async function startServeFixture(cluster: ClusterClient, options: ServeFixtureOptions = {}): Promise<ServeFixture> {
  requireBinaries([[binaries().kubectl, "kube"]]);
  const dir = await mkdtemp(join(tmpdir(), "kubeward-serve-login-"));
  const children = new Set<ChildProcess>();
  let serve: ChildProcess | undefined;
  let log = "";
  const close = async () => {
    for (const c of children) c.kill("SIGKILL");
    if (serve !== undefined && serve.exitCode === null && serve.signalCode === null) {
      const exited = once(serve, "exit");
      serve.kill("SIGTERM");
      const timer = setTimeout(() => serve?.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const adminCa = await createCertificateAuthority("login-e2e-admin-ca");
    const adminServing = await issueCertificate(adminCa, { commonName: "kubeward-admin", hosts: ["127.0.0.1"], usage: "server" });
    const oncall = await issueCertificate(adminCa, { commonName: "oncall", usage: "client" });
    const files: Record<string, string> = {
      "admin-ca.crt": adminCa.certPem, "admin.crt": adminServing.certPem, "admin.key": adminServing.keyPem, "oncall.crt": oncall.certPem, "oncall.key": oncall.keyPem,
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text, { mode: 0o600 });
    let issuerUrl = "";
    let proxyUrl = "";
    let adminPort = 0;
    // Ports are picked free, then bound by serve; another test file may take one in between: then pick again (EADDRINUSE only).
    for (let attempt = 1; ; attempt++) {
      const [issuerPort, proxyPort, opsPort] = [await freePort(), await freePort(), await freePort()];
      adminPort = await freePort();
      issuerUrl = `https://127.0.0.1:${issuerPort}`;
      const revocation = options.admin === true
        ? { revocation: { pollInterval: "1s", admin: { bindAddress: "127.0.0.1", securePort: adminPort, tlsCertFile: "admin.crt", tlsPrivateKeyFile: "admin.key", clientCAFile: "admin-ca.crt" } } }
        : {};
      await rm(join(dir, "state"), { recursive: true, force: true });
      await writeFile(join(dir, "kubeward.yaml"), stringify({
        stateDir: "state",
        issuer: { url: issuerUrl, passwordConnector: "local", devicePollInterval: "1s", ...(options.idTokenTTL === undefined ? {} : { idTokenTTL: options.idTokenTTL }) },
        connectors: [{
          type: "local", id: "local", name: "Email",
          config: { staticPasswords: [{ email: USER.email, hash: bcrypt.hashSync(USER.password, 10), username: "jane", userID: "jane-0001", groups: USER.groups }] },
        }],
        clients: [{ id: "kubeward", name: "kubeward login", redirectURIs: ["http://localhost", "http://127.0.0.1"], skipApproval: true, passwordGrant: true }],
        // /readyz on the metrics address (127.0.0.1): readinessProbePort would bind every interface, as the kubelet needs.
        proxy: { kubeconfig: cluster.proxyKubeconfig, bindAddress: "127.0.0.1", securePort: proxyPort, metricsServingAddress: `127.0.0.1:${opsPort}`, logLevel: "warn", ...revocation },
      }));
      log = "";
      const child = spawn(KUBEWARD[0], [KUBEWARD[1], "serve", "--config", join(dir, "kubeward.yaml")], { env: { PATH: process.env["PATH"] ?? "", HOME: dir }, stdio: ["ignore", "pipe", "pipe"] });
      serve = child;
      child.stdout.setEncoding("utf8").on("data", (d: string) => (log += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (log += d));
      let ready = false;
      for (let i = 0; !ready; i++) {
        proxyUrl = /kubeward serve: proxy at (https:\S+)/.exec(log)?.[1] ?? "";
        ready = proxyUrl !== "" && await fetch(`http://127.0.0.1:${opsPort}/readyz`).then((r) => r.status === 200, () => false);
        if (ready || child.exitCode !== null || i > 1200) break;
        await sleep(100);
      }
      if (ready) break;
      if (child.exitCode !== null) await sleep(500); // its last stderr lines
      if (child.exitCode !== null && /EADDRINUSE/.test(log) && attempt < 3) continue;
      throw new Error(`kubeward serve did not become ready in 120 s (exit ${String(child.exitCode)}):\n${log.slice(-4000)}`);
    }
    const caFile = join(dir, "state", "ca.crt");
    const browserLog = join(dir, "browser.log");
    const browserScript = join(dir, "browser.sh");
    await writeFile(browserScript, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${browserLog}'\n`);
    await chmod(browserScript, 0o755);
    const browserUrls = async () => (await readFile(browserLog, "utf8").catch(() => "")).split("\n").filter((l) => l !== "");
    const kubectlCtx = { kubectl: binaries().kubectl, cacheDir: join(dir, "kubectl-cache") };
    const env = { HOME: dir };
    const runKubeward = (args: readonly string[]): Promise<Run> => {
      const c = spawn(KUBEWARD[0], [KUBEWARD[1], ...args], { env: { PATH: process.env["PATH"] ?? "", HOME: dir }, stdio: ["ignore", "pipe", "pipe"] });
      children.add(c);
      let stdout = "";
      let stderr = "";
      c.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      c.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      return once(c, "close").then(([code]) => { children.delete(c); return { code: code as number | null, stdout, stderr }; });
    };
    return {
      dir, issuerUrl, proxyUrl, caFile, browserScript, browserUrls,
      adminFlags: ["--server", `https://127.0.0.1:${adminPort}`, "--certificate-authority", join(dir, "admin-ca.crt"), "--client-certificate", join(dir, "oncall.crt"), "--client-key", join(dir, "oncall.key")],
      async waitForBrowserUrl(n, timeoutMs = 60_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const urls = await browserUrls();
          if (urls.length >= n) return urls[n - 1] ?? "";
          if (Date.now() > deadline) throw new Error(`the browser command was not asked to open URL #${n} within ${timeoutMs} ms`);
          await sleep(100);
        }
      },
      async kubeconfig(name, loginFlags) {
        const path = join(dir, `${name}.kubeconfig`);
        const cacheDir = join(dir, `cache-${name}`);
        const made = await runKubeward([
          "kubeconfig", `--kubeconfig=${path}`, `--server=${proxyUrl}`, `--certificate-authority=${caFile}`, `--context-name=${name}`, "--set-current",
          `--oidc-issuer-url=${issuerUrl}`, "--oidc-client-id=kubeward", `--oidc-ca-file=${caFile}`, "--oidc-extra-scope=email,groups,offline_access",
          `--token-cache-dir=${cacheDir}`, `--browser-command=${browserScript}`, "--listen-address=127.0.0.1:0", ...loginFlags,
        ]);
        if (made.code !== 0) throw new Error(`kubeward kubeconfig exited ${String(made.code)}: ${made.stderr}`);
        return { path, cacheDir };
      },
      async appendExecArgs(kubeconfig, args) {
        const doc = parse(await readFile(kubeconfig, "utf8")) as { users: { user: { exec: { args: string[] } } }[] };
        for (const u of doc.users) u.user.exec.args.push(...args);
        await writeFile(kubeconfig, stringify(doc), { mode: 0o600 });
      },
      kubectl: (kubeconfig, args, timeoutMs = 120_000) => runKubectl(kubectlCtx, kubeconfig, args, { env, timeoutMs }),
      startKubectl(kubeconfig, args, timeoutMs = 180_000) {
        const c = spawn(kubectlCtx.kubectl, args, { env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: kubectlCtx.cacheDir, ...env }, stdio: ["ignore", "pipe", "pipe"] });
        children.add(c);
        let stdout = "";
        let stderr = "";
        c.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        c.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = setTimeout(() => c.kill("SIGKILL"), timeoutMs);
        const done = once(c, "close").then(([code]) => { clearTimeout(timer); children.delete(c); return { code: code as number | null, stdout, stderr }; });
        return { stderrSoFar: () => stderr, done };
      },
      kubeward: runKubeward,
      serveLog: () => log,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Logs in at the issuer's page `url` in a fresh Chromium context (the generated
 * CA is not in Chromium's store; kubeward login checks the issuer with it) and
 * waits for the loopback page; returns its text.
 */
export async function signInWithChromium(browser: Browser, url: string): Promise<string> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.locator("input[name=login]").fill(USER.email);
    await page.locator("input[name=password]").fill(USER.password);
    await page.keyboard.press("Enter");
    await page.waitForURL(/^http:\/\/(localhost|127\.0\.0\.1):\d+\//, { timeout: 60_000 });
    return await page.locator("body").innerText();
  } finally {
    await context.close();
  }
}

/** Enters `userCode` at the device page `verification`, confirms, signs in, and waits for the "signed in" page; returns its text. */
export async function approveDeviceWithChromium(browser: Browser, verification: string, userCode: string): Promise<string> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.goto(verification);
    await page.locator("input[name=user_code]").fill(userCode);
    await page.keyboard.press("Enter");
    await page.locator("form", { has: page.locator("input[name=confirm][value=yes]") }).locator("button").click();
    await page.locator("input[name=login]").fill(USER.email);
    await page.locator("input[name=password]").fill(USER.password);
    await page.keyboard.press("Enter");
    // Wait for the issuer's answer: closing the context earlier would abort the sign-in's POST.
    await page.getByRole("heading", { name: /signed in/i }).waitFor({ timeout: 60_000 });
    return await page.locator("body").innerText();
  } finally {
    await context.close();
  }
}

/** Waits for `pattern` in the text `read` returns. */
export async function waitForText(read: () => string, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(read());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no ${String(pattern)} within ${timeoutMs} ms in:\n${read()}`);
    await sleep(100);
  }
}

/** The claims of a JWT (not verified). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}
