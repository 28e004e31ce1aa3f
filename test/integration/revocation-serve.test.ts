/**
 * `kubeward serve` with an admin API: the initial admin, with a token from the
 * embedded issuer, revokes a user through `kubeward revoke --token`; that
 * user's ID token is refused by serve's proxy and its refresh by serve's
 * issuer; a revoked admin token no longer opens the admin API, a client
 * certificate lifts the revocation, and a new login works.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { run } from "../../src/cli/run.ts";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";
import { fetchTrusting } from "./issuer-harness.ts";
import { freePort, serveWorkspace, writeServeConfig } from "./serve-child.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await run(args, { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, env: {}, shutdownSignal: () => new Promise(() => {}) });
  return { code, out, err };
}

test("serve: revoke through the admin API with an admin token; proxy and issuer both refuse; a certificate lifts it", { timeout: 120_000 }, async (t) => {
  const { dir, upstream, start } = await serveWorkspace(t, "kubeward-serve-revocation-");
  const ca = await createCertificateAuthority("admin-ca");
  const adminTls = await issueCertificate(ca, { commonName: "kubeward-admin", hosts: ["127.0.0.1"], usage: "server" });
  const oncall = await issueCertificate(ca, { commonName: "oncall", usage: "client" });
  const files: Record<string, string> = { "ca.crt": ca.certPem, "admin.crt": adminTls.certPem, "admin.key": adminTls.keyPem, "oncall.crt": oncall.certPem, "oncall.key": oncall.keyPem };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const adminUrl = `https://127.0.0.1:${await freePort()}`;
  const { config, issuerUrl } = await writeServeConfig(dir, upstream, {
    revocation: { admin: { bindAddress: "127.0.0.1", securePort: Number(new URL(adminUrl).port), tlsCertFile: "admin.crt", tlsPrivateKeyFile: "admin.key", clientCAFile: "ca.crt", adminGroup: "kubeward-admins" } },
  });
  const serve = start(["--config", config]);
  const proxyUrl = (await serve.waitFor(/kubeward serve: proxy at (https:\S+)/))[1] ?? "";
  const password = (await serve.waitFor(/Initial admin password for admin@kubeward\.local[^:]*: (\S+)/))[1] ?? "";
  const stateFetch = fetchTrusting(await readFile(join(dir, "state", "ca.crt"), "utf8"));
  const login = async () => {
    const res = await stateFetch(`${issuerUrl}/token`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${b64("cli:cli-secret-value")}` },
      body: new URLSearchParams({ grant_type: "password", username: "admin@kubeward.local", password, scope: "openid email groups offline_access" }).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };
  const refresh = async (token: string) => {
    const res = await stateFetch(`${issuerUrl}/token`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${b64("cli:cli-secret-value")}` },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: token }).toString(),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };
  const proxied = async (idToken: string) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await stateFetch(`${proxyUrl}/api/v1/pods`, { headers: { authorization: `Bearer ${idToken}` } });
      await res.arrayBuffer();
      if (res.status !== 401 || Date.now() > deadline) return res.status;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const first = await login();
  assert.equal(first.status, 200);
  assert.equal(await proxied(first.body.id_token ?? ""), 200);
  const asAdmin = ["--server", adminUrl, "--certificate-authority", join(dir, "ca.crt"), "--token", first.body.id_token ?? ""];
  const revoked = await cli("revoke", "user", "admin@kubeward.local", "--reason", "drill", ...asAdmin);
  assert.equal(revoked.err, "");
  assert.equal(revoked.code, 0);
  const refused = await stateFetch(`${proxyUrl}/api/v1/pods`, { headers: { authorization: `Bearer ${first.body.id_token}` } });
  assert.equal(refused.status, 401);
  const again = await refresh(first.body.refresh_token ?? "");
  assert.equal(again.status, 400);
  assert.equal(again.body.error, "invalid_grant");
  const list = await cli("revocations", "list", ...asAdmin);
  assert.equal(list.code, 1, "the revoked admin token no longer opens the admin API");
  const id = /\(id (rev-[0-9a-f]+)\)/.exec(revoked.out)?.[1] ?? "";
  const lifted = await cli("revocations", "lift", id, "--server", adminUrl, "--certificate-authority", join(dir, "ca.crt"), "--client-certificate", join(dir, "oncall.crt"), "--client-key", join(dir, "oncall.key"));
  assert.equal(lifted.code, 0, lifted.err);
  const second = await login();
  assert.equal(second.status, 200);
  assert.equal(await proxied(second.body.id_token ?? ""), 200, "a new login works");
});
