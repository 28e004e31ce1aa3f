/**
 * OIDC distributed claims (Core 1.0 §5.6.2) for the groups claim, as
 * kube-apiserver resolves them: when the token lacks the claim but names a
 * source endpoint for it, GET a JWT from there, verify it, and take the claim.
 * Unlike kube-apiserver, which discovers whatever issuer that JWT names, the
 * JWT must come from the token's own issuer (the caller's `verify` decides).
 */
import { KubewardError, isKubewardError } from "../errors.ts";
import type { Claims } from "./claim-mapping.ts";

const NAMES = "_claim_names";
const SOURCES = "_claim_sources";

/** One entry of `_claim_sources`. */
interface ClaimSource {
  readonly endpoint?: string;
  readonly access_token?: string;
}

export interface DistributedClaimDeps {
  /** GETs the endpoint (with the bearer token when given) and returns the body. */
  fetchJwt(url: string, accessToken: string | undefined): Promise<string>;
  /** Fully verifies the returned JWT for this issuer and returns its claims. */
  verify(jwt: string): Promise<Claims>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const optionalString = (v: unknown): boolean => v === undefined || v === null || typeof v === "string";

/**
 * Checks `_claim_names`/`_claim_sources` the way go-oidc v2 does for every
 * token: names map to non-empty strings that name an existing source; sources
 * are objects with string members. Anything else is `token_malformed`.
 */
export function checkClaimSources(claims: Claims): void {
  const names = claims[NAMES] ?? null;
  const sources = claims[SOURCES] ?? null;
  const bad = (why: string): KubewardError => new KubewardError("token_malformed", `distributed claims: ${why}`);
  if (sources !== null) {
    if (!isObject(sources)) throw bad(`${SOURCES} is not an object`);
    for (const s of Object.values(sources)) {
      if (s !== null && (!isObject(s) || !optionalString(s["endpoint"]) || !optionalString(s["access_token"]) || !optionalString(s["JWT"]))) {
        throw bad(`a ${SOURCES} entry is not a source object`);
      }
    }
  }
  if (names === null) return;
  if (!isObject(names)) throw bad(`${NAMES} is not an object`);
  for (const src of Object.values(names)) {
    if (typeof src !== "string" || src === "") throw bad(`a ${NAMES} entry is not a source name`);
    if (!isObject(sources) || !Object.hasOwn(sources, src)) throw bad(`source ${JSON.stringify(src)} does not exist`);
  }
}

/** The source endpoint for `claim`, or undefined when there is nothing to resolve. */
function sourceFor(claims: Claims, claim: string): ClaimSource | undefined {
  const names = claims[NAMES];
  if (Object.hasOwn(claims, claim) || !isObject(names)) return undefined;
  const sources = claims[SOURCES];
  if (!isObject(sources)) throw new KubewardError("token_claim_invalid", `distributed claims: ${NAMES} without ${SOURCES}`);
  const src = names[claim];
  if (typeof src !== "string") return undefined;
  const source = (sources[src] ?? {}) as ClaimSource;
  return typeof source.endpoint === "string" && source.endpoint !== "" ? source : undefined;
}

/**
 * Returns `claims` with `claim` filled in from its distributed source, or
 * unchanged when the token carries the claim or names no endpoint for it
 * (aggregated claims are not resolved, as in kube-apiserver).
 */
export async function expandDistributedClaim(claims: Claims, claim: string, deps: DistributedClaimDeps): Promise<Claims> {
  const source = sourceFor(claims, claim);
  if (!source?.endpoint) return claims;
  let resolved: Claims;
  try {
    const accessToken = typeof source.access_token === "string" && source.access_token !== "" ? source.access_token : undefined;
    resolved = await deps.verify((await deps.fetchJwt(source.endpoint, accessToken)).trim());
  } catch (e) {
    const why = isKubewardError(e) ? `${e.code}: ${e.detail ?? ""}` : (e as Error).message;
    throw new KubewardError("token_claim_invalid", `distributed claim ${claim} from ${source.endpoint}: ${why}`);
  }
  if (!Object.hasOwn(resolved, claim)) {
    throw new KubewardError("token_claim_invalid", `the JWT from ${source.endpoint} does not contain claim ${claim}`);
  }
  return { ...claims, [claim]: resolved[claim] };
}
