/**
 * Routes each token to the authenticator of the issuer named by its
 * unverified `iss`, as kube-apiserver's union of JWT authenticators does.
 */
import { KubewardError } from "../errors.ts";
import type { Authentication, TokenAuthenticator } from "./authenticator.ts";
import { peekIssuer } from "./jwt-parse.ts";

/**
 * One authenticator over several issuers (keyed by exact issuer URL). A token
 * whose `iss` matches none is refused with `token_issuer_mismatch`. Ready
 * when every issuer is ready.
 */
export function createMultiIssuerAuthenticator(byIssuer: ReadonlyMap<string, TokenAuthenticator>): TokenAuthenticator {
  const all = [...byIssuer.values()];
  return {
    async authenticate(token: string): Promise<Authentication> {
      const iss = peekIssuer(token);
      const target = byIssuer.get(iss);
      if (!target) throw new KubewardError("token_issuer_mismatch", `no configured issuer is ${JSON.stringify(iss)}`);
      return target.authenticate(token);
    },
    ready: () => all.every((a) => a.ready()),
    async start() {
      await Promise.all(all.map((a) => a.start()));
    },
    close() {
      for (const a of all) a.close();
    },
  };
}
