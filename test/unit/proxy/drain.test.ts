import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { createDrainTracker } from "../../../src/proxy/drain.ts";

function fakeSocket() {
  const s = Object.assign(new EventEmitter(), { ended: false, destroyed: false, writableLength: 0, end() { this.ended = true; }, destroy() { this.destroyed = true; } });
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

test("drain ends the streams still tracked, not those that ended and were untracked", async () => {
  const d = createDrainTracker();
  const ends: string[] = [];
  const open = () => ends.push("open watch");
  const over = () => ends.push("finished watch");
  d.trackStream(open);
  d.trackStream(over);
  d.untrackStream(over);
  await d.drain(50);
  assert.deepEqual(ends, ["open watch"]);
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

test("drain lets a finished response still being written reach its client before cutting the connection", async () => {
  const d = createDrainTracker();
  const socket = fakeSocket();
  d.addSocket(socket);
  const done = d.beginRequest(socket);
  const drained = d.drain(5_000);
  socket.writableLength = 64 * 1024;
  done();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(socket.destroyed, false, "not cut while its last response is still going out");
  socket.writableLength = 0;
  socket.emit("finish");
  await drained;
  assert.equal(socket.destroyed, true);
});
