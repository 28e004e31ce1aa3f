/**
 * Starts the real `kubeward proxy` CLI as a child process in front of the test
 * cluster (the proxy's own kubeconfig, a given OIDC issuer) and writes
 * kubeconfigs for users whose credential is an ID token sent to that proxy.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createCertificateAuthority, issueCertificate } from "../../../src/pki/certificates.ts";
import { withParentDeathSignal } from "../../fixtures/cluster/process.ts";
import { freePort } from "../../fixtures/cluster/wait.ts";
import { kubewardBin, shebangFlags } from "../../tools/kubeward-bin.ts";
import type { ClusterClient } from "../../fixtures/cluster/client.ts";

/**
 * What the proxy trusts: the issuer's URL, client id and CA as flags, plus
 * any other `proxy` flags; or, with `configIssuer`, one `oidc` entry of a
 * `--config` file instead of the `--oidc-*` flags.
 */
export interface ProxyOptions {
  readonly issuerUrl: string;
  readonly clientId: string;
  readonly issuerCaPem: string;
  /** More flags, e.g. `--oidc-groups-claim=groups` or `--oidc-signing-algs=RS256,ES256`. */
  readonly args?: readonly string[];
  /** The `oidc` entry of a config file (camelCase flags, `audiences`, `uidClaim`); `caFile` is filled in. */
  readonly configIssuer?: Readonly<Record<string, unknown>>;
  /** More environment for the proxy's process, e.g. NODE_OPTIONS. */
  readonly env?: Readonly<Record<string, string>>;
}

function oidcArgs(options: ProxyOptions, dir: string, issuerCa: string): string[] {
  if (options.configIssuer === undefined) {
    return [`--oidc-issuer-url=${options.issuerUrl}`, `--oidc-client-id=${options.clientId}`, `--oidc-ca-file=${issuerCa}`];
  }
  const file = join(dir, "config.yaml");
  writeFileSync(file, JSON.stringify({ oidc: { ...options.configIssuer, caFile: issuerCa } }));
  return [`--config=${file}`];
}

/** A running `kubeward proxy`. */
export interface RunningProxy {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** PEM of the CA that signed the proxy's serving certificate. */
  readonly caPem: string;
  /** The proxy's process. */
  readonly pid: number;
  /** Temporary directory for this proxy's files and the kubeconfigs written for it. */
  readonly dir: string;
  /** Writes a kubeconfig at `<dir>/<name>.kubeconfig` whose user sends `token`; returns its path. */
  kubeconfigFor(name: string, token: string): string;
  /** SIGTERM, wait for exit, remove the directory. */
  stop(): Promise<void>;
}

/**
 * Starts `node dist/cli/main.js proxy` on a free loopback port against
 * `cluster` and resolves once its readiness probe answers 200.
 *
 * @example
 * ```ts
 * const proxy = await startProxy(cluster, { issuerUrl: issuer.url, clientId: issuer.audience, issuerCaPem: issuer.caPem });
 * after(() => proxy.stop());
 * await cluster.kubectlAs(proxy.kubeconfigFor("alice", issuer.mint({ sub: "alice" })), ["auth", "whoami"]);
 * ```
 */
export async function startProxy(cluster: ClusterClient, options: ProxyOptions): Promise<RunningProxy> {
  const dir = mkdtempSync(join(tmpdir(), "kubeward-e2e-proxy-"));
  const ca = await createCertificateAuthority("kubeward-e2e-proxy-ca");
  const leaf = await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1", "localhost"], usage: "server" });
  const files = { issuerCa: join(dir, "issuer-ca.pem"), cert: join(dir, "proxy.crt"), key: join(dir, "proxy.key") };
  writeFileSync(files.issuerCa, options.issuerCaPem);
  writeFileSync(files.cert, leaf.certPem);
  writeFileSync(files.key, leaf.keyPem, { mode: 0o600 });
  const [port, readyPort] = [await freePort(), await freePort()];
  const [cmd, argv] = withParentDeathSignal(process.execPath, [...shebangFlags(kubewardBin()), kubewardBin(), "proxy", ...oidcArgs(options, dir, files.issuerCa),
    `--kubeconfig=${cluster.proxyKubeconfig}`, "--bind-address=127.0.0.1", `--secure-port=${port}`, `--readiness-probe-port=${readyPort}`,
    `--tls-cert-file=${files.cert}`, `--tls-private-key-file=${files.key}`, "--log-level=warn", ...(options.args ?? [])]);
  const child = spawn(cmd, argv, { stdio: ["ignore", "ignore", "pipe"], detached: true, env: { ...process.env, ...options.env } });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const url = `https://127.0.0.1:${port}`;
  const proxy: RunningProxy = {
    url,
    caPem: ca.certPem,
    pid: child.pid as number,
    dir,
    kubeconfigFor: (name, token) => writeTokenKubeconfig(join(dir, `${name}.kubeconfig`), { server: url, caPem: ca.certPem, token, user: name }),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitReady(child, readyPort, () => stderr);
    return proxy;
  } catch (error) {
    await proxy.stop();
    throw error;
  }
}

async function waitReady(child: ChildProcess, readyPort: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${readyPort}/ready`).then((r) => r.status === 200, () => false);
    if (ok) return;
    if (child.exitCode !== null) throw new Error(`kubeward proxy exited ${child.exitCode}: ${stderr()}`);
    await sleep(100);
  }
  throw new Error(`kubeward proxy not ready within 60 s: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A kubeconfig whose one user authenticates with a bearer token. */
export interface TokenKubeconfig {
  readonly server: string;
  readonly caPem: string;
  readonly token?: string;
  /** A basic-auth username without password: a credential that is not a bearer token. */
  readonly username?: string;
  readonly user: string;
}

/** Writes a single-context kubeconfig (JSON is YAML) and returns `path`. */
export function writeTokenKubeconfig(path: string, spec: TokenKubeconfig): string {
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "kubeward", cluster: { server: spec.server, "certificate-authority-data": Buffer.from(spec.caPem).toString("base64") } }],
    users: [{ name: spec.user, user: { ...(spec.token === undefined ? {} : { token: spec.token }), ...(spec.username === undefined ? {} : { username: spec.username }) } }],
    contexts: [{ name: spec.user, context: { cluster: "kubeward", user: spec.user, namespace: "default" } }],
    "current-context": spec.user,
  };
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return path;
}
