/**
 * Reads and checks PEM material at the edge: CA bundles must hold parseable
 * certificates, and a private key must match its certificate.
 */
import { readFile } from "node:fs/promises";
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import type { Problems } from "./errors.ts";
import type { Setting } from "./values.ts";

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** Reads a file named by a setting; undefined (problem recorded) when it cannot be read. */
export async function readSettingFile(s: Setting<string>, problems: Problems): Promise<string | undefined> {
  try {
    return await readFile(s.value, "utf8");
  } catch (e) {
    problems.add(s.path, `cannot read ${JSON.stringify(s.value)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return undefined;
  }
}

/** The certificates in a PEM bundle; a problem when there are none or one does not parse. */
export function parseCertificates(pem: string, path: string, problems: Problems): X509Certificate[] | undefined {
  const blocks = pem.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) {
    problems.add(path, "does not hold a PEM certificate (-----BEGIN CERTIFICATE-----)");
    return undefined;
  }
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch (e) {
    problems.add(path, `holds a certificate that does not parse: ${(e as Error).message}`);
    return undefined;
  }
}

/** A PEM private key; a problem when it does not parse (encrypted keys are refused). */
export function parsePrivateKey(pem: string, path: string, problems: Problems): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    problems.add(path, `does not hold a usable unencrypted PEM private key: ${(e as Error).message}`);
    return undefined;
  }
}

/** Checks that the key belongs to the first (leaf) certificate. */
export function checkKeyPair(certPem: string, keyPem: string, cert: Setting<string>, key: Setting<string>, problems: Problems): boolean {
  const [leaf] = parseCertificates(certPem, cert.path, problems) ?? [];
  const privateKey = parsePrivateKey(keyPem, key.path, problems);
  if (!leaf || !privateKey) return false;
  if (leaf.checkPrivateKey(privateKey)) return true;
  problems.add(key.path, `does not match the certificate in ${cert.path}`);
  return false;
}

/** Reads a CA bundle file and checks it; the PEM text when usable. */
export async function readCaFile(s: Setting<string>, problems: Problems): Promise<string | undefined> {
  const pem = await readSettingFile(s, problems);
  return pem !== undefined && parseCertificates(pem, s.path, problems) ? pem : undefined;
}
