/**
 * Stage "revocation": after authentication, before impersonation, refuses a
 * token whose identity is blocked or was revoked after the token was issued.
 * An in-memory lookup; the reason is logged, never returned.
 */
import type { Authentication } from "../../auth/authenticator.ts";
import type { Duplex } from "node:stream";
import { KubewardError } from "../../errors.ts";
import type { Logger } from "../../log/logger.ts";
import type { Metrics } from "../../metrics/metrics.ts";
import type { RevocationGuard } from "../../revocation/guard.ts";
import type { Subject } from "../../revocation/index.ts";

/** The identity revocations match: the mapped username and groups, and the token's `iat`. */
export function subjectOf(auth: Authentication): Subject {
  const { username, groups } = auth.user;
  return auth.issuedAt === undefined ? { username, groups } : { username, groups, issuedAt: auth.issuedAt };
}

/**
 * Throws token_revoked, identity_blocked or (failClosed with a stale list)
 * revocation_list_stale; does nothing without a guard.
 */
export function checkRevocation(guard: RevocationGuard | undefined, subject: Subject, deps: { logger: Logger; metrics: Metrics }): void {
  if (guard === undefined) return;
  const verdict = guard.check(subject);
  if (verdict === undefined) return;
  if (verdict === "stale") {
    deps.metrics.revocationRefusals.inc({ kind: "stale" });
    deps.logger.warn({ mode: guard.mode }, "request refused: the revocation list is stale");
    throw new KubewardError("revocation_list_stale", "failClosed and the revocation list is stale");
  }
  const kind = verdict.effect === "blocked" ? "block" : verdict.kind;
  deps.metrics.revocationRefusals.inc({ kind });
  deps.logger.info({ user: subject.username, kind, id: verdict.id, reason: verdict.reason }, `request refused: identity ${verdict.effect}`);
  throw new KubewardError(verdict.effect === "blocked" ? "identity_blocked" : "token_revoked", `${kind} ${verdict.id}`);
}

/**
 * Registers an open long-running request or upgraded connection; returns its
 * unregister function. A revocation that arrived while kube-apiserver was
 * answering (after the check, before this) ends the connection at once.
 */
export function trackConnection(guard: RevocationGuard | undefined, subject: Subject, close: () => void): () => void {
  if (guard === undefined) return nothing;
  const verdict = guard.check(subject);
  if (verdict !== undefined && verdict !== "stale") {
    close();
    return nothing;
  }
  return guard.connections.add({ subject, close });
}

/** WebSocket close code 1008, policy violation (RFC 6455 §7.4.1). */
const POLICY_VIOLATION = 1008;

/**
 * Does nothing: the unregister function of a connection nothing tracks, and
 * the end of a watch nobody waits for; one shared function, as a watch keeps
 * it for its life.
 */
export function nothing(): void {}

/**
 * Ends an upgraded connection whose identity was revoked: on a WebSocket a
 * close frame saying so comes first; then the client socket is destroyed,
 * which tears down the upstream side too.
 */
export function endUpgraded(socket: Duplex, upgrade: string): void {
  if (socket.destroyed) return;
  if (upgrade.toLowerCase() !== "websocket") {
    socket.destroy();
    return;
  }
  const reason = Buffer.from("access revoked");
  const frame = Buffer.concat([Buffer.from([0x88, 2 + reason.length, POLICY_VIOLATION >> 8, POLICY_VIOLATION & 0xff]), reason]);
  const timer = setTimeout(() => socket.destroy(), 1_000);
  timer.unref();
  socket.write(frame, () => {
    clearTimeout(timer);
    socket.destroy();
  });
}
