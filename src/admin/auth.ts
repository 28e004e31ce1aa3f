/**
 * Who may use the admin API: a client certificate from the configured CA
 * (mutual TLS), or a bearer token whose groups include the admin group.
 */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Authentication, TokenAuthenticator } from "../auth/authenticator.ts";
import { KubewardError } from "../errors.ts";

/** How callers prove they are operators. */
export interface AdminAuthConfig {
  /** Bearer tokens (from the embedded issuer) are verified with this; absent: only client certificates. */
  readonly authenticator?: TokenAuthenticator;
  /** A token is accepted only when its groups include this one. */
  readonly adminGroup?: string;
  /** True when the token is revoked or blocked: a revoked admin cannot undo their own revocation. */
  readonly revoked?: (auth: Authentication) => boolean;
}

/**
 * The actor behind `req`: `cert:<CN>` for a client certificate the CA
 * verified, else the token's username.
 *
 * @throws {@link KubewardError} `admin_unauthenticated` without valid
 * credentials, `admin_forbidden` for a valid token outside the admin group.
 */
export async function adminActor(req: IncomingMessage, config: AdminAuthConfig): Promise<string> {
  const socket = req.socket as TLSSocket;
  if (socket.authorized) {
    const cn = socket.getPeerCertificate().subject?.CN;
    return `cert:${typeof cn === "string" && cn !== "" ? cn : "unnamed"}`;
  }
  const token = bearer(req.headers.authorization);
  if (token === undefined || config.authenticator === undefined) {
    const detail = socket.authorizationError === undefined ? "no credentials" : `client certificate refused: ${String(socket.authorizationError)}`;
    throw new KubewardError("admin_unauthenticated", detail);
  }
  let auth: Authentication;
  try {
    auth = await config.authenticator.authenticate(token);
  } catch (err) {
    throw new KubewardError("admin_unauthenticated", `token refused: ${err instanceof KubewardError ? err.code : "error"}`);
  }
  if (config.revoked?.(auth) === true) throw new KubewardError("admin_unauthenticated", "token revoked or blocked");
  const { user } = auth;
  if (config.adminGroup === undefined || !user.groups.includes(config.adminGroup)) {
    throw new KubewardError("admin_forbidden", `${user.username} is not in the admin group`);
  }
  return user.username;
}

function bearer(header: string | undefined): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}
