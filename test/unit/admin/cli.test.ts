import { test } from "node:test";
import assert from "node:assert/strict";
import { durationSeconds, runBlock } from "../../../src/cli/block.ts";
import { EXIT, type CliIo } from "../../../src/cli/io.ts";
import { runRevoke } from "../../../src/cli/revoke.ts";
import { runRevocations, table } from "../../../src/cli/revocations.ts";

test("--for durations: seconds, minutes, hours, days; anything else is refused", () => {
  assert.equal(durationSeconds("90s"), 90);
  assert.equal(durationSeconds("30m"), 1_800);
  assert.equal(durationSeconds("2h"), 7_200);
  assert.equal(durationSeconds("7d"), 604_800);
  for (const bad of ["0h", "2", "h", "1.5h", "-2h", "2 h", "2H"]) assert.equal(durationSeconds(bad), undefined, bad);
});

test("the list is an aligned table, newest first; all shows as *, a block without end 'until lifted'", () => {
  const T = Date.UTC(2026, 0, 2, 3, 4, 5);
  const out = table({
    revocations: [
      { id: "rev-1", kind: "all", name: "", before: T, reason: "key leak", actor: "cert:oncall", created: T },
      { id: "rev-2", kind: "user", name: "alice", before: T + 1000, reason: "", actor: "root", created: T + 1000 },
    ],
    blocks: [{ id: "blk-1", kind: "group", name: "contractors", reason: "audit", actor: "root", created: T - 1000 }],
  });
  assert.equal(out, [
    "ID     EFFECT  KIND   NAME         SINCE                     UNTIL         BY           REASON",
    "rev-2  revoke  user   alice        2026-01-02T03:04:06.000Z  -             root",
    "rev-1  revoke  all    *            2026-01-02T03:04:05.000Z  -             cert:oncall  key leak",
    "blk-1  block   group  contractors  2026-01-02T03:04:04.000Z  until lifted  root         audit",
    "",
  ].join("\n"));
  assert.equal(table({ revocations: [], blocks: [] }), "No revocations or blocks in force.\n");
});

test("--help of revoke, block and revocations prints the usage and exits 0 without calling the admin API", async () => {
  for (const [run, synopsis] of [
    [runRevoke, "Usage: kubeward revoke user NAME"], [runBlock, "Usage: kubeward block user|group NAME"], [runRevocations, "Usage: kubeward revocations list | lift ID"],
  ] as const) {
    let out = "";
    let err = "";
    const io = { stdout: (s: string) => { out += s; }, stderr: (s: string) => { err += s; } } as unknown as CliIo;
    assert.equal(await run(["user", "alice", "--help"], io), EXIT.ok);
    assert.ok(out.startsWith(synopsis), out);
    assert.match(out, /--server URL/);
    assert.equal(err, "");
  }
});
