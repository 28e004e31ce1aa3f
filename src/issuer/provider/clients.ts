/**
 * OAuth clients as oidc-provider sees them: built from the stored client (its
 * secret only as a bcrypt hash) and the client's configuration, and the secret
 * check that compares against that hash (remembering successes).
 */
import { createHmac, createSecretKey, randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import { LRUCache } from "lru-cache";
import type { IssuerClientConfig } from "../config.ts";
import type { Client } from "../storage/entities.ts";
import type { Storage } from "../storage/storage.ts";

/** The device-code grant type URN (RFC 8628). */
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
/** The token-exchange grant type URN (RFC 8693). */
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";

/** The scope asking for `clientId` in the ID token's audience (as Dex). */
export const AUDIENCE_SCOPE_PREFIX = "audience:server:client_id:";

/** The scopes every client may ask for. */
export const BASE_SCOPES = ["openid", "offline_access", "profile", "email", "groups"] as const;

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

function isLoopbackHttp(uri: string): boolean {
  const u = URL.parse(uri);
  return u !== null && u.protocol === "http:" && LOOPBACK.has(u.hostname);
}

/**
 * oidc-provider matches loopback redirect URIs on any port only for native
 * clients, and a native client may not use plain http elsewhere.
 */
function applicationType(uris: readonly string[]): "native" | "web" {
  const loopback = uris.some(isLoopbackHttp);
  const otherHttp = uris.some((u) => !isLoopbackHttp(u) && URL.parse(u)?.protocol === "http:");
  return loopback && !otherHttp ? "native" : "web";
}

/** The audience scopes `clientId` may ask for: those of clients trusting it. */
export function audienceScopesFor(clientId: string, all: readonly IssuerClientConfig[]): string[] {
  return all.filter((c) => c.id !== clientId && (c.trustedPeers ?? []).includes(clientId)).map((c) => AUDIENCE_SCOPE_PREFIX + c.id);
}

/** What the metadata depends on besides the client. */
export interface MetadataContext {
  readonly all: readonly IssuerClientConfig[];
  /** The active key's algorithm, so oidc-provider signs with the key kubeward publishes. */
  readonly alg: string;
  /** The password grant is configured issuer-wide. */
  readonly passwordGrant: boolean;
}

/** A client with no redirect URI cannot use the browser flow; the rest of its grants stay. */
function grantTypes(client: Client, config: IssuerClientConfig | undefined, m: MetadataContext): string[] {
  return [
    ...(client.redirectURIs.length > 0 ? ["authorization_code"] : []), "refresh_token", DEVICE_CODE_GRANT, TOKEN_EXCHANGE_GRANT,
    ...(m.passwordGrant && config?.passwordGrant === true ? ["password"] : []),
    ...(!client.public && config?.clientCredentials === true ? ["client_credentials"] : []),
  ];
}

/** oidc-provider client metadata for a stored client. */
export function clientMetadata(client: Client, config: IssuerClientConfig | undefined, m: MetadataContext): Record<string, unknown> {
  return {
    client_id: client.id,
    client_name: client.name,
    ...(client.public || client.secretHash === undefined
      ? { token_endpoint_auth_method: "none" }
      : { client_secret: client.secretHash, token_endpoint_auth_method: "client_secret_basic" }),
    redirect_uris: [...client.redirectURIs],
    application_type: applicationType(client.redirectURIs),
    grant_types: grantTypes(client, config, m),
    response_types: client.redirectURIs.length > 0 ? ["code"] : [],
    scope: [...BASE_SCOPES, ...audienceScopesFor(client.id, m.all)].join(" "),
    id_token_signed_response_alg: m.alg,
  };
}

/** Checks a presented client secret against a stored bcrypt hash. */
export type SecretVerifier = (hash: string | undefined, presented: string) => Promise<boolean>;

/**
 * A {@link SecretVerifier} that remembers successful checks. bcrypt at cost
 * 10 takes tens of milliseconds, which bounded the token endpoint to a few
 * dozen requests a second per core; a confidential client now pays for it
 * once per process. Entries are keyed by an HMAC of hash and secret under a
 * per-process random key, so the cache holds nothing that verifies a secret
 * offline; failures are never remembered, and a changed hash misses.
 * Concurrent checks of one secret share one bcrypt run: a client opening
 * 16 connections at once otherwise queued 16 runs (about 3 s with bcryptjs)
 * before its first answer.
 */
export function createSecretVerifier(options: { maxEntries?: number; compare?: (presented: string, hash: string) => Promise<boolean> } = {}): SecretVerifier {
  const key = createSecretKey(randomBytes(32));
  const verified = new LRUCache<string, true>({ max: options.maxEntries ?? 1_000 });
  const running = new Map<string, Promise<boolean>>();
  const compare = options.compare ?? ((presented: string, hash: string) => bcrypt.compare(presented, hash));
  const check = async (id: string, hash: string, presented: string): Promise<boolean> => {
    try {
      const ok = await compare(presented, hash);
      if (ok) verified.set(id, true);
      return ok;
    } finally {
      running.delete(id);
    }
  };
  return async (hash, presented) => {
    if (hash === undefined || presented === "") return false;
    const id = createHmac("sha256", key).update(hash).update("\0").update(presented).digest("base64");
    if (verified.has(id)) return true;
    let result = running.get(id);
    if (result === undefined) {
      result = check(id, hash, presented);
      running.set(id, result);
    }
    return result;
  };
}

async function storedFor(existing: Client | undefined, c: IssuerClientConfig): Promise<Client> {
  const keepHash = existing?.secretHash !== undefined && c.secret !== undefined && await bcrypt.compare(c.secret, existing.secretHash);
  const secretHash = c.secret === undefined ? undefined : keepHash ? existing?.secretHash : await bcrypt.hash(c.secret, 10);
  return {
    id: c.id, name: c.name, redirectURIs: [...c.redirectURIs], public: c.secret === undefined,
    trustedPeers: [...(c.trustedPeers ?? [])], ...(secretHash === undefined ? {} : { secretHash }),
  };
}

/** Makes storage's clients match the configuration: creates, updates (re-hashing only changed secrets) and deletes. */
export async function syncClients(storage: Storage, clients: readonly IssuerClientConfig[]): Promise<void> {
  const wanted = new Set(clients.map((c) => c.id));
  for (const stored of await storage.listClients()) {
    if (!wanted.has(stored.id)) await storage.deleteClient(stored.id);
  }
  for (const c of clients) {
    const existing = await storage.getClient(c.id);
    const next = await storedFor(existing, c);
    if (existing === undefined) await storage.createClient(next);
    else await storage.updateClient(c.id, () => next);
  }
}
