/**
 * Stage "impersonate": rewrites the client's headers for kube-apiserver.
 * Drops everything a client could use to choose its identity (Authorization,
 * Impersonate-*, request-header auth, X-Forwarded-*), hop-by-hop headers and
 * every header named in Connection, then sets Impersonate-* for the
 * identity the proxy vouches for.
 */
import type { UserInfo } from "../../auth/authenticator.ts";
import { KubewardError } from "../../errors.ts";
import { HOP_BY_HOP, headerTokens, isValidWireValue, toWire, type RawHeaders } from "../headers.ts";

/**
 * Extra keys recording who asked for client impersonation (`kubectl --as`):
 * the authenticated user's name, each of its groups, and its uid. They are
 * lowercase and domain-prefixed, so they are valid extra keys and show up in
 * kube-apiserver's audit log next to the impersonated identity.
 *
 * RBAC the proxy's own account needs: `impersonate` on `users`, `groups`,
 * `serviceaccounts` (for --as=system:serviceaccount:…), `uids` and
 * `userextras/<key>` in authentication.k8s.io for every extra key it sends:
 * the token's extras, these three, `remote-client-ip` when enabled and each
 * --extra-user-headers key; plus `create` on
 * `subjectaccessreviews.authorization.k8s.io` when clients use --as.
 */
export const ORIGINAL_USER_EXTRA = "kubeward.dev/original-user";
export const ORIGINAL_GROUPS_EXTRA = "kubeward.dev/original-groups";
export const ORIGINAL_UID_EXTRA = "kubeward.dev/original-uid";
/** The extra key carrying the client's address (kube-oidc-proxy's name). */
export const CLIENT_IP_EXTRA = "remote-client-ip";

/** Who the request runs as upstream. */
export interface ForwardIdentity {
  readonly user: UserInfo;
  /** The authenticated user, when the client impersonated `user`. */
  readonly impersonator?: UserInfo;
}

/** What the impersonate stage adds besides the identity. */
export interface ImpersonateOptions {
  /** Static extras added to every identity (--extra-user-headers). */
  readonly extraUserHeaders: Readonly<Record<string, readonly string[]>>;
  /** The client's address, added as extra remote-client-ip when set. */
  readonly clientIpExtra?: string;
  /** The client's address, the only X-Forwarded-For value sent. */
  readonly clientAddress?: string;
  /** Subprotocols to forward instead of the client's (bearer entry removed). */
  readonly websocketProtocols?: readonly string[] | undefined;
  /** The Upgrade value, kept for upgrade requests. */
  readonly upgrade?: string;
}

const DROPPED_PREFIXES = ["impersonate-", "x-forwarded-", "x-remote-", ":"];
const DROPPED = new Set(["host", "authorization", "forwarded", "expect", "sec-websocket-protocol"]);

function dropped(name: string, connectionNamed: ReadonlySet<string>): boolean {
  return HOP_BY_HOP.has(name) || DROPPED.has(name) || connectionNamed.has(name) ||
    DROPPED_PREFIXES.some((p) => name.startsWith(p));
}

/** The header list to send upstream (without the proxy's own credentials, which the transport adds). */
export function upstreamHeaders(raw: RawHeaders, identity: ForwardIdentity, options: ImpersonateOptions): string[] {
  const connectionNamed = new Set(headerTokens(raw, "connection"));
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (!dropped(name, connectionNamed)) out.push(raw[i] as string, raw[i + 1] as string);
  }
  if (options.websocketProtocols && options.websocketProtocols.length > 0) {
    out.push("Sec-WebSocket-Protocol", options.websocketProtocols.join(", "));
  }
  if (options.upgrade !== undefined) out.push("Connection", "Upgrade", "Upgrade", options.upgrade);
  if (options.clientAddress !== undefined) out.push("X-Forwarded-For", options.clientAddress);
  out.push(...identityHeaders(identity, options));
  return out;
}

