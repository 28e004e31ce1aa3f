/**
 * `kubeward proxy`'s composition with a revocation section: the proxy, its
 * sqlite-backed guard and the admin API start together; `kubeward revoke`
 * against that admin API refuses an external issuer's token at that proxy.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:https";
import { buildParts, startParts, stopParts } from "../../src/cli/proxy.ts";
import { run } from "../../src/cli/run.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";
import { startRecordingUpstream, type RecordingUpstream } from "../tools/recording-upstream.ts";
import { issuerConfigFor, startTestIssuer, type TestIssuer } from "../tools/test-issuer.ts";
import { freePort } from "../tools/free-port.ts";

let dir: string;
let upstream: RecordingUpstream;
let issuer: TestIssuer;
let parts: ReturnType<typeof buildParts>;
let proxyPort: number;
let adminPort: number;
let caPem: string;


before(async () => {
  dir = await mkdtemp(join(tmpdir(), "kubeward-wiring-"));
  upstream = await startRecordingUpstream();
  issuer = await startTestIssuer();
  const ca = await createCertificateAuthority("wiring-ca");
  caPem = ca.certPem;
  const serving = await issueCertificate(ca, { commonName: "kubeward", hosts: ["127.0.0.1"], usage: "server" });
  const operator = await issueCertificate(ca, { commonName: "oncall", usage: "client" });
  for (const [name, text] of [["tls.crt", serving.certPem], ["tls.key", serving.keyPem], ["ca.crt", ca.certPem], ["op.crt", operator.certPem], ["op.key", operator.keyPem]] as const) {
    await writeFile(join(dir, name), text);
  }
  proxyPort = await freePort();
  adminPort = await freePort();
  const config: ProxyConfig = {
    oidc: [issuerConfigFor(issuer, { usernameClaim: "email", usernamePrefix: "" })], listen: { host: "127.0.0.1", port: proxyPort },
    tlsCertFile: join(dir, "tls.crt"), tlsPrivateKeyFile: join(dir, "tls.key"), flushIntervalMs: 0, extraUserHeaders: {}, extraUserHeaderClientIp: false,
    allowReservedIdentities: false, shutdownGracePeriodMs: 1_000, maxHeaderSize: 16_384, logLevel: "fatal",
    upstream: { server: upstream.url, caPem: upstream.ca.certPem, certPem: upstream.clientCert.certPem, keyPem: upstream.clientCert.keyPem, insecureSkipTlsVerify: false },
    revocation: {
      sqliteFile: join(dir, "revocations.db"), lockingMode: "failClosed", staleAfterMs: 15_000, pollIntervalMs: 1_000, maxTokenAgeMs: 86_400_000,
      admin: { listen: { host: "127.0.0.1", port: adminPort }, tlsCertFile: join(dir, "tls.crt"), tlsPrivateKeyFile: join(dir, "tls.key"), clientCaFile: join(dir, "ca.crt") },
    },
  };
  parts = buildParts(config);
  await startParts(config, parts);
  await parts.authenticator.start();
});
after(async () => {
  await stopParts(parts);
  await issuer.stop();
  await upstream.close();
  await rm(dir, { recursive: true, force: true });
});

function status(token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: proxyPort, ca: caPem, path: "/api/v1/pods", agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

test("kubeward revoke through the configured admin API refuses the user's token at the configured proxy", async () => {
  const token = issuer.mint({ email: "una@example.com", email_verified: true, iat: Math.floor(Date.now() / 1000) - 30 });
  assert.equal(await status(token), 200);
  let err = "";
  const code = await run(["revoke", "user", "una@example.com", "--server", `https://127.0.0.1:${adminPort}`, "--certificate-authority", join(dir, "ca.crt"),
    "--client-certificate", join(dir, "op.crt"), "--client-key", join(dir, "op.key")], {
    stdout: () => {}, stderr: (t) => { err += t; }, env: {}, shutdownSignal: () => new Promise(() => {}),
  });
  assert.equal(err, "");
  assert.equal(code, 0);
  assert.equal(await status(token), 401);
  assert.equal(parts.revocation?.guard.mode, "failClosed");
});
