import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { createDrainTracker } from "../../../src/proxy/drain.ts";

function fakeSocket() {
  const s = Object.assign(new EventEmitter(), { ended: false, destroyed: false, end() { this.ended = true; }, destroy() { this.destroyed = true; } });
  return s as typeof s & Socket;
}

test("drain closes idle connections at once, busy ones after their response, and waits for plain requests", async () => {
  const d = createDrainTracker();
  const idle = fakeSocket();
  const busy = fakeSocket();
  d.addSocket(idle);
  d.addSocket(busy);
  const done = d.beginRequest(busy);
  let finish = () => {};
  d.trackPlain(new Promise<void>((r) => { finish = r; }));
  const ends: string[] = [];
  d.trackStream(() => ends.push("watch"));
  const drained = d.drain(5_000);
  assert.equal(d.draining, true);
  assert.equal(idle.ended, true);
  assert.equal(busy.ended, false);
  assert.deepEqual(ends, ["watch"]);
  done();
  assert.equal(busy.ended, true);
  finish();
  await drained;
  assert.equal(busy.destroyed, true);
});

test("drain gives up on plain requests after the grace period and cuts upgraded sockets", async () => {
  const d = createDrainTracker();
  const upgraded = fakeSocket();
  d.trackUpgraded(upgraded);
  d.trackPlain(new Promise(() => {}));
  const started = Date.now();
  await d.drain(50);
  assert.ok(Date.now() - started >= 45);
  assert.equal(upgraded.destroyed, true);
});
