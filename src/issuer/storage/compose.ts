/**
 * Builds a {@link Storage} from a backend's parts: a protocol-object store and
 * one {@link Table} per entity kind, so backends write each operation once.
 */
import type { GcResult } from "./entities.ts";
import type { ProtocolStore, Storage } from "./storage.ts";
import { TABLES, type Table, type TableSpec } from "./tables.ts";

/** What a backend provides. */
export interface StorageParts {
  /** The protocol objects, with their own garbage collection. */
  readonly objects: ProtocolStore & { gc(now: number): Promise<number> };
  /** A table for one entity kind; called once per kind. */
  table<T>(spec: TableSpec<T>): Table<T>;
  /** See {@link Storage.revocationStamp}: changes with every write to the revocations table. */
  revocationStamp(): Promise<string>;
  /** Releases whatever the backend holds. */
  close(): Promise<void>;
}

/** The {@link Storage} made of `parts`. */
export function composeStorage(parts: StorageParts): Storage {
  const { objects } = parts;
  const clients = parts.table(TABLES.clients);
  const passwords = parts.table(TABLES.passwords);
  const keys = parts.table(TABLES.signingKeys);
  const families = parts.table(TABLES.refreshFamilies);
  const revocations = parts.table(TABLES.revocations);
  return {
    upsertObject: (object) => objects.upsertObject(object),
    findObject: (model, id) => objects.findObject(model, id),
    findObjectByUid: (model, uid) => objects.findObjectByUid(model, uid),
    findObjectByUserCode: (model, userCode) => objects.findObjectByUserCode(model, userCode),
    consumeObject: (model, id) => objects.consumeObject(model, id),
    destroyObject: (model, id) => objects.destroyObject(model, id),
    revokeByGrantId: (model, grantId) => objects.revokeByGrantId(model, grantId),

    listClients: () => clients.list(),
    getClient: (id) => clients.get(id),
    createClient: (client) => clients.create(client),
    updateClient: (id, update) => clients.update(id, update),
    deleteClient: (id) => clients.delete(id),

    listPasswords: () => passwords.list(),
    getPassword: (email) => passwords.get(email),
    createPassword: (entry) => passwords.create(entry),
    updatePassword: (email, update) => passwords.update(email, update),
    deletePassword: (email) => passwords.delete(email),

    listSigningKeys: () => keys.list(),
    getSigningKey: (kid) => keys.get(kid),
    createSigningKey: (key) => keys.create(key),
    updateSigningKey: (kid, update) => keys.update(kid, update),
    deleteSigningKey: (kid) => keys.delete(kid),

    listRefreshFamilies: async (filter) => {
      const all = await families.list();
      const subject = filter?.subject;
      return subject === undefined ? all : all.filter((f) => f.subject === subject);
    },
    getRefreshFamily: (id) => families.get(id),
    createRefreshFamily: (family) => families.create(family),
    updateRefreshFamily: (id, update) => families.update(id, update),
    deleteRefreshFamily: (id) => families.delete(id),

    listRevocations: () => revocations.list(),
    getRevocation: (id) => revocations.get(id),
    createRevocation: (revocation) => revocations.create(revocation),
    deleteRevocation: (id) => revocations.delete(id),
    revocationStamp: () => parts.revocationStamp(),

    gc: async (now): Promise<GcResult> => ({
      protocolObjects: await objects.gc(now),
      refreshFamilies: await families.gc(now),
      signingKeys: await keys.gc(now),
      revocations: await revocations.gc(now),
    }),
    close: () => parts.close(),
  };
}
