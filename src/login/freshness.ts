/** When a cached token may still be handed to kubectl: its expiry, read from the JWT, less a margin. */

/** A token is reused only while it has more than this left before it expires. */
export const EXPIRY_MARGIN_MS = 30_000;

/** The `exp` of a JWT in milliseconds since the epoch, or undefined when it is not a JWT with a numeric exp. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const exp: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** True when a token expiring at `expiresAt` may be reused at `now`; a token of unknown expiry never is. */
export function isFresh(expiresAt: number | undefined, now: number, marginMs = EXPIRY_MARGIN_MS): boolean {
  return expiresAt !== undefined && expiresAt - marginMs > now;
}
