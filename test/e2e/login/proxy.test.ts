/**
 * The whole path with real parts: kubectl runs `kubeward login` (Chromium
 * logs in at oidc-provider), sends the ID token to the real `kubeward proxy`,
 * which verifies it and impersonates the user at the real kube-apiserver.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser } from "playwright-core";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { createCertificateAuthority, issueCertificate } from "../../../src/pki/certificates.ts";
import { KUBEWARD, launchChromium, logInWithChromium, startLoginWorld, type LoginWorld } from "./harness.ts";
import { freePort } from "../../tools/free-port.ts";

const cluster = useCluster();


/** Starts `kubeward proxy` trusting the upstream provider, and waits until /ready answers 200. */
async function startProxy(world: LoginWorld): Promise<{ child: ChildProcess; url: string; caFile: string }> {
  const ca = await createCertificateAuthority("login-e2e-proxy-ca");
  const leaf = await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1"], usage: "server" });
  const files = { ca: join(world.dir, "proxy-ca.crt"), cert: join(world.dir, "proxy.crt"), key: join(world.dir, "proxy.key") };
  await Promise.all([writeFile(files.ca, ca.certPem), writeFile(files.cert, leaf.certPem), writeFile(files.key, leaf.keyPem)]);
  const [port, ready] = [await freePort(), await freePort()];
  const child = spawn(KUBEWARD[0], [
    KUBEWARD[1], "proxy", `--oidc-issuer-url=${world.provider.issuer}`, "--oidc-client-id=kubectl", `--oidc-ca-file=${world.caFile}`,
    `--kubeconfig=${cluster.proxyKubeconfig}`, "--bind-address=127.0.0.1", `--secure-port=${port}`, `--readiness-probe-port=${ready}`,
    `--tls-cert-file=${files.cert}`, `--tls-private-key-file=${files.key}`, "--log-level=warn",
  ], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${ready}/ready`).then((r) => r.status === 200, () => false);
    if (ok) return { child, url: `https://127.0.0.1:${port}`, caFile: files.ca };
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  child.kill("SIGKILL");
  throw new Error(`kubeward proxy did not become ready: ${stderr}`);
}

describe("kubectl → kubeward login → kubeward proxy → kube-apiserver", () => {
  let world: LoginWorld;
  let browser: Browser;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  before(async () => {
    [world, browser] = await Promise.all([startLoginWorld(), launchChromium()]);
    proxy = await startProxy(world);
  });
  after(async () => {
    const exited = once(proxy.child, "exit");
    proxy.child.kill("SIGTERM");
    await exited;
    await browser.close();
    await world.close();
  });

  test("kubectl auth whoami names the user of the ID token kubeward login got", async () => {
    const kubeconfig = join(world.dir, "kubeconfig");
    const login = world.login.slice(1).filter((f) => !f.startsWith("--certificate-authority"));
    const made = await world.run(["kubeconfig", `--kubeconfig=${kubeconfig}`, `--server=${proxy.url}`, `--certificate-authority=${proxy.caFile}`, "--set-current", `--oidc-ca-file=${world.caFile}`, ...login]);
    assert.equal(made.code, 0, made.stderr);
    const running = cluster.kubectlAs(kubeconfig, ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}"]);
    await logInWithChromium(browser, await world.waitForBrowserUrl(1));
    const r = await running;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${world.provider.issuer.replace(/[.]/g, "\\.")}#jane .*system:authenticated`));
  });
});
