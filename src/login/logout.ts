/**
 * `kubeward logout`'s work: revoke each cached refresh token at its issuer
 * (RFC 7009, when the issuer advertises a revocation endpoint) and remove the
 * cache entry, for one key or for all.
 */
import * as oidc from "openid-client";
import type { KubewardError } from "../errors.ts";
import { asLoginError, discoverIssuer, type IssuerFetch } from "./issuer-client.ts";
import type { ClientOptions } from "./login-options.ts";
import { TokenCache, removeFile, type CacheEntry } from "./token-cache.ts";

export interface LogoutDeps {
  readonly fetch: IssuerFetch;
  readonly stderr: (text: string) => void;
}

/** A revocation that did not happen, and at which issuer. */
export interface RevokeFailure {
  readonly issuerUrl: string;
  readonly error: KubewardError;
}

/**
 * Logs out of one key (`client`'s issuer, client id and scopes) or, with
 * `all`, of every cached entry. Entries are removed even when revoking fails;
 * the failures are returned.
 */
export async function logout(client: ClientOptions, all: boolean, deps: LogoutDeps): Promise<RevokeFailure[]> {
  const cache = new TokenCache(client.tokenCacheDir);
  const key = { issuer: client.issuerUrl, clientId: client.clientId, scopes: client.scopes };
  const one = all ? undefined : await cache.read(key);
  const entries = all ? await cache.list() : one === undefined ? [] : [{ path: cache.pathOf(key), entry: one }];
  if (entries.length === 0) deps.stderr(`kubeward logout: no cached tokens${all ? "" : ` for ${client.issuerUrl} (client ${client.clientId})`}\n`);
  const failures: RevokeFailure[] = [];
  for (const { path, entry } of entries) {
    const failure = entry.refreshToken === undefined ? undefined : await revoke(entry, entry.refreshToken, client, deps);
    if (failure !== undefined) failures.push(failure);
    await removeFile(path);
    deps.stderr(`kubeward logout: removed the cached tokens for ${entry.issuer} (client ${entry.clientId})\n`);
  }
  return failures;
}

/** Revokes `refreshToken`, authenticating with the flags' secret when the entry is for the flags' client. */
async function revoke(entry: CacheEntry, refreshToken: string, flags: ClientOptions, deps: LogoutDeps): Promise<RevokeFailure | undefined> {
  const same = entry.issuer === flags.issuerUrl && entry.clientId === flags.clientId;
  const client: ClientOptions = { ...flags, issuerUrl: entry.issuer, clientId: entry.clientId, clientSecret: same ? flags.clientSecret : undefined };
  try {
    const config = await discoverIssuer(client, deps.fetch);
    if (config.serverMetadata().revocation_endpoint === undefined) {
      deps.stderr(`kubeward logout: ${entry.issuer} advertises no revocation endpoint; its refresh token stays valid until it expires\n`);
      return undefined;
    }
    await oidc.tokenRevocation(config, refreshToken, { token_type_hint: "refresh_token" });
    deps.stderr(`kubeward logout: revoked the refresh token at ${entry.issuer}\n`);
    return undefined;
  } catch (e) {
    return { issuerUrl: entry.issuer, error: asLoginError(e) };
  }
}
