/**
 * Encryption at rest of what connectors keep for refreshing (an upstream
 * refresh token, say): AES-256-GCM under keys derived (HKDF-SHA256) from the
 * issuer's secret keys, newest first; older keys still open what they sealed.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/** Seals and opens JSON values. */
export interface Sealer {
  seal(value: unknown): string;
  /** The value, or undefined when no key opens it (a key was dropped) or it was tampered with. */
  open(sealed: string): unknown;
}

const PREFIX = "v1.";

function derive(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "kubeward", "connector data", 32));
}

function openWith(key: Buffer, data: Buffer): unknown {
  const decipher = createDecipheriv("aes-256-gcm", key, data.subarray(0, 12));
  decipher.setAuthTag(data.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString("utf8"));
}

/** A sealer over `secrets` (newest first; at least one). */
export function createSealer(secrets: readonly string[]): Sealer {
  const keys = secrets.map(derive);
  const [current] = keys;
  if (current === undefined) throw new TypeError("createSealer: at least one secret is required");
  return {
    seal(value) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", current, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(value) ?? "null", "utf8"), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
    },
    open(sealed) {
      if (!sealed.startsWith(PREFIX)) return undefined;
      const data = Buffer.from(sealed.slice(PREFIX.length), "base64url");
      for (const key of keys) {
        try {
          return openWith(key, data);
        } catch {
          continue;
        }
      }
      return undefined;
    },
  };
}
