/**
 * What the request handlers share: configuration, dependencies, the
 * upstream, the access reviewer and the drain tracker.
 */
import type { ProxyConfig } from "../config/types.ts";
import type { TokenAuthenticator } from "../auth/authenticator.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { RevocationGuard } from "../revocation/guard.ts";
import type { AccessReviewer } from "./access-review.ts";
import type { DrainTracker } from "./drain.ts";
import type { Upstream } from "./upstream.ts";

/** The state every request handler reads. */
export interface HandlerContext {
  readonly config: ProxyConfig;
  readonly authenticator: TokenAuthenticator;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly upstream: Upstream;
  readonly review: AccessReviewer;
  readonly drain: DrainTracker;
  /** Revocations and blocks, and the registry of open connections they end; absent: none enforced. */
  readonly revocation: RevocationGuard | undefined;
}
