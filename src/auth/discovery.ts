/**
 * OpenID Connect discovery: fetch the provider metadata, check that it names
 * the configured issuer exactly, and return where its keys are published.
 */
import type { JsonGetter } from "./http-json.ts";

const WELL_KNOWN = "/.well-known/openid-configuration";

/** Where discovery is fetched: `discoveryUrl` when set, else `<issuer>/.well-known/openid-configuration`. */
export function discoveryDocumentUrl(issuerUrl: string, discoveryUrl?: string): string {
  return discoveryUrl ?? issuerUrl.replace(/\/+$/, "") + WELL_KNOWN;
}

/**
 * Fetches discovery and returns `jwks_uri`. Throws when the document's
 * `issuer` differs from `issuerUrl` (go-oidc refuses a provider that claims
 * another issuer) or when `jwks_uri` is missing.
 */
export async function discoverJwksUri(get: JsonGetter, issuerUrl: string, discoveryUrl: string | undefined, signal: AbortSignal): Promise<string> {
  const url = discoveryDocumentUrl(issuerUrl, discoveryUrl);
  const doc = await get(url, signal);
  if (typeof doc !== "object" || doc === null) throw new Error(`discovery document at ${url} is not a JSON object`);
  const { issuer, jwks_uri: jwksUri } = doc as { issuer?: unknown; jwks_uri?: unknown };
  if (issuer !== issuerUrl) {
    throw new Error(`discovery at ${url} names issuer ${JSON.stringify(issuer)}, expected ${JSON.stringify(issuerUrl)}`);
  }
  if (typeof jwksUri !== "string" || jwksUri === "") throw new Error(`discovery at ${url} has no jwks_uri`);
  return jwksUri;
}
