import { test } from "node:test";
import assert from "node:assert/strict";
import { clientAddress, firstHeader, fromWire, headerTokens, headerValues, isUpgrade, isValidWireValue, toWire } from "../../../src/proxy/headers.ts";

const raw = ["Accept", "a", "X-Group", "one, two", "x-group", "three", "Connection", "keep-alive, Upgrade", "Upgrade", "SPDY/3.1"];

test("raw header lists keep every value apart, whatever the case of the name", () => {
  assert.deepEqual(headerValues(raw, "x-group"), ["one, two", "three"]);
  assert.equal(firstHeader(raw, "x-group"), "one, two");
  assert.equal(firstHeader(raw, "missing"), undefined);
  assert.deepEqual(headerTokens(raw, "x-group"), ["one", "two", "three"]);
});

test("an upgrade needs Connection: upgrade and an Upgrade header", () => {
  assert.equal(isUpgrade(raw), true);
  assert.equal(isUpgrade(raw, "spdy/3.1"), true);
  assert.equal(isUpgrade(raw, "websocket"), false);
  assert.equal(isUpgrade(["Upgrade", "websocket"]), false);
  assert.equal(isUpgrade(["Connection", "Upgrade"]), false);
});

test("IPv4-mapped client addresses are shown as IPv4; others are kept", () => {
  assert.equal(clientAddress("::ffff:10.1.2.3"), "10.1.2.3");
  assert.equal(clientAddress("::FFFF:10.1.2.3"), "10.1.2.3");
  assert.equal(clientAddress("10.1.2.3"), "10.1.2.3");
  assert.equal(clientAddress("2001:db8::1"), "2001:db8::1");
  assert.equal(clientAddress(undefined), "");
});

test("values travel as UTF-8 bytes and come back as text", () => {
  assert.equal(toWire("é"), "\u00c3\u00a9");
  assert.equal(fromWire(toWire("Zoë 日本")), "Zoë 日本");
  assert.equal(isValidWireValue(toWire("tab\tok ü")), true);
  for (const bad of ["a\r\nb", "a\nb", "nul\u0000", "del\u007f"]) assert.equal(isValidWireValue(bad), false, JSON.stringify(bad));
});
