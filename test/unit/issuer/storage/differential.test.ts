/**
 * Differential check of the two backends: random sequences of operations, with
 * the clock moving, must give the same answers from memory and from SQLite.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import type { Storage } from "../../../../src/issuer/storage/storage.ts";
import { openMemoryStorage } from "../../../../src/issuer/storage/memory/memory-storage.ts";
import { openSqliteStorage } from "../../../../src/issuer/storage/sqlite/sqlite-storage.ts";

// tmpfs where there is one: this test is about answers, not fsync.
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "kubeward-diff-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 0, 1);

type Step = { tick: number } | { call: (s: Storage, now: number) => Promise<unknown>; label: string };

const model = fc.constantFrom("Session" as const, "DeviceCode" as const, "RefreshToken" as const);
const id = fc.constantFrom("a", "b");
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const payload = fc.record(
  { uid: fc.constantFrom("u1", "u2"), userCode: fc.constantFrom("C1", "C2"), grantId: fc.constantFrom("g1", "g2"), n: fc.integer() },
  { requiredKeys: ["n"] },
);
const family = fc.constantFrom("f1", "f2");
// Coarse times, so the clock often lands exactly on an expiry.
const ttl = maybe(fc.constantFrom(500, 1000, 1500));

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ tick: fc.constantFrom(0, 500, 1000) }),
  fc.tuple(model, id, payload, ttl).map(([m, i, p, life]) => ({
    label: `upsert ${m} ${i} ${JSON.stringify(p)} ${life}`,
    call: (s: Storage, now: number) => s.upsertObject({ model: m, id: i, payload: p, ...(life === undefined ? {} : { expiresAt: now + life }) }),
  })),
  fc.tuple(model, id).map(([m, i]) => ({ label: `find ${m} ${i}`, call: (s: Storage) => s.findObject(m, i) })),
  fc.tuple(model, fc.constantFrom("u1", "u2")).map(([m, u]) => ({ label: `byUid ${m} ${u}`, call: (s: Storage) => s.findObjectByUid(m, u) })),
  fc.tuple(model, fc.constantFrom("C1", "C2")).map(([m, c]) => ({ label: `byUserCode ${m} ${c}`, call: (s: Storage) => s.findObjectByUserCode(m, c) })),
  fc.tuple(model, id).map(([m, i]) => ({ label: `consume ${m} ${i}`, call: (s: Storage) => s.consumeObject(m, i) })),
  fc.tuple(model, id).map(([m, i]) => ({ label: `destroy ${m} ${i}`, call: (s: Storage) => s.destroyObject(m, i) })),
  fc.tuple(model, fc.constantFrom("g1", "g2")).map(([m, g]) => ({ label: `revoke ${m} ${g}`, call: (s: Storage) => s.revokeByGrantId(m, g) })),
  fc.tuple(family, ttl).map(([f, life]) => ({
    label: `createFamily ${f} ${life}`,
    call: (s: Storage, now: number) => {
      const times = { createdAt: now, lastUsedAt: now, ...(life === undefined ? {} : { expiresAt: now + life }) };
      const created = s.createRefreshFamily({ id: f, subject: "alice", connectorId: "local", revoked: false, ...times });
      return created.catch((e: { code?: string }) => e.code);
    },
  })),
  family.map((f) => ({ label: `touchFamily ${f}`, call: (s: Storage, now: number) => s.updateRefreshFamily(f, (x) => ({ ...x, lastUsedAt: now })) })),
  family.map((f) => ({ label: `deleteFamily ${f}`, call: (s: Storage) => s.deleteRefreshFamily(f) })),
  fc.constant({ label: "listFamilies", call: (s: Storage) => s.listRefreshFamilies() }),
  fc.constant({ label: "gc", call: (s: Storage, now: number) => s.gc(now) }),
);

let n = 0;
test("memory and SQLite answer every sequence of operations alike", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 40, size: "max" }), async (steps) => {
      const clock = { t: T0, now: () => clock.t };
      const memory = await openMemoryStorage({}, { clock });
      const sqlite = await openSqliteStorage({ file: join(dir, `${++n}.db`) }, { clock });
      try {
        for (const [i, s] of steps.entries()) {
          if ("tick" in s) clock.t += s.tick;
          else assert.deepEqual(await s.call(sqlite, clock.t), await s.call(memory, clock.t), `step ${i}: ${s.label}`);
        }
      } finally {
        await memory.close();
        await sqlite.close();
        rmSync(join(dir, `${n}.db`), { force: true });
      }
    }),
    { numRuns: 100 },
  );
});
