/**
 * Strict parsing of compact JWS tokens before any key is touched: size limit,
 * three base64url parts, JSON object header and payload, and the types of the
 * standard claims go-oidc decodes (a wrong type there is a malformed token).
 */
import { KubewardError } from "../errors.ts";

/** Longest token accepted; anything larger is refused before parsing. */
export const MAX_TOKEN_BYTES = 16 * 1024;

/** kube-apiserver treats Google's scheme-less issuer as the https one. */
const GOOGLE_ISSUER_NO_SCHEME = "accounts.google.com";
const GOOGLE_ISSUER = "https://accounts.google.com";

/** A decoded, not yet verified, compact JWS. */
export interface ParsedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: Readonly<Record<string, unknown>>;
  /** The raw compact serialization, for signature verification. */
  readonly raw: string;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function malformed(detail: string): KubewardError {
  return new KubewardError("token_malformed", detail);
}

/** Decodes unpadded base64url strictly (Go's RawURLEncoding rejects what Buffer would skip). */
function decodeBase64Url(part: string, what: string): Buffer {
  if (!BASE64URL.test(part) || part.length % 4 === 1) throw malformed(`${what} is not base64url`);
  return Buffer.from(part, "base64url");
}

function decodeJsonObject(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decodeBase64Url(part, what).toString("utf8"));
  } catch (e) {
    if (e instanceof KubewardError) throw e;
    throw malformed(`${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw malformed(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function splitCompact(token: string): [string, string, string] {
  if (token.length > MAX_TOKEN_BYTES) throw malformed(`token is longer than ${MAX_TOKEN_BYTES} bytes`);
  if (token.trimStart().startsWith("{")) throw malformed("token is not a compact JWS");
  const parts = token.split(".");
  if (parts.length !== 3) throw malformed(`expected 3 parts, got ${parts.length}`);
  return parts as [string, string, string];
}

/**
 * Reads the unverified `iss` the way kube-apiserver does to pick an issuer
 * (`untrustedIssuer`): never trust the result beyond that choice.
 */
export function peekIssuer(token: string): string {
  const [, payload] = splitCompact(token);
  const iss = decodeJsonObject(payload, "payload")["iss"];
  if (iss !== undefined && iss !== null && typeof iss !== "string") throw malformed("iss is not a string");
  const value = typeof iss === "string" ? iss : "";
  return value === GOOGLE_ISSUER_NO_SCHEME ? GOOGLE_ISSUER : value;
}

function checkClaimTypes(claims: Record<string, unknown>): void {
  const ok = (name: string, test: (v: unknown) => boolean): void => {
    const v = claims[name];
    if (v !== undefined && v !== null && !test(v)) throw malformed(`claim ${name} has the wrong type`);
  };
  const isString = (v: unknown): boolean => typeof v === "string";
  const isNumber = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v);
  ok("iss", isString);
  ok("sub", isString);
  ok("nonce", isString);
  ok("at_hash", isString);
  ok("exp", isNumber);
  ok("nbf", isNumber);
  ok("iat", isNumber);
  ok("aud", (v) => typeof v === "string" || (Array.isArray(v) && v.every(isString)));
}

/** Parses a compact JWS; every failure is `token_malformed`. */
export function parseJwt(token: string): ParsedJwt {
  const [h, p] = splitCompact(token);
  const header = decodeJsonObject(h, "header");
  if (typeof header["alg"] !== "string") throw malformed("header has no alg");
  if (header["crit"] !== undefined || header["b64"] !== undefined) throw malformed("critical header parameters are not supported");
  if (header["kid"] !== undefined && typeof header["kid"] !== "string") throw malformed("kid is not a string");
  const claims = decodeJsonObject(p, "payload");
  checkClaimTypes(claims);
  return { header, claims, raw: token };
}
