/**
 * CSRF tokens of the login forms: an HMAC of the interaction's uid, so each
 * interaction has its own token and no server-side state is needed. The
 * interaction itself is bound to the browser by oidc-provider's cookie.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Issues and checks per-interaction CSRF tokens under one secret. */
export interface Csrf {
  token(uid: string): string;
  valid(uid: string, presented: string | null | undefined): boolean;
}

/** A CSRF helper keyed by `secret`. */
export function createCsrf(secret: string): Csrf {
  const token = (uid: string): string => createHmac("sha256", secret).update(`csrf:${uid}`).digest("base64url");
  return {
    token,
    valid(uid, presented) {
      if (typeof presented !== "string" || presented === "") return false;
      const a = Buffer.from(token(uid));
      const b = Buffer.from(presented);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}
