/**
 * A TokenAuthenticator for tests: known token strings map to identities,
 * others are refused with a KubewardError code (token_signature_invalid
 * unless the test maps the token to a code).
 */
import type { Authentication, TokenAuthenticator, UserInfo } from "../../src/auth/authenticator.ts";
import { KubewardError, type ErrorCode } from "../../src/errors.ts";

export interface StubAuthenticator extends TokenAuthenticator {
  /** Tokens seen, in order. */
  readonly seen: string[];
  setReady(ready: boolean): void;
}

/** A stub that accepts the tokens in `tokens`. */
export function createStubAuthenticator(tokens: Readonly<Record<string, UserInfo | ErrorCode>>): StubAuthenticator {
  let ready = true;
  const seen: string[] = [];
  return {
    seen,
    setReady: (r) => { ready = r; },
    ready: () => ready,
    start: async () => {},
    close: () => {},
    authenticate: async (token): Promise<Authentication> => {
      seen.push(token);
      const entry = tokens[token];
      if (entry === undefined) throw new KubewardError("token_signature_invalid", "stub: unknown token");
      if (typeof entry === "string") throw new KubewardError(entry, "stub: mapped refusal");
      return { user: entry, expiresAt: Date.now() + 3_600_000, issuer: "https://issuer.test" };
    },
  };
}
