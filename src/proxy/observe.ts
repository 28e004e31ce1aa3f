/**
 * Per-request metrics and the one log line per request. Labels come from
 * closed sets (verb, class, status code); the log line is built from the
 * allowlist in src/log/logger.ts, so no token or header reaches it.
 *
 * A finished request is counted and logged after the event-loop turn that
 * finished it: Node sends HTTP/2 frames from a native immediate, after the
 * turn's JavaScript, so a line written at once went out before the
 * response it describes.
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import { requestLogEntry, requestLogger } from "../log/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { RequestInfo } from "./stages/request-info.ts";

/** One request being observed. */
export interface Observation {
  /** Records who the request ran as (logged only). */
  setUser(username: string): void;
  /** Counts the request as an open long-running one until it finishes. */
  startLongRunning(): void;
  /** Ends the observation once: times it now, counts and logs it when the turn ends. */
  finish(code: number, reason?: string): void;
}

/** Where observations go. */
export interface ObserveDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Starts observing a request. */
export function observe(deps: ObserveDeps, info: RequestInfo, method: string, remote: string, upgrade: boolean): Observation {
  return new RequestObservation(deps, info, method, remote, upgrade);
}

/** A class, not closures: one lives as long as each open watch. */
class RequestObservation implements Observation {
  private readonly deps: ObserveDeps;
  private readonly info: RequestInfo;
  private readonly method: string;
  private readonly remote: string;
  private readonly upgrade: boolean;
  private readonly started: number;
  private user: string | undefined;
  private longRunning = false;
  private finished = false;
  private code = 0;
  private reason: string | undefined;
  private durationMs = 0;

  constructor(deps: ObserveDeps, info: RequestInfo, method: string, remote: string, upgrade: boolean) {
    this.deps = deps;
    this.info = info;
    this.method = method;
    this.remote = remote;
    this.upgrade = upgrade;
    this.started = deps.clock.now();
    deps.metrics.inFlight.inc();
  }

  setUser(username: string): void {
    this.user = username;
  }

  startLongRunning(): void {
    if (this.longRunning) return;
    this.longRunning = true;
    this.deps.metrics.longRunning.inc({ class: this.info.class });
  }

  /** Times the request now; it is counted and logged when the turn ends (see the top of this file). */
  finish(code: number, reason?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.durationMs = this.deps.clock.now() - this.started;
    this.code = code;
    this.reason = reason;
    recordAfterThisTurn(this);
  }

  /** Counts and logs the finished request. */
  record(): void {
    const { logger, metrics } = this.deps;
    const { info, code, durationMs } = this;
    metrics.inFlight.dec();
    metrics.requests.inc({ verb: info.verb, class: info.class, code: String(code) });
    if (this.longRunning) metrics.longRunning.dec({ class: info.class });
    else if (!info.longRunning) metrics.requestDuration.observe({ verb: info.verb, class: info.class }, durationMs / 1000);
    requestLogger(logger).info(requestLogEntry({
      method: this.method, path: info.path, verb: info.verb, class: info.class, code, durationMs,
      user: this.user, reason: this.reason, remote: this.remote, upgrade: this.upgrade,
    }), "request");
  }
}

/** Requests finished in this turn, recorded by one immediate; a process "exit" listener records any left. */
let finishedThisTurn: RequestObservation[] = [];
let exitHooked = false;

function recordAfterThisTurn(obs: RequestObservation): void {
  if (finishedThisTurn.length === 0) setImmediate(recordFinished);
  if (!exitHooked) {
    exitHooked = true;
    process.once("exit", recordFinished);
  }
  finishedThisTurn.push(obs);
}

function recordFinished(): void {
  const batch = finishedThisTurn;
  finishedThisTurn = [];
  for (const obs of batch) obs.record();
}
