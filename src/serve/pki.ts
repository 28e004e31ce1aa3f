/**
 * The generated certificates under the state directory: a CA, then serving
 * certificates for the issuer and the proxy that it signs. Each is reused
 * on restart while it is valid for 30 more days and names the hosts needed.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { X509Certificate, webcrypto } from "node:crypto";
import { isIP } from "node:net";
import { join } from "node:path";
import { createCertificateAuthority, issueCertificate, type CertificateAuthority } from "../pki/certificates.ts";
import { STATE_FILES, readIfPresent, writeFileDurably } from "./state-dir.ts";

const RENEW_BEFORE_MS = 30 * 86_400_000;
const ALG = { name: "ECDSA", namedCurve: "P-256" } as const;

/** A certificate and key as files. */
export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

function fresh(cert: X509Certificate): boolean {
  return Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS;
}

function parse(pem: string | undefined): X509Certificate | undefined {
  try {
    return pem === undefined ? undefined : new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

async function importCa(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  const cert = new x509.X509Certificate(certPem);
  const der = Buffer.from(keyPem.replace(/-----[^-]+-----|\s/g, ""), "base64");
  const privateKey = await webcrypto.subtle.importKey("pkcs8", der, ALG, true, ["sign"]);
  const publicKey = await cert.publicKey.export(ALG, ["verify"]);
  return { cert, certPem, keyPem, keys: { privateKey, publicKey } as CertificateAuthority["keys"] };
}

/** The state directory's CA, created when missing or expiring; `created` says which. */
export async function ensureCa(dir: string): Promise<{ ca: CertificateAuthority; caFile: string; created: boolean }> {
  const caFile = join(dir, STATE_FILES.caCert);
  const keyFile = join(dir, STATE_FILES.caKey);
  const [certPem, keyPem] = [await readIfPresent(caFile), await readIfPresent(keyFile)];
  const parsed = parse(certPem);
  if (certPem !== undefined && keyPem !== undefined && parsed?.ca === true && fresh(parsed)) {
    return { ca: await importCa(certPem, keyPem), caFile, created: false };
  }
  const ca = await createCertificateAuthority("kubeward local CA");
  await writeFileDurably(keyFile, ca.keyPem, 0o600);
  await writeFileDurably(caFile, ca.certPem, 0o644);
  return { ca, caFile, created: true };
}

function covers(cert: X509Certificate, hosts: readonly string[]): boolean {
  return hosts.every((h) => (isIP(h) ? cert.checkIP(h) : cert.checkHost(h, { subject: "never" })) !== undefined);
}

/**
 * A serving certificate `name`.crt/.key signed by `ca` for `hosts`, reused
 * when it still is; the CA's replacement means new leaves.
 */
export async function ensureServingCert(dir: string, name: "issuer" | "proxy", ca: CertificateAuthority, hosts: readonly string[]): Promise<CertFiles> {
  const files = name === "issuer"
    ? { certFile: join(dir, STATE_FILES.issuerCert), keyFile: join(dir, STATE_FILES.issuerKey) }
    : { certFile: join(dir, STATE_FILES.proxyCert), keyFile: join(dir, STATE_FILES.proxyKey) };
  const leaf = parse(await readIfPresent(files.certFile));
  const signer = new X509Certificate(ca.certPem);
  const key = await readIfPresent(files.keyFile);
  if (leaf && key !== undefined && fresh(leaf) && covers(leaf, hosts) && leaf.checkIssued(signer) && leaf.verify(signer.publicKey)) return files;
  const pair = await issueCertificate(ca, { commonName: `kubeward ${name}`, hosts: [...new Set(hosts)], usage: "server" });
  await writeFileDurably(files.keyFile, pair.keyPem, 0o600);
  await writeFileDurably(files.certFile, pair.certPem, 0o644);
  return files;
}
