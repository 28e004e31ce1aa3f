import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { promisify } from "node:util";
import { observe } from "../../../src/proxy/observe.ts";
import { requestInfo } from "../../../src/proxy/stages/request-info.ts";
import { createLogger } from "../../../src/log/logger.ts";
import { Metrics } from "../../../src/metrics/metrics.ts";

/** Waits out the event-loop turn, after which finished requests are counted and logged. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const lines: string[] = [];
  const logger = createLogger({ level: "info", destination: { write: (s: string) => { lines.push(s); } } });
  let now = 5_000;
  return { lines, metrics: new Metrics(), clock: { now: () => now, tick: (ms: number) => { now += ms; } }, logger };
}

test("a finished request is counted, timed and logged once with allowlisted fields only", async () => {
  const { lines, metrics, clock, logger } = setup();
  const obs = observe({ clock, logger, metrics }, requestInfo("GET", "/api/v1/namespaces/a/pods?labelSelector=x", false), "GET", "10.1.2.3", false);
  assert.match(await metrics.registry.getSingleMetricAsString("kubeward_proxy_requests_in_flight"), / 1$/m);
  obs.setUser("alice");
  clock.tick(250);
  obs.finish(200);
  obs.finish(500);
  await nextTurn();
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0] as string);
  assert.deepEqual(Object.keys(line).filter((k) => !["level", "time", "service", "msg"].includes(k)).sort(),
    ["class", "code", "durationMs", "method", "path", "remote", "upgrade", "user", "verb"]);
  assert.equal(line.path, "/api/v1/namespaces/a/pods", "no query string in the log");
  assert.equal(line.durationMs, 250);
  assert.match(await metrics.registry.getSingleMetricAsString("kubeward_proxy_requests_total"), /verb="list",class="resource",code="200"\} 1/);
  assert.match(await metrics.registry.getSingleMetricAsString("kubeward_proxy_request_duration_seconds"), /_sum\{verb="list",class="resource"\} 0\.25/);
  assert.match(await metrics.registry.getSingleMetricAsString("kubeward_proxy_requests_in_flight"), / 0$/m);
});

test("long-running requests are counted while open and left out of the latency histogram", async () => {
  const { metrics, clock, logger } = setup();
  const obs = observe({ clock, logger, metrics }, requestInfo("GET", "/api/v1/pods?watch=true", false), "GET", "", false);
  obs.startLongRunning();
  assert.match(await metrics.registry.getSingleMetricAsString("kubeward_proxy_long_running_requests"), /class="resource"\} 1/);
  obs.finish(200);
  await nextTurn();
  assert.match(await metrics.registry.getSingleMetricAsString("kubeward_proxy_long_running_requests"), /class="resource"\} 0/);
  assert.match(await metrics.registry.getSingleMetricAsString("kubeward_proxy_requests_total"), /code="200"\} 1/);
  assert.doesNotMatch(await metrics.registry.getSingleMetricAsString("kubeward_proxy_request_duration_seconds"), /_count\{/);
});

test("requests are counted and logged at the end of the turn that finished them, in order, timed when they finished", async () => {
  const { lines, metrics, clock, logger } = setup();
  const first = observe({ clock, logger, metrics }, requestInfo("GET", "/api/v1/namespaces/a/pods/x", false), "GET", "", false);
  const second = observe({ clock, logger, metrics }, requestInfo("GET", "/api/v1/namespaces/a/pods/y", false), "GET", "", false);
  clock.tick(30);
  first.finish(200);
  clock.tick(20);
  second.finish(404);
  assert.equal(lines.length, 0, "nothing written in the turn that finished them (an HTTP/2 response leaves after it)");
  assert.doesNotMatch(await metrics.registry.getSingleMetricAsString("kubeward_proxy_requests_total"), /code=/);
  await nextTurn();
  assert.deepEqual(lines.map((l) => JSON.parse(l)).map((l) => [l.path, l.code, l.durationMs]),
    [["/api/v1/namespaces/a/pods/x", 200, 30], ["/api/v1/namespaces/a/pods/y", 404, 50]]);
  assert.match(await metrics.registry.getSingleMetricAsString("kubeward_proxy_requests_in_flight"), / 0$/m);
});

test("a process that exits in the turn that finished a request still writes its line", async () => {
  const src = (file: string) => pathToFileURL(join(import.meta.dirname, "../../../src", file)).href;
  const program = `
    import { observe } from "${src("proxy/observe.ts")}";
    import { requestInfo } from "${src("proxy/stages/request-info.ts")}";
    import { createLogger } from "${src("log/logger.ts")}";
    import { Metrics } from "${src("metrics/metrics.ts")}";
    const obs = observe({ clock: { now: () => 0 }, logger: createLogger({ level: "info" }), metrics: new Metrics() },
      requestInfo("GET", "/api/v1/pods", false), "GET", "", false);
    obs.finish(200);
    process.exit(0);`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", program], { timeout: 60_000 });
  const lines = stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.msg, l.path, l.code]), [["request", "/api/v1/pods", 200]]);
});