/** Impersonate-User/Group/Uid/Extra-* for `identity`, plus the configured extras. */
export function identityHeaders(identity: ForwardIdentity, options: ImpersonateOptions): readonly string[] {
  if (identity.impersonator !== undefined || options.clientIpExtra !== undefined) return buildIdentityHeaders(identity, options);
  let byUser = REMEMBERED.get(options.extraUserHeaders);
  if (byUser === undefined) {
    byUser = new WeakMap();
    REMEMBERED.set(options.extraUserHeaders, byUser);
  }
  let headers = byUser.get(identity.user);
  if (headers === undefined) {
    headers = buildIdentityHeaders(identity, options);
    byUser.set(identity.user, headers);
  }
  return headers;
}

/**
 * Identity headers remembered per configured extras and per user object: the
 * verified-token cache hands out the same UserInfo for every request with a
 * token, so its headers are built (UTF-8 wire form, validity checks, extra
 * key escaping) once per token rather than once per request. Weak on both
 * levels: a user evicted from the token cache takes its headers with it.
 * Identities that differ per request (client impersonation, the client-IP
 * extra) are built each time.
 */
const REMEMBERED = new WeakMap<object, WeakMap<UserInfo, readonly string[]>>();

function buildIdentityHeaders(identity: ForwardIdentity, options: ImpersonateOptions): string[] {
  const { user, impersonator } = identity;
  if (user.username === "") throw new KubewardError("token_claim_invalid", "empty username cannot be impersonated");
  const out: string[] = [];
  const add = (name: string, value: string) => {
    const wire = toWire(value);
    if (!isValidWireValue(wire)) throw new KubewardError("token_claim_invalid", `${name} value has control characters`);
    out.push(name, wire);
  };
  add("Impersonate-User", user.username);
  for (const g of user.groups) add("Impersonate-Group", g);
  if (user.uid !== undefined && user.uid !== "") add("Impersonate-Uid", user.uid);
  // The proxy's own records replace, never join, whatever the token or the client asked for under the same keys.
  const authoritative = {
    ...(impersonator ? originalUserExtras(impersonator) : {}),
    ...(options.clientIpExtra !== undefined ? { [CLIENT_IP_EXTRA]: [options.clientIpExtra] } : {}),
  };
  const extras = { ...mergeExtras(user.extra, options.extraUserHeaders), ...authoritative };
  for (const [key, values] of Object.entries(extras)) {
    for (const v of values) add(`Impersonate-Extra-${headerKeyEscape(key)}`, v);
  }
  return out;
}

function originalUserExtras(u: UserInfo): Record<string, readonly string[]> {
  return {
    [ORIGINAL_USER_EXTRA]: [u.username],
    ...(u.groups.length > 0 ? { [ORIGINAL_GROUPS_EXTRA]: u.groups } : {}),
    ...(u.uid ? { [ORIGINAL_UID_EXTRA]: [u.uid] } : {}),
  };
}

function mergeExtras(...sources: Readonly<Record<string, readonly string[]>>[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of sources) for (const [k, v] of Object.entries(s)) (out[k] ??= []).push(...v);
  return out;
}

const TOKEN_BYTE = /^[!#$&'*+\-.^_`|~0-9A-Za-z]$/;

/**
 * client-go's headerKeyEscape: every UTF-8 byte that is not an RFC 7230
 * token character, and `%` itself, becomes `%XX` with uppercase hex.
 */
export function headerKeyEscape(key: string): string {
  const hit = ESCAPED.get(key);
  if (hit !== undefined) return hit;
  const out = escapeKey(key);
  if (ESCAPED.size < ESCAPED_MAX) ESCAPED.set(key, out);
  return out;
}

/**
 * Escaped keys, remembered: the same few extra keys (credential-id,
 * remote-client-ip, configured ones) are escaped on every request. A pure
 * function's memo, bounded so client-chosen keys cannot grow it.
 */
const ESCAPED = new Map<string, string>();
const ESCAPED_MAX = 1_024;

function escapeKey(key: string): string {
  let out = "";
  for (const b of Buffer.from(key, "utf8")) {
    const c = String.fromCharCode(b);
    out += TOKEN_BYTE.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
