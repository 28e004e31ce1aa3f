/**
 * Stage "authenticate": finds the bearer token (the Authorization header, or
 * for WebSocket upgrades the `base64url.bearer.authorization.k8s.io.` entry of
 * Sec-WebSocket-Protocol, as kube-apiserver accepts it) and verifies it.
 */
import type { IncomingMessage } from "node:http";
import type { Authentication, TokenAuthenticator } from "../../auth/authenticator.ts";
import { KubewardError } from "../../errors.ts";
import { firstHeader, headerValues, isUpgrade, type RawHeaders } from "../headers.ts";

/** The Sec-WebSocket-Protocol prefix that carries a bearer token. */
export const WEBSOCKET_BEARER_PREFIX = "base64url.bearer.authorization.k8s.io.";

/** A token found in a request, and the WebSocket subprotocols left once it is removed. */
export interface FoundToken {
  readonly token: string;
  /** The offered subprotocols without any bearer entry; undefined when the header was absent. */
  readonly websocketProtocols: readonly string[] | undefined;
}

/**
 * Finds the bearer token. The Authorization scheme is matched
 * case-insensitively; a WebSocket subprotocol token counts only on a
 * WebSocket upgrade. Throws token_missing or token_malformed.
 */
export function findToken(raw: RawHeaders): FoundToken {
  const protocols = websocketProtocols(raw);
  const fromHeader = authorizationToken(firstHeader(raw, "authorization"));
  if (fromHeader !== undefined) return { token: fromHeader, websocketProtocols: protocols?.rest };
  if (protocols && isUpgrade(raw, "websocket") && protocols.tokens.length > 0) {
    return { token: decodeProtocolToken(protocols.tokens), websocketProtocols: protocols.rest };
  }
  throw new KubewardError("token_missing", "no bearer token in Authorization or Sec-WebSocket-Protocol");
}

/**
 * Blanks the bearer token in an HTTP/1.1 request once the identity stages
 * are done with it. Node keeps the request, its headers included, until the
 * response ends or the upgraded connection closes: for a watch, logs -f or
 * an exec session, hours during which a heap or core dump of the proxy
 * would show the client's token.
 */
export function forgetToken(req: IncomingMessage): void {
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name === "authorization" || (name === "sec-websocket-protocol" && (raw[i + 1] as string).includes(WEBSOCKET_BEARER_PREFIX))) raw[i + 1] = "";
  }
  delete req.headers.authorization;
  if (req.headers["sec-websocket-protocol"]?.includes(WEBSOCKET_BEARER_PREFIX)) delete req.headers["sec-websocket-protocol"];
}

function authorizationToken(header: string | undefined): string | undefined {
  const auth = header?.trim() ?? "";
  if (auth === "") return undefined;
  const parts = auth.split(" ");
  if (parts.length < 2 || (parts[0] as string).toLowerCase() !== "bearer") return undefined;
  if (parts[1] === "") throw new KubewardError("token_malformed", "empty bearer token");
  return parts[1];
}

function websocketProtocols(raw: RawHeaders): { tokens: string[]; rest: string[] } | undefined {
  const values = headerValues(raw, "sec-websocket-protocol");
  if (values.length === 0) return undefined;
  const all = values.flatMap((v) => v.split(",")).map((p) => p.trim()).filter((p) => p !== "");
  return {
    tokens: all.filter((p) => p.startsWith(WEBSOCKET_BEARER_PREFIX)),
    rest: all.filter((p) => !p.startsWith(WEBSOCKET_BEARER_PREFIX)),
  };
}

function decodeProtocolToken(tokens: readonly string[]): string {
  if (tokens.length > 1) throw new KubewardError("token_malformed", "several bearer subprotocols");
  const encoded = (tokens[0] as string).slice(WEBSOCKET_BEARER_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) throw new KubewardError("token_malformed", "bearer subprotocol is not unpadded base64url");
  return Buffer.from(encoded, "base64url").toString("utf8");
}

/** Authenticates the request's token; rejections keep the authenticator's reason code. */
export async function authenticate(authenticator: TokenAuthenticator, found: FoundToken): Promise<Authentication> {
  try {
    return await authenticator.authenticate(found.token);
  } catch (err) {
    if (err instanceof KubewardError) throw err;
    throw new KubewardError("internal", "authenticator failed", { cause: err });
  }
}
