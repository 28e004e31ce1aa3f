/**
 * Turns a JWKS document into the public keys usable for verifying
 * signatures (RSA of at least 2048 bits, and EC on the NIST curves);
 * encryption keys and key types kube-apiserver cannot use are dropped.
 */
import { createPublicKey, type KeyObject } from "node:crypto";

/** One verification key from the issuer's JWKS. */
export interface VerificationKey {
  /** `kid`, or undefined when the JWK has none. */
  readonly kid: string | undefined;
  readonly kty: "RSA" | "EC";
  /** EC curve (P-256, P-384, P-521); undefined for RSA. */
  readonly crv: string | undefined;
  readonly key: KeyObject;
}

const EC_CURVES = new Set(["P-256", "P-384", "P-521"]);
/**
 * jose refuses RSA keys under 2048 bits, so such keys are ignored. (Go, and
 * so kube-apiserver, still accepts 1024-bit keys: a deliberate difference.)
 */
const MIN_RSA_BITS = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The key type (and curve) a JWS algorithm needs. */
export function keyMatchesAlg(key: VerificationKey, alg: string): boolean {
  if (alg.startsWith("RS") || alg.startsWith("PS")) return key.kty === "RSA";
  const curves: Record<string, string> = { ES256: "P-256", ES384: "P-384", ES512: "P-521" };
  return key.kty === "EC" && curves[alg] === key.crv;
}

function toKey(jwk: Record<string, unknown>): VerificationKey | undefined {
  if (jwk["use"] !== undefined && jwk["use"] !== "sig") return undefined;
  const kty = jwk["kty"];
  if (kty !== "RSA" && kty !== "EC") return undefined;
  if (kty === "EC" && !EC_CURVES.has(String(jwk["crv"]))) return undefined;
  const members = kty === "RSA" ? ["n", "e"] : ["x", "y"];
  if (!members.every((m) => typeof jwk[m] === "string" && BASE64URL.test(jwk[m]))) return undefined;
  const kid = typeof jwk["kid"] === "string" ? jwk["kid"] : undefined;
  const publicOnly: Record<string, unknown> = kty === "RSA"
    ? { kty, n: jwk["n"], e: jwk["e"] }
    : { kty, crv: jwk["crv"], x: jwk["x"], y: jwk["y"] };
  try {
    const key = createPublicKey({ key: publicOnly as import("node:crypto").JsonWebKey, format: "jwk" });
    if (kty === "RSA" && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return undefined;
    return { kid, kty, crv: kty === "EC" ? String(jwk["crv"]) : undefined, key };
  } catch {
    return undefined;
  }
}

/**
 * Parses a JWKS document. Throws when the document is not a key set at all;
 * individual unusable keys are skipped and counted in `ignored`.
 */
export function parseJwks(doc: unknown): { keys: VerificationKey[]; ignored: number } {
  if (typeof doc !== "object" || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) {
    throw new Error("JWKS document has no keys array");
  }
  const keys: VerificationKey[] = [];
  let ignored = 0;
  for (const entry of (doc as { keys: unknown[] }).keys) {
    const key = typeof entry === "object" && entry !== null ? toKey(entry as Record<string, unknown>) : undefined;
    if (key) keys.push(key);
    else ignored++;
  }
  return { keys, ignored };
}
