/**
 * Reads a connector's `rootCAs` (or `rootCA`) entries as Dex does: each is a
 * PEM file path, PEM text, or base64 of PEM. Problems name the entry.
 */
import { parseCertificates, readSettingFile } from "../../../config/pem.ts";
import type { Problems } from "../../../config/errors.ts";

async function entryPem(entry: string, path: string, problems: Problems): Promise<string | undefined> {
  if (entry.includes("-----BEGIN")) return entry;
  const decoded = Buffer.from(entry, "base64").toString("utf8");
  if (/^[A-Za-z0-9+/=\s]+$/.test(entry) && decoded.includes("-----BEGIN")) return decoded;
  return readSettingFile({ value: entry, path }, problems);
}

/**
 * The CA bundle (PEM) from `entries`, or undefined when there are none;
 * unreadable or unparseable entries are added to `problems` under `field[i]`.
 */
export async function readRootCAs(entries: readonly string[], field: string, problems: Problems): Promise<string | undefined> {
  const pems: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const path = entries.length === 1 && !field.endsWith("s") ? field : `${field}[${i}]`;
    const pem = await entryPem(entry, path, problems);
    if (pem !== undefined && parseCertificates(pem, path, problems)) pems.push(pem);
  }
  return pems.length > 0 ? pems.join("\n") : undefined;
}
