import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { createServer, connect } from "node:tls";
import { once } from "node:events";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";

test("a serving certificate from a generated CA is trusted by a TLS client that trusts the CA", async () => {
  const ca = await createCertificateAuthority("kubeward-test-ca");
  const leaf = await issueCertificate(ca, { commonName: "proxy", hosts: ["127.0.0.1", "localhost"], usage: "server" });
  const x = new X509Certificate(leaf.certPem);
  assert.ok(x.checkIssued(new X509Certificate(ca.certPem)));
  assert.match(x.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (s) => s.end("hi"));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  const sock = connect({ host: "127.0.0.1", port, ca: ca.certPem });
  const [data] = await once(sock, "data");
  assert.equal(String(data), "hi");
  sock.destroy();
  server.close();
});

test("a client certificate carries its organisations in the subject", async () => {
  const ca = await createCertificateAuthority("ca");
  const c = await issueCertificate(ca, { commonName: "admin", organizations: ["system:masters"], usage: "client" });
  assert.equal(new X509Certificate(c.certPem).subject, "O=system:masters\nCN=admin");
});
