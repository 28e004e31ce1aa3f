/**
 * The issuer's signing keys: generated here, kept in storage, rotated
 * next → active → retired. A retired key stays published until every token it
 * signed has expired; a restarted issuer picks up the same active key.
 */
import { CompactSign, importJWK, type JWK } from "jose";
import type { Clock } from "../../clock.ts";
import type { SigningKey } from "../storage/entities.ts";
import type { SigningKeyStore } from "../storage/storage.ts";
import { isKubewardError, KubewardError } from "../../errors.ts";
import { generateSigningJwk, publicJwk, type SigningAlg } from "./keys.ts";

/** How a {@link Signer} rotates. */
export interface SignerOptions {
  readonly store: SigningKeyStore;
  readonly clock: Clock;
  /** Algorithm of keys created from now on. */
  readonly alg: SigningAlg;
  /** How long a key stays active. */
  readonly rotationPeriodMs: number;
  /** The longest lifetime of anything signed (ID tokens), clock skew included. */
  readonly tokenLifetimeMs: number;
}

/** The signing keys, as last loaded by {@link Signer.maintain}. */
export interface Signer {
  /** Loads keys from storage, creates and rotates as due, deletes dead ones; true when the published set changed. */
  maintain(): Promise<boolean>;
  /** The key that signs now. @throws when {@link maintain} never ran. */
  active(): SigningKey;
  /** Every published key, active first, then next, then retired (newest first). */
  published(): readonly SigningKey[];
  /** The JWKS document: public halves of {@link published}. */
  publicJwks(): { keys: JWK[] };
  /** Signs `payload` as a JWT with the active key. */
  sign(payload: Record<string, unknown>): Promise<string>;
}

const ORDER = { active: 0, next: 1, retired: 2 } as const;

function sortPublished(keys: readonly SigningKey[]): SigningKey[] {
  return [...keys].sort((a, b) => ORDER[a.state] - ORDER[b.state] || b.createdAt - a.createdAt);
}

/** Creates a key; a conflicting kid (another replica won) is not an error. */
async function createKey(o: SignerOptions, state: SigningKey["state"], retireAfter: number): Promise<void> {
  const privateJwk = await generateSigningJwk(o.alg);
  const key: SigningKey = {
    kid: privateJwk.kid, alg: o.alg, privateJwk, state, createdAt: o.clock.now(),
    retireAfter, notAfter: retireAfter + o.tokenLifetimeMs,
  };
  try {
    await o.store.createSigningKey(key);
  } catch (e) {
    if (!isKubewardError(e, "storage_conflict")) throw e;
  }
}

/** Moves `key` from state `from` to `to`; a no-op when another writer moved it first. */
async function transition(o: SignerOptions, key: SigningKey, from: SigningKey["state"], change: Partial<SigningKey>): Promise<void> {
  await o.store.updateSigningKey(key.kid, (k) => (k.state === from ? { ...k, ...change } : k));
}

/** Retires an active key that is due and promotes the next one. */
async function rotate(o: SignerOptions, keys: readonly SigningKey[], now: number): Promise<void> {
  const active = keys.find((k) => k.state === "active");
  if (active !== undefined && active.retireAfter <= now) {
    await transition(o, active, "active", { state: "retired", notAfter: Math.max(active.notAfter, now + o.tokenLifetimeMs) });
  }
  if (active === undefined || active.retireAfter <= now) {
    const next = keys.find((k) => k.state === "next");
    const retireAfter = now + o.rotationPeriodMs;
    if (next === undefined) await createKey(o, "active", retireAfter);
    else await transition(o, next, "next", { state: "active", retireAfter, notAfter: retireAfter + o.tokenLifetimeMs });
  }
}

/** Deletes retired keys nothing valid was signed with; creates a next key when there is none. */
async function tidy(o: SignerOptions, keys: readonly SigningKey[], now: number): Promise<void> {
  for (const k of keys) {
    if (k.state === "retired" && k.notAfter <= now) await o.store.deleteSigningKey(k.kid);
  }
  const active = keys.find((k) => k.state === "active");
  if (active !== undefined && !keys.some((k) => k.state === "next")) {
    await createKey(o, "next", active.retireAfter + o.rotationPeriodMs);
  }
}

/**
 * A signer over storage. Call {@link Signer.maintain} at start and then
 * periodically (the issuer does every minute).
 *
 * @example
 * const signer = createSigner({ store: storage, clock, alg: "RS256", rotationPeriodMs: 86_400_000, tokenLifetimeMs: 660_000 });
 * await signer.maintain();
 */
export function createSigner(o: SignerOptions): Signer {
  let keys: SigningKey[] = [];
  let fingerprint = "";
  const imported = new Map<string, Awaited<ReturnType<typeof importJWK>>>();
  const signer: Signer = {
    async maintain() {
      const now = o.clock.now();
      await rotate(o, await o.store.listSigningKeys(), now);
      await tidy(o, await o.store.listSigningKeys(), now);
      keys = sortPublished((await o.store.listSigningKeys()).filter((k) => k.state !== "retired" || k.notAfter > now));
      const previous = fingerprint;
      fingerprint = keys.map((k) => `${k.kid}:${k.state}`).join(",");
      return fingerprint !== previous;
    },
    active() {
      const key = keys[0];
      if (key?.state !== "active") throw new KubewardError("internal", "signer: no active signing key loaded");
      return key;
    },
    published: () => keys,
    publicJwks: () => ({ keys: keys.map((k) => ({ ...publicJwk(k.privateJwk), kid: k.kid, alg: k.alg, use: "sig" })) }),
    async sign(payload) {
      const key = signer.active();
      let privateKey = imported.get(key.kid);
      if (privateKey === undefined) {
        privateKey = await importJWK(key.privateJwk, key.alg);
        imported.set(key.kid, privateKey);
      }
      return new CompactSign(Buffer.from(JSON.stringify(payload)))
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
        .sign(privateKey);
    },
  };
  return signer;
}
