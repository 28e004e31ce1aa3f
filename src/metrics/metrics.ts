/**
 * The catalogue of Prometheus metrics kubeward exports. Labels take values
 * from closed sets only (verb, request class, status code, reason code):
 * never a user, a path or an address.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Request classes: the bounded "what kind of request" label. */
export const REQUEST_CLASSES = [
  "resource", "status", "scale", "log", "exec", "attach", "portforward", "proxy", "eviction", "binding",
  "other_subresource", "nonresource",
] as const;
export type RequestClass = (typeof REQUEST_CLASSES)[number];

export class Metrics {
  readonly registry: Registry;
  readonly requests: Counter<"verb" | "class" | "code">;
  readonly requestDuration: Histogram<"verb" | "class">;
  readonly inFlight: Gauge;
  readonly longRunning: Gauge<"class">;
  readonly authentications: Counter<"result" | "reason">;
  readonly tokenCacheLookups: Counter<"result">;
  readonly jwksFetches: Counter<"result">;
  readonly jwksLastFetch: Gauge;
  readonly jwksKeys: Gauge;
  readonly upstreamErrors: Counter<"kind">;
  readonly upstreamRetries: Counter<"reason">;
  readonly impersonationReviews: Counter<"result">;
  readonly ready: Gauge;
  readonly buildInfo: Gauge<"version" | "node">;
  readonly revocationsInForce: Gauge<"kind">;
  readonly revocationRefusals: Counter<"kind">;
  /** What kubeward_revocation_list_staleness_seconds reads at each scrape; see {@link measureRevocationStaleness}. */
  #revocationStalenessMs: (() => number) | undefined;

  constructor(registry: Registry = new Registry(), options: { defaultMetrics?: boolean } = {}) {
    this.registry = registry;
    const registers = [registry];
    const p = "kubeward_";
    this.requests = new Counter({ name: `${p}proxy_requests_total`, help: "Requests answered by the proxy, by Kubernetes verb, request class and HTTP status code.", labelNames: ["verb", "class", "code"], registers });
    this.requestDuration = new Histogram({
      name: `${p}proxy_request_duration_seconds`, help: "Latency of proxied requests that are not long-running (watch, logs -f, exec, attach, port-forward are excluded).",
      labelNames: ["verb", "class"], registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.5, 2, 3, 5, 10, 30, 60],
    });
    this.inFlight = new Gauge({ name: `${p}proxy_requests_in_flight`, help: "Requests being served now, long-running ones included.", registers });
    this.longRunning = new Gauge({ name: `${p}proxy_long_running_requests`, help: "Open long-running requests (watches, streams, upgraded connections) by class.", labelNames: ["class"], registers });
    this.authentications = new Counter({ name: `${p}authentication_attempts_total`, help: "Token authentications by result (success, failure) and reason code.", labelNames: ["result", "reason"], registers });
    this.tokenCacheLookups = new Counter({ name: `${p}token_cache_lookups_total`, help: "Verified-token cache lookups by result (hit, miss).", labelNames: ["result"], registers });
    this.jwksFetches = new Counter({ name: `${p}jwks_fetches_total`, help: "Fetches of issuer discovery and JWKS documents by result (success, failure, throttled).", labelNames: ["result"], registers });
    this.jwksLastFetch = new Gauge({ name: `${p}jwks_last_success_timestamp_seconds`, help: "Unix time of the last successful JWKS fetch (key-set age is now minus this).", registers });
    this.jwksKeys = new Gauge({ name: `${p}jwks_keys`, help: "Number of keys in the cached key set.", registers });
    this.upstreamErrors = new Counter({ name: `${p}upstream_errors_total`, help: "Failures talking to kube-apiserver by kind (connect, timeout, tls, reset, bad_response).", labelNames: ["kind"], registers });
    this.upstreamRetries = new Counter({
      name: `${p}upstream_retries_total`, labelNames: ["reason"], registers,
      help: "Requests sent to kube-apiserver once more because it dropped them unanswered, by reason (reset: the connection broke before any answer; refused_stream: an HTTP/2 stream refused unprocessed, sent over HTTP/1.1).",
    });
    this.impersonationReviews = new Counter({ name: `${p}impersonation_reviews_total`, help: "SubjectAccessReviews made for client-requested impersonation, by result (allowed, denied, error).", labelNames: ["result"], registers });
    this.ready = new Gauge({ name: `${p}ready`, help: "1 when the proxy can serve (keys loaded, upstream answering), else 0.", registers });
    this.buildInfo = new Gauge({ name: `${p}build_info`, help: "Build information; always 1.", labelNames: ["version", "node"], registers });
    this.revocationsInForce = new Gauge({ name: `${p}revocations_in_force`, help: "Revocations and blocks this replica enforces, by kind (user, group, all, block).", labelNames: ["kind"], registers });
    this.revocationRefusals = new Counter({ name: `${p}revocation_refusals_total`, help: "Requests refused by a revocation or block, by kind (user, group, all, block, stale).", labelNames: ["kind"], registers });
    const stalenessMs = () => this.#revocationStalenessMs?.();
    // Kept by the registry only: nothing sets it, it reads its value when collected.
    new Gauge({
      name: `${p}revocation_list_staleness_seconds`, help: "Seconds since the revocation list was last read from storage (-1 before the first read).", registers,
      collect() {
        const ms = stalenessMs();
        if (ms !== undefined) this.set(Number.isFinite(ms) ? ms / 1000 : -1);
      },
    });
    if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: p });
  }

  /**
   * Makes the revocation list's staleness gauge read `stalenessMs`
   * (milliseconds since the last confirmed read, Infinity before the first)
   * at each scrape, so it says what the guard sees at that moment rather than
   * at the last poll.
   */
  measureRevocationStaleness(stalenessMs: () => number): void {
    this.#revocationStalenessMs = stalenessMs;
  }
}
