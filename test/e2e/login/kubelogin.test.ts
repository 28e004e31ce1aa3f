/**
 * Interoperability: the real kubelogin (int128/kubelogin) as kubectl's credential
 * plugin logs in at `kubeward serve`'s issuer (password grant, and the browser
 * flow in Chromium), and real kubectl's calls with its token pass kubeward's proxy.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import type { Browser } from "playwright-core";
import { binaries, requireBinaries } from "../../fixtures/cluster/binaries.ts";
import { freePort } from "../../fixtures/cluster/wait.ts";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { launchBrowser } from "../../tools/browser.ts";
import { claimsOf, signInWithChromium, startServeFixture, USER, type ServeFixture } from "./serve-fixture.ts";

const cluster = useCluster();
const KUBELOGIN = binaries().kubelogin;
const WHOAMI = ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}"];
const EXPECTED = `${USER.email} ${JSON.stringify([...USER.groups, "system:authenticated"])}`;

describe("kubelogin against kubeward serve's issuer, through kubeward's proxy", () => {
  let f: ServeFixture;
  let browser: Browser;
  before(async () => {
    requireBinaries([[KUBELOGIN, "kubelogin"]]);
    [f, browser] = await Promise.all([startServeFixture(cluster), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await f?.close();
  });

  /** A kubeconfig whose user runs `kubelogin get-token` with kubeward's issuer, as kubelogin's README sets it up. */
  const kubeloginKubeconfig = async (name: string, flags: readonly string[]) => {
    const path = join(f.dir, `${name}.kubeconfig`);
    const cacheDir = join(f.dir, `kubelogin-cache-${name}`);
    const args = ["get-token", `--oidc-issuer-url=${f.issuerUrl}`, "--oidc-client-id=kubeward", `--certificate-authority=${f.caFile}`,
      "--oidc-extra-scope=email", "--oidc-extra-scope=groups", `--token-cache-dir=${cacheDir}`, ...flags];
    await writeFile(path, stringify({
      apiVersion: "v1", kind: "Config", "current-context": name,
      clusters: [{ name, cluster: { server: f.proxyUrl, "certificate-authority-data": Buffer.from(await readFile(f.caFile, "utf8")).toString("base64") } }],
      users: [{
        name, user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1", command: KUBELOGIN, interactiveMode: "IfAvailable", provideClusterInfo: false,
            args,
          },
        },
      }],
      contexts: [{ name, context: { cluster: name, user: name } }],
    }), { mode: 0o600 });
    return { path, cacheDir, args };
  };

  test("kubelogin's password grant: kubectl auth whoami through kubeward's proxy names the user", { timeout: 240_000 }, async () => {
    const kc = await kubeloginKubeconfig("kubelogin-password", ["--grant-type=password", `--username=${USER.email}`, `--password=${USER.password}`]);
    const r = await f.kubectl(kc.path, WHOAMI);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, EXPECTED);
    assert.ok((await readdir(kc.cacheDir)).length >= 1, "kubelogin cached the token in --token-cache-dir");
    const again = await f.kubectl(kc.path, WHOAMI);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, EXPECTED);
  });

  test("kubelogin's browser flow: --browser-command hands the URL to Chromium, which signs in at kubeward's page", { timeout: 240_000 }, async () => {
    const port = await freePort();
    const kc = await kubeloginKubeconfig("kubelogin-browser", [`--listen-address=127.0.0.1:${port}`, `--browser-command=${f.browserScript}`]);
    const opened = (await f.browserUrls()).length;
    const running = f.startKubectl(kc.path, WHOAMI);
    const url = await f.waitForBrowserUrl(opened + 1);
    // kubelogin opens its own local server first, which redirects to the issuer.
    await signInWithChromium(browser, url);
    const r = await running.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, EXPECTED);
    const again = await f.kubectl(kc.path, WHOAMI);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await f.browserUrls()).length, opened + 1, "kubelogin used its cache: no second browser");

    // Run by hand, it prints the ExecCredential from its cache: the ID token kubeward's issuer signed for the kubeward client.
    const { stdout } = await promisify(execFile)(KUBELOGIN, kc.args, { env: { PATH: process.env["PATH"] ?? "", HOME: f.dir } });
    const token = (JSON.parse(stdout) as { status: { token: string } }).status.token;
    assert.deepEqual([claimsOf(token)["iss"], claimsOf(token)["aud"], claimsOf(token)["email"]], [f.issuerUrl, "kubeward", USER.email]);
  });
});
