import { test } from "node:test";
import assert from "node:assert/strict";
import { createLogger, requestLogEntry, requestLogger } from "../../../src/log/logger.ts";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: "info", destination: { write: (s: string) => { lines.push(JSON.parse(s)); } } });
  return { logger, lines };
}

test("request lines carry only the allowlisted fields; the process logger still censors secrets", () => {
  const { logger, lines } = capture();
  const entry = requestLogEntry({ method: "GET", path: "/api", code: 200, user: "alice", token: "eyJ.secret", authorization: "Bearer x", headers: { a: "b" } });
  requestLogger(logger).info(entry, "request");
  logger.info({ token: "eyJ.secret", nested: { password: "p" } }, "other");
  assert.deepEqual(
    Object.keys(lines[0] ?? {}).filter((k) => !["level", "time", "service", "msg"].includes(k)),
    ["method", "path", "code", "user"],
  );
  assert.equal(lines[1]?.["token"], "[redacted]");
  assert.deepEqual(lines[1]?.["nested"], { password: "[redacted]" });
  assert.equal(requestLogger(logger), requestLogger(logger), "one request logger per logger");
});
