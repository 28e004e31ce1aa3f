/**
 * The upstream half of readiness: a periodic GET /readyz to kube-apiserver
 * with the proxy's credentials. Healthy while the last probe succeeded and
 * is recent (within three intervals, by the injected clock).
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Upstream } from "./upstream.ts";

/** The periodic probe of kube-apiserver. */
export interface UpstreamProbe {
  start(): void;
  stop(): void;
  healthy(): boolean;
  /** Runs one probe now (the timer calls this too). */
  probe(): Promise<boolean>;
}

/** A probe of `upstream` every `intervalMs`. */
export function createUpstreamProbe(
  upstream: Upstream, options: { clock: Clock; logger: Logger; intervalMs: number; onProbe?: () => void },
): UpstreamProbe {
  const { clock, logger, intervalMs } = options;
  let lastOk = false;
  let lastSuccess = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> | undefined;
  // One probe at a time, so a slow old answer never overwrites a newer one.
  const probe = (): Promise<boolean> => (running ??= probeOnce().finally(() => { running = undefined; }));
  const probeOnce = async (): Promise<boolean> => {
    let ok = false;
    try {
      ok = (await upstream.requestJson("GET", "/readyz")).statusCode === 200;
    } catch (err) {
      logger.debug({ err: (err as Error).message }, "upstream probe failed");
    }
    if (ok !== lastOk) logger.info({ upstreamReady: ok }, "upstream readiness changed");
    lastOk = ok;
    if (ok) lastSuccess = clock.now();
    options.onProbe?.();
    return ok;
  };
  return {
    probe,
    start: () => {
      void probe();
      timer = setInterval(() => void probe(), intervalMs);
      timer.unref();
    },
    stop: () => clearInterval(timer),
    healthy: () => lastOk && clock.now() - lastSuccess <= 3 * intervalMs,
  };
}
