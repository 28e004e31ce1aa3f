/**
 * Generates a CA and serving certificates for kubeward's proxy and issuer:
 *   node certs/generate.ts --out certs/out --hosts proxy.example.com,10.0.0.5 [--issuer-hosts …]
 * Writes ca.crt/ca.key, proxy.crt/proxy.key and (with --issuer-hosts) issuer.crt/issuer.key.
 */
import { mkdir, writeFile, access } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createCertificateAuthority, issueCertificate, type KeyPair } from "../src/pki/certificates.ts";

const USAGE = "usage: node certs/generate.ts --out DIR --hosts NAME[,IP…] [--issuer-hosts NAME[,IP…]] [--days N] [--force]";

function fail(message: string): never {
  process.stderr.write(`certs: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function hostList(flag: string, value: string | undefined): string[] {
  const hosts = (value ?? "").split(",").map((h) => h.trim()).filter((h) => h !== "");
  for (const h of hosts) {
    if (!/^[A-Za-z0-9.*:-]+$/.test(h)) fail(`${flag}: "${h}" is neither a DNS name nor an IP address`);
  }
  return hosts;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

async function writePair(dir: string, name: string, pair: KeyPair): Promise<void> {
  await writeFile(join(dir, `${name}.crt`), pair.certPem, { mode: 0o644 });
  await writeFile(join(dir, `${name}.key`), pair.keyPem, { mode: 0o600 });
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        out: { type: "string" }, hosts: { type: "string" }, "issuer-hosts": { type: "string" },
        days: { type: "string", default: "365" }, force: { type: "boolean", default: false },
      },
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (!values.out) fail("--out: required");
  const proxyHosts = hostList("--hosts", values.hosts);
  if (proxyHosts.length === 0) fail("--hosts: at least one DNS name or IP address is required");
  const issuerHosts = hostList("--issuer-hosts", values["issuer-hosts"]);
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 3650) fail(`--days: must be a whole number from 1 to 3650 (got "${values.days}")`);
  if (!values.force && (await exists(join(values.out, "ca.key")))) fail(`--out: ${values.out}/ca.key exists; pass --force to replace it`);

  await mkdir(values.out, { recursive: true, mode: 0o700 });
  const ca = await createCertificateAuthority("kubeward-ca");
  await writePair(values.out, "ca", ca);
  await writePair(values.out, "proxy", await issueCertificate(ca, { commonName: proxyHosts[0] ?? "kubeward-proxy", hosts: proxyHosts, usage: "server", validDays: days }));
  if (issuerHosts.length > 0) {
    await writePair(values.out, "issuer", await issueCertificate(ca, { commonName: issuerHosts[0] ?? "kubeward-issuer", hosts: issuerHosts, usage: "server", validDays: days }));
  }
  process.stdout.write(`wrote ${values.out}/ca.crt, proxy.crt${issuerHosts.length > 0 ? ", issuer.crt" : ""} and their keys (keys are 0600)\n`);
}

await main();
