/**
 * Per-request metrics and the one log line per request. Labels come from
 * closed sets (verb, class, status code); the log line is built from the
 * allowlist in src/log/logger.ts, so no token or header reaches it.
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
  /** Ends the observation once: counts, times and logs it. */
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
  const { clock, logger, metrics } = deps;
  const started = clock.now();
  let user: string | undefined;
  let longRunning = false;
  let finished = false;
  metrics.inFlight.inc();
  return {
    setUser: (u) => { user = u; },
    startLongRunning: () => {
      if (longRunning) return;
      longRunning = true;
      metrics.longRunning.inc({ class: info.class });
    },
    finish: (code, reason) => {
      if (finished) return;
      finished = true;
      const durationMs = clock.now() - started;
      metrics.inFlight.dec();
      metrics.requests.inc({ verb: info.verb, class: info.class, code: String(code) });
      if (longRunning) metrics.longRunning.dec({ class: info.class });
      else if (!info.longRunning) metrics.requestDuration.observe({ verb: info.verb, class: info.class }, durationMs / 1000);
      requestLogger(logger).info(requestLogEntry({
        method, path: info.path, verb: info.verb, class: info.class, code, durationMs, user, reason, remote, upgrade,
      }), "request");
    },
  };
}
