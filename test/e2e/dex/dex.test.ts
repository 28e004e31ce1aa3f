/**
 * An ID token from a real Dex (password grant) through the real `kubeward
 * proxy`: accepted, and named exactly as a kube-apiserver configured with
 * the same OIDC flags for Dex names it.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { startProxy, writeTokenKubeconfig } from "../support/proxy.ts";
import { kubectlOk, parseWhoAmI, type WhoAmI } from "../support/kubectl.ts";
import { DEX_CLIENT, DEX_USER, startDex, type Dex } from "./dex.ts";

const cluster = useCluster();

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;

describe("a Dex ID token through kubeward proxy", () => {
  let dex: Dex;
  let idToken: string;
  before(async () => {
    dex = await startDex();
    const grant = await dex.passwordGrant(DEX_USER.email, DEX_USER.password);
    assert.equal(grant.status, 200, JSON.stringify(grant.body));
    idToken = String(grant.body["id_token"]);
  });
  after(async () => {
    await dex?.stop();
  });

  test("Dex refuses a wrong password (the token below is Dex's answer to the right one)", async () => {
    const grant = await dex.passwordGrant(DEX_USER.email, "wrong");
    assert.notEqual(grant.status, 200);
    assert.equal(grant.body["id_token"], undefined);
  });

  /** whoami through kubeward and straight to a kube-apiserver with the same `--oidc-*` flags. */
  async function both(flags: string[]): Promise<[WhoAmI, WhoAmI]> {
    const ca = join(cluster.dir, `dex-ca-${process.pid}.pem`);
    writeFileSync(ca, dex.caPem);
    const [apiserver, proxy] = await Promise.all([
      cluster.startApiserver([`--oidc-issuer-url=${dex.issuer}`, `--oidc-client-id=${DEX_CLIENT.id}`, `--oidc-ca-file=${ca}`, ...flags]),
      startProxy(cluster, { issuerUrl: dex.issuer, clientId: DEX_CLIENT.id, issuerCaPem: dex.caPem, args: flags }),
    ]);
    try {
      const direct = writeTokenKubeconfig(join(proxy.dir, "direct.kubeconfig"), { server: apiserver.server, caPem: cluster.caPem, user: "jane", token: idToken });
      const viaProxy = kubectlOk(cluster, proxy.kubeconfigFor("jane", idToken), ["auth", "whoami", "-o", "json"]);
      // kube-apiserver's OIDC authenticator discovers Dex in the background after /readyz: retry until it does.
      let reference: string | undefined;
      for (let i = 0; i < 60 && reference === undefined; i++) {
        const r = await cluster.kubectlAs(direct, ["auth", "whoami", "-o", "json"]);
        if (r.code === 0) reference = r.stdout;
        else await new Promise((resolve) => setTimeout(resolve, 500));
      }
      assert.ok(reference !== undefined, "kube-apiserver never accepted the Dex token");
      return [parseWhoAmI(await viaProxy), parseWhoAmI(reference)];
    } finally {
      await Promise.all([apiserver.stop(), proxy.stop()]);
    }
  }

  test("username claim email: kubectl auth whoami shows the Dex user's email, without prefix", async () => {
    assert.equal(claimsOf(idToken)["email_verified"], true);
    const [viaProxy, direct] = await both(["--oidc-username-claim=email"]);
    assert.deepEqual(viaProxy, { username: DEX_USER.email, groups: ["system:authenticated"], extra: {} });
    assert.deepEqual(viaProxy, direct);
  });

  test("default username claim sub: the Dex subject with the issuer# prefix", async () => {
    const [viaProxy, direct] = await both([]);
    assert.equal(viaProxy.username, `${dex.issuer}#${String(claimsOf(idToken)["sub"])}`);
    assert.deepEqual(viaProxy, direct);
  });
});
