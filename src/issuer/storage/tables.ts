/**
 * The entity tables every backend keeps, described once: name, how a record's
 * key is derived, and when it expires. Backends implement {@link Table} for each.
 */
import type { Client, PasswordEntry, RefreshFamily, Revocation, SigningKey } from "./entities.ts";
import type { Updater } from "./storage.ts";

/** One kind of entity, as the backends see it. */
export interface TableSpec<T> {
  /** Table name, also used in error details. */
  readonly name: string;
  /** The key a lookup by `id` uses (emails are compared in lower case). */
  keyFor(id: string): string;
  /** The record's own id, before {@link keyFor}. */
  idOf(value: T): string;
  /** When garbage collection may delete the record; `undefined` means never. */
  expiresAt(value: T): number | undefined;
  /**
   * True when a write leaving the record as `value` must be on disk before it
   * is answered; false when losing it to a power cut is acceptable (it already
   * survives a killed process). Deletes are always synced.
   */
  needsSync(value: T): boolean;
}

/** Keyed records of one kind; values go in and come out as copies. */
export interface Table<T> {
  get(id: string): Promise<T | undefined>;
  /** All records in key order. */
  list(): Promise<T[]>;
  /** @throws `storage_conflict` when the key exists. */
  create(value: T): Promise<void>;
  /** @throws TypeError when `update` changes the key. */
  update(id: string, update: Updater<T>): Promise<T | undefined>;
  delete(id: string): Promise<boolean>;
  /** Deletes records whose expiry is at or before `now`; returns how many. */
  gc(now: number): Promise<number>;
}

const same = (id: string): string => id;
const never = (): undefined => undefined;
const always = (): true => true;

/** The five entity tables. */
export const TABLES = {
  clients: { name: "client", keyFor: same, idOf: (c: Client) => c.id, expiresAt: never, needsSync: always },
  passwords: {
    name: "password",
    keyFor: (email: string) => email.toLowerCase(),
    idOf: (p: PasswordEntry) => p.email,
    expiresAt: never,
    needsSync: always,
  },
  signingKeys: {
    name: "signing_key",
    keyFor: same,
    idOf: (k: SigningKey) => k.kid,
    expiresAt: (k: SigningKey) => k.notAfter,
    needsSync: always,
  },
  /*
   * A family's creation and its refresh touches may be lost to a power cut
   * (the user logs in again); its revocation may not, or access comes back.
   */
  refreshFamilies: {
    name: "refresh_family",
    keyFor: same,
    idOf: (f: RefreshFamily) => f.id,
    expiresAt: (f: RefreshFamily) => f.expiresAt,
    needsSync: (f: RefreshFamily) => f.revoked,
  },
  revocations: {
    name: "revocation",
    keyFor: same,
    idOf: (r: Revocation) => r.id,
    expiresAt: (r: Revocation) => r.until,
    needsSync: always,
  },
} as const satisfies {
  clients: TableSpec<Client>;
  passwords: TableSpec<PasswordEntry>;
  signingKeys: TableSpec<SigningKey>;
  refreshFamilies: TableSpec<RefreshFamily>;
  revocations: TableSpec<Revocation>;
};

/** The key of `value` under `spec`. */
export function keyOf<T>(spec: TableSpec<T>, value: T): string {
  return spec.keyFor(spec.idOf(value));
}

/** Runs `update` and checks it kept the record's key. */
export function applyUpdate<T>(spec: TableSpec<T>, key: string, current: T, update: Updater<T>): T {
  const next = update(current);
  if (keyOf(spec, next) !== key) {
    throw new TypeError(`${spec.name}: an update must not change the id "${spec.idOf(current)}"`);
  }
  return next;
}
