/**
 * A child process for the crash test: writes to a SQLite store in a loop and
 * prints each round's number once all of that round's writes have committed.
 */
import { systemClock } from "../../../../src/clock.ts";
import { openSqliteStorage } from "../../../../src/issuer/storage/sqlite/sqlite-storage.ts";

const [file] = process.argv.slice(2);
const storage = await openSqliteStorage({ file: file ?? "" }, { clock: systemClock });
const now = systemClock.now();
await storage.createRefreshFamily({ id: "shared", subject: "alice", connectorId: "local", createdAt: now, lastUsedAt: 0, revoked: false });
for (let i = 0; ; i++) {
  await storage.createClient({ id: `c${i}`, redirectURIs: ["http://localhost"], public: true, name: "kubectl", trustedPeers: [] });
  await storage.createSigningKey({
    kid: `k${i}`, alg: "ES256", privateJwk: { kty: "EC" }, state: "next", createdAt: now, retireAfter: now + 1, notAfter: now + 2,
  });
  await storage.createRefreshFamily({ id: `f${i}`, subject: "alice", connectorId: "local", createdAt: now, lastUsedAt: now, revoked: false });
  await storage.upsertObject({ model: "RefreshToken", id: `rt${i}`, payload: { grantId: `g${i}` } });
  await storage.updateRefreshFamily("shared", (f) => ({ ...f, lastUsedAt: i }));
  process.stdout.write(`${i}\n`);
}
