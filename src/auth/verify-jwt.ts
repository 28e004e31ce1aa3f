/**
 * Verifies a parsed JWT the way go-oidc's IDTokenVerifier does for
 * kube-apiserver: cheap claim checks first (iss, aud, exp, nbf, alg), then
 * the signature against the issuer's keys, refetching them for unknown keys.
 */
import { compactVerify, errors as joseErrors } from "jose";
import { KubewardError } from "../errors.ts";
import type { ParsedJwt } from "./jwt-parse.ts";
import { keyMatchesAlg, type VerificationKey } from "./jwks.ts";

/**
 * Leeway on `nbf`: 1 minute, as in go-oidc v2.3.0 (`verify.go`), which
 * kube-apiserver 1.34 vendors (k8s.io/apiserver go.mod). go-oidc v3 allows
 * 5 minutes; change this when the kube-apiserver release we match moves to
 * it. `exp` gets no leeway in either.
 */
export const NBF_LEEWAY_MS = 60_000;

/** The only algorithms kube-apiserver accepts (`allowedSigningAlgs` in oidc.go). */
export const ALLOWED_SIGNING_ALGS: ReadonlySet<string> = new Set([
  "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512",
]);

const GOOGLE_ISSUER = "https://accounts.google.com";

/** What one issuer requires of its tokens. */
export interface VerifyPolicy {
  readonly issuerUrl: string;
  readonly audiences: readonly string[];
  readonly signingAlgs: readonly string[];
}

/** Where signature keys come from; `refetch` is rate-limited by the source. */
export interface KeySource {
  keys(): readonly VerificationKey[];
  refetch(): Promise<readonly VerificationKey[]>;
}

/** Converts a NumericDate to milliseconds, truncated to whole seconds as go-oidc's jsonTime does. */
export function numericDateMs(value: unknown): number | undefined {
  return typeof value === "number" ? Math.trunc(value) * 1000 : undefined;
}

function checkIssuer(claims: Readonly<Record<string, unknown>>, issuerUrl: string): void {
  const iss = claims["iss"];
  if (iss === issuerUrl || (issuerUrl === GOOGLE_ISSUER && iss === "accounts.google.com")) return;
  throw new KubewardError("token_issuer_mismatch", `expected iss ${JSON.stringify(issuerUrl)}, got ${JSON.stringify(iss)}`);
}

function checkAudience(claims: Readonly<Record<string, unknown>>, audiences: readonly string[]): void {
  const aud = claims["aud"];
  const got = typeof aud === "string" ? [aud] : Array.isArray(aud) ? (aud as string[]) : [];
  if (got.some((a) => audiences.includes(a))) return;
  throw new KubewardError("token_audience_mismatch", `expected one of ${JSON.stringify(audiences)}, got ${JSON.stringify(got)}`);
}

/** exp strictly (a missing exp is the zero time, long past); nbf with {@link NBF_LEEWAY_MS}. */
function checkTimes(claims: Readonly<Record<string, unknown>>, nowMs: number): void {
  const exp = numericDateMs(claims["exp"]) ?? 0;
  if (exp < nowMs) throw new KubewardError("token_expired", `exp ${exp / 1000} is before now ${Math.floor(nowMs / 1000)}`);
  const nbf = numericDateMs(claims["nbf"]);
  if (nbf !== undefined && nowMs + NBF_LEEWAY_MS < nbf) {
    throw new KubewardError("token_not_yet_valid", `nbf ${nbf / 1000} is after now ${Math.floor(nowMs / 1000)} plus leeway`);
  }
}

function checkAlg(alg: string, signingAlgs: readonly string[]): void {
  if (ALLOWED_SIGNING_ALGS.has(alg) && signingAlgs.includes(alg)) return;
  throw new KubewardError("token_alg_not_allowed", `alg ${JSON.stringify(alg)} is not in ${JSON.stringify(signingAlgs)}`);
}

function candidates(keys: readonly VerificationKey[], kid: string | undefined, alg: string): VerificationKey[] {
  return keys.filter((k) => (kid === undefined || k.kid === kid) && keyMatchesAlg(k, alg));
}

/** Tries each key; true when one verifies. A structurally bad JWS is malformed. */
async function verifyWithAny(raw: string, alg: string, keys: readonly VerificationKey[]): Promise<boolean> {
  for (const k of keys) {
    try {
      await compactVerify(raw, k.key, { algorithms: [alg] });
      return true;
    } catch (e) {
      if (e instanceof joseErrors.JWSInvalid) throw new KubewardError("token_malformed", e.message);
    }
  }
  return false;
}

/**
 * Checks the signature. A named `kid` we lack triggers a refetch; a token
 * without `kid` is tried against every key of the right type (as go-oidc
 * does), refetching once if none verifies, so rotation works for it too.
 */
async function checkSignature(jwt: ParsedJwt, alg: string, source: KeySource): Promise<void> {
  const kid = jwt.header["kid"] as string | undefined;
  const invalid = (): KubewardError => new KubewardError("token_signature_invalid", `signature does not verify with kid ${JSON.stringify(kid ?? null)}`);
  const cached = candidates(source.keys(), kid, alg);
  if (kid !== undefined && cached.length > 0) {
    if (await verifyWithAny(jwt.raw, alg, cached)) return;
    throw invalid();
  }
  if (cached.length > 0 && (await verifyWithAny(jwt.raw, alg, cached))) return;
  const fresh = candidates(await source.refetch(), kid, alg).filter((k) => !cached.some((c) => c.key.equals(k.key)));
  if (fresh.length === 0 && cached.length === 0) {
    throw new KubewardError("token_unknown_key", `no ${alg} key with kid ${JSON.stringify(kid ?? null)} in the issuer's JWKS`);
  }
  if (await verifyWithAny(jwt.raw, alg, fresh)) return;
  throw invalid();
}

/** Verifies `jwt` against `policy` at `nowMs`; rejects with the KubewardError code that says why. */
export async function verifyJwt(jwt: ParsedJwt, policy: VerifyPolicy, source: KeySource, nowMs: number): Promise<void> {
  checkIssuer(jwt.claims, policy.issuerUrl);
  checkAudience(jwt.claims, policy.audiences);
  checkTimes(jwt.claims, nowMs);
  const alg = jwt.header["alg"] as string;
  checkAlg(alg, policy.signingAlgs);
  await checkSignature(jwt, alg, source);
}
