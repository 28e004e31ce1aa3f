/**
 * The differential suite: for every OIDC setting and token in cases.ts,
 * `kubectl auth whoami -o json` through kubeward must give what the same
 * request gives straight to a kube-apiserver configured with that OIDC
 * setting: refused alike, or the same username, uid, groups and extras.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { startTestIssuer, type TestIssuer } from "../../tools/test-issuer.ts";
import { startProxy, writeTokenKubeconfig, type RunningProxy } from "../support/proxy.ts";
import { SETTINGS, type Case, type Kids, type Setting } from "./cases.ts";

const cluster = useCluster();
const UNAUTHORIZED = "error: You must be logged in to the server (Unauthorized)";

/** One row of the agreement table. */
interface Row {
  readonly setting: string;
  readonly name: string;
  readonly apiserver: string;
  readonly kubeward: string;
  readonly verdict: "agree" | "documented" | "DISAGREE";
  readonly note?: string;
}

let dir: string;
let issuer: TestIssuer;
let kids: Kids;
const rows: Row[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "kubeward-fidelity-"));
  issuer = await startTestIssuer({ alg: "RS256" });
  const rs = issuer.currentKid();
  const es = issuer.rotate({ alg: "ES256" });
  const ps = issuer.rotate({ alg: "PS256" });
  kids = { RS256: rs, ES256: es, PS256: ps };
});
after(async () => {
  printTable();
  await issuer?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What kubectl auth whoami -o json reports: the identity, "refused", or the unexpected failure. */
async function whoami(kubeconfig: string): Promise<string> {
  const r = await cluster.kubectlAs(kubeconfig, ["auth", "whoami", "-o", "json"], { timeoutMs: 30_000 });
  if (r.code === 0) {
    const info = (JSON.parse(r.stdout) as { status: { userInfo: Record<string, unknown> } }).status.userInfo;
    return JSON.stringify({ username: info["username"], uid: info["uid"], groups: info["groups"], extra: info["extra"] });
  }
  const last = r.stderr.trim().split("\n").at(-1);
  return last === UNAUTHORIZED ? "refused" : `failed (${r.code}): ${r.stderr.trim()}`;
}

function tokenFor(c: Case): string {
  if (c.raw !== undefined) return c.raw;
  const now = Math.floor(Date.now() / 1000);
  return issuer.mint(c.claims?.(now) ?? {}, { key: kids[c.alg ?? "RS256"], ...c.mint });
}

/** Waits until the OIDC apiserver has discovered the issuer (its authenticator initializes asynchronously). */
async function waitAuthenticatorReady(server: string, setting: Setting): Promise<void> {
  const probe = setting.cases.find((c) => c.documented === undefined && c.raw === undefined) as Case;
  const kubeconfig = writeTokenKubeconfig(join(dir, "probe.kubeconfig"), { server, caPem: cluster.caPem, user: "probe", token: tokenFor(probe) });
  for (let i = 0; i < 60; i++) {
    const r = await cluster.kubectlAs(kubeconfig, ["auth", "whoami"], { timeoutMs: 30_000 });
    if (r.code === 0) return;
    await sleep(500);
  }
  throw new Error(`${setting.name}: kube-apiserver never accepted ${probe.name}`);
}

async function compare(setting: Setting, c: Case, server: string, proxy: RunningProxy, n: number): Promise<Row> {
  const token = tokenFor(c);
  const direct = writeTokenKubeconfig(join(dir, `direct-${n}.kubeconfig`), { server, caPem: cluster.caPem, user: "u", token });
  const [apiserver, kubeward] = await Promise.all([whoami(direct), whoami(proxy.kubeconfigFor(`case-${n}`, token))]);
  const base = { setting: setting.name, name: c.name, apiserver, kubeward };
  if (c.documented !== undefined) {
    return { ...base, verdict: kubeward === "refused" ? "documented" : "DISAGREE", note: c.documented };
  }
  return { ...base, verdict: apiserver === kubeward ? "agree" : "DISAGREE" };
}

async function startSetting(setting: Setting): Promise<{ server: string; proxy: RunningProxy; stop: () => Promise<void> }> {
  const ca = join(dir, "issuer-ca.pem");
  const authConfig = join(dir, "authentication-config.yaml");
  writeFileSync(ca, issuer.caPem);
  if (setting.authenticationConfiguration) writeFileSync(authConfig, JSON.stringify(setting.authenticationConfiguration(issuer)));
  // One after the other: started together, both could take the same free port
  // (CI saw the proxy fail with EADDRINUSE on the extra kube-apiserver's port).
  const apiserver = await cluster.startApiserver(setting.apiserverArgs(issuer, ca, authConfig));
  let proxy: RunningProxy;
  try {
    proxy = await startProxy(cluster, {
      issuerUrl: issuer.url, clientId: issuer.audience, issuerCaPem: issuer.caPem,
      ...(setting.proxyArgs ? { args: setting.proxyArgs } : {}),
      ...(setting.proxyConfig ? { configIssuer: setting.proxyConfig(issuer) } : {}),
    });
  } catch (error) {
    // Left running, the kube-apiserver would keep this test file alive until CI's time limit.
    await apiserver.stop();
    throw error;
  }
  return { server: apiserver.server, proxy, stop: async () => void (await Promise.all([apiserver.stop(), proxy.stop()])) };
}

let caseNumber = 0;
for (const setting of SETTINGS) {
  test(`kubeward and kube-apiserver agree: ${setting.name}`, { timeout: 240_000 }, async () => {
    const running = await startSetting(setting);
    try {
      await waitAuthenticatorReady(running.server, setting);
      const mine: Row[] = [];
      // A few at a time: two kubectl runs per case on a shared 2-core machine.
      for (let i = 0; i < setting.cases.length; i += 4) {
        const batch = setting.cases.slice(i, i + 4).map((c) => compare(setting, c, running.server, running.proxy, caseNumber++));
        mine.push(...(await Promise.all(batch)));
      }
      rows.push(...mine);
      const bad = mine.filter((r) => r.verdict === "DISAGREE");
      assert.deepEqual(bad.map((r) => `${r.name}: kube-apiserver ${r.apiserver}, kubeward ${r.kubeward}`), [], `${setting.name}: disagreements`);
    } finally {
      await running.stop();
    }
  });
}

function printTable(): void {
  const cell = (s: string) => s.replaceAll("|", "\\|");
  const lines = [
    "",
    `## kubeward vs kube-apiserver ${cluster.kubeApiserver.split("-").at(-1) ?? ""}: kubectl auth whoami -o json`,
    "",
    "| setting | token | kube-apiserver | kubeward | verdict |",
    "|---|---|---|---|---|",
    ...rows.map((r) => `| ${cell(r.setting)} | ${cell(r.name)} | ${cell(r.apiserver)} | ${cell(r.kubeward)} | ${r.verdict}${r.note ? `: ${cell(r.note)}` : ""} |`),
    "",
    `${rows.filter((r) => r.verdict === "agree").length} agree, ${rows.filter((r) => r.verdict === "documented").length} documented, ${rows.filter((r) => r.verdict === "DISAGREE").length} disagree, of ${rows.length}`,
    "",
  ];
  process.stderr.write(lines.join("\n"));
}
