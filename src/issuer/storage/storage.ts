/**
 * The issuer's storage seam: one interface, built from small capability
 * interfaces, that every backend implements and test/conformance/storage.ts checks.
 */
import type { Clock } from "../../clock.ts";
import { KubewardError } from "../../errors.ts";
import type {
  Client,
  GcResult,
  ModelName,
  PasswordEntry,
  ProtocolObject,
  RefreshFamily,
  Revocation,
  SigningKey,
} from "./entities.ts";

/**
 * Computes the new value of a record from its current one, inside the
 * backend's transaction, so no other write can slip in between. It must be
 * synchronous and must not change the record's id; throwing aborts the update
 * and the error reaches the caller. A backend may call it more than once.
 *
 * @example
 * await storage.updateRefreshFamily(id, (f) => {
 *   if (f.revoked) throw new KubewardError("token_revoked");
 *   return { ...f, lastUsedAt: clock.now() };
 * });
 */
export type Updater<T> = (current: T) => T;

/**
 * oidc-provider's protocol objects, keyed by model name and id. An object at
 * or past its `expiresAt` is treated as absent by every method.
 */
export interface ProtocolStore {
  /** Stores `object`, replacing whatever had its model and id (consumption included). */
  upsertObject(object: ProtocolObject): Promise<void>;
  /** The object, or `undefined` when absent or expired. */
  findObject(model: ModelName, id: string): Promise<ProtocolObject | undefined>;
  /** The object of `model` whose payload has this `uid`; the most recently stored if several. */
  findObjectByUid(model: ModelName, uid: string): Promise<ProtocolObject | undefined>;
  /** The object of `model` whose payload has this `userCode`; the most recently stored if several. */
  findObjectByUserCode(model: ModelName, userCode: string): Promise<ProtocolObject | undefined>;
  /**
   * Marks the object consumed at the clock's time. True for exactly one caller:
   * the first; false when already consumed, absent or expired.
   */
  consumeObject(model: ModelName, id: string): Promise<boolean>;
  /** Deletes the object; true when there was one. */
  destroyObject(model: ModelName, id: string): Promise<boolean>;
  /** Deletes every object of `model` whose payload has this `grantId`; returns how many. */
  revokeByGrantId(model: ModelName, grantId: string): Promise<number>;
}

/** The OAuth clients kubeward serves. */
export interface ClientStore {
  /** Every client, in id order. */
  listClients(): Promise<Client[]>;
  /** The client with this id, or `undefined`. */
  getClient(id: string): Promise<Client | undefined>;
  /** @throws {@link KubewardError} `storage_conflict` when the id exists. */
  createClient(client: Client): Promise<void>;
  /** The updated client, or `undefined` when there is none with this id. */
  updateClient(id: string, update: Updater<Client>): Promise<Client | undefined>;
  /** Deletes the client; true when there was one. */
  deleteClient(id: string): Promise<boolean>;
}

/** Local password entries, keyed by email compared case-insensitively. */
export interface PasswordStore {
  /** Every entry, in lower-cased email order. */
  listPasswords(): Promise<PasswordEntry[]>;
  /** The entry for this email in any case, or `undefined`; its email as created. */
  getPassword(email: string): Promise<PasswordEntry | undefined>;
  /** @throws {@link KubewardError} `storage_conflict` when the email exists in any case. */
  createPassword(entry: PasswordEntry): Promise<void>;
  /** The updated entry, or `undefined` when there is none for this email. */
  updatePassword(email: string, update: Updater<PasswordEntry>): Promise<PasswordEntry | undefined>;
  /** Deletes the entry; true when there was one. */
  deletePassword(email: string): Promise<boolean>;
}

/** The issuer's signing keys, keyed by `kid`. */
export interface SigningKeyStore {
  /** Every key in every state, in kid order. */
  listSigningKeys(): Promise<SigningKey[]>;
  /** The key with this kid, or `undefined`. */
  getSigningKey(kid: string): Promise<SigningKey | undefined>;
  /** @throws {@link KubewardError} `storage_conflict` when the kid exists. */
  createSigningKey(key: SigningKey): Promise<void>;
  /** Rotation goes through here, so two replicas rotating at once cannot both win. */
  updateSigningKey(kid: string, update: Updater<SigningKey>): Promise<SigningKey | undefined>;
  /** Deletes the key; true when there was one. */
  deleteSigningKey(kid: string): Promise<boolean>;
}

/** Refresh-token families; several requests may present one token at once. */
export interface RefreshFamilyStore {
  /** Families in id order, only those of `subject` when given. */
  listRefreshFamilies(filter?: { readonly subject?: string }): Promise<RefreshFamily[]>;
  /** The family with this id, revoked or not, or `undefined`. */
  getRefreshFamily(id: string): Promise<RefreshFamily | undefined>;
  /** @throws {@link KubewardError} `storage_conflict` when the id exists. */
  createRefreshFamily(family: RefreshFamily): Promise<void>;
  /** The only way to change a family: a conditional update, see {@link Updater}. */
  updateRefreshFamily(id: string, update: Updater<RefreshFamily>): Promise<RefreshFamily | undefined>;
  /** Deletes the family; true when there was one. */
  deleteRefreshFamily(id: string): Promise<boolean>;
}

/** Revocations, keyed by id; lifted by deleting, never edited. */
export interface RevocationStore {
  /** Every revocation not yet garbage collected, in id order. */
  listRevocations(): Promise<Revocation[]>;
  /** The revocation with this id, or `undefined`. */
  getRevocation(id: string): Promise<Revocation | undefined>;
  /** @throws {@link KubewardError} `storage_conflict` when the id exists. */
  createRevocation(revocation: Revocation): Promise<void>;
  /** Lifts the revocation; true when there was one. */
  deleteRevocation(id: string): Promise<boolean>;
  /**
   * An opaque value that changes whenever any revocation is created, updated
   * or deleted (deletions by {@link Storage.gc} included), by any process
   * sharing the store, and stays equal otherwise. Compare it for equality only:
   * a reader whose last stamp is unchanged knows its copy of the list is current.
   */
  revocationStamp(): Promise<string>;
}

/**
 * Everything the embedded issuer keeps. Not-found is `undefined` (or `false`
 * from deletes), never an error. Values returned are copies: changing one
 * changes nothing stored, and neither does changing a value after storing it.
 * Protocol objects vanish at their expiry; entities stay until {@link gc}
 * deletes them, so callers compare their expiry fields to the time themselves.
 */
export interface Storage
  extends ProtocolStore,
    ClientStore,
    PasswordStore,
    SigningKeyStore,
    RefreshFamilyStore,
    RevocationStore {
  /**
   * Deletes everything expired at `now`: protocol objects past `expiresAt`,
   * families past `expiresAt`, keys past `notAfter`, revocations past `until`.
   */
  gc(now: number): Promise<GcResult>;
  /** Releases the backend; no method may be called afterwards. */
  close(): Promise<void>;
}

/** What every backend is opened with. */
export interface StorageDeps {
  /** Decides what has expired and stamps consumption. */
  readonly clock: Clock;
}

/** The error a create raises when a record with the same id exists. */
export function storageConflict(kind: string, id: string): KubewardError {
  return new KubewardError("storage_conflict", `${kind} "${id}" already exists`);
}
