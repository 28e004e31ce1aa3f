/**
 * Serves one HTTP/1.1 upgrade (exec, attach, port-forward over SPDY/3.1 or
 * WebSocket): the identity stages, then a byte relay to kube-apiserver.
 * Refusals are written to the raw socket as Status responses.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { KubewardError } from "../errors.ts";
import type { HandlerContext } from "./context.ts";
import { clientAddress, firstHeader } from "./headers.ts";
import { identityStages } from "./identity.ts";
import { forgetToken } from "./stages/authenticate.ts";
import { observe } from "./observe.ts";
import { toStatus, writeStatusToSocket } from "./status.ts";
import { checkTarget, requestInfo } from "./stages/request-info.ts";
import { relayUpgrade } from "./upgrade.ts";
import { endUpgraded, trackConnection } from "./stages/revocation.ts";

/** Handles an upgrade request; never throws. */
export async function handleUpgrade(ctx: HandlerContext, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  socket.on("error", (err) => ctx.logger.debug({ err: err.message }, "client socket error during upgrade"));
  const info = requestInfo(req.method ?? "GET", req.url ?? "/", true);
  const remote = clientAddress(req.socket.remoteAddress);
  const obs = observe(ctx, info, req.method ?? "", remote, true);
  try {
    if (ctx.drain.draining) throw new KubewardError("shutting_down", "upgrade during drain");
    checkTarget(req.url ?? "");
    const upgrade = firstHeader(req.rawHeaders, "upgrade") ?? "";
    const { headers, subject } = await identityStages(ctx, req.rawHeaders, remote, obs, upgrade);
    forgetToken(req);
    const outcome = await relayUpgrade(ctx.upstream, { method: req.method ?? "GET", target: req.url ?? "/", headers, head }, socket);
    if (outcome.kind === "failed") {
      // An upstream request aborted because the client left is not kube-apiserver's fault.
      if (!socket.destroyed) ctx.metrics.upstreamErrors.inc({ kind: outcome.errorKind });
      throw outcome.error;
    }
    if (outcome.kind === "relayed") return obs.finish(outcome.statusCode);
    ctx.drain.trackUpgraded(socket);
    const unregister = trackConnection(ctx.revocation, subject, () => endUpgraded(socket, upgrade));
    obs.startLongRunning();
    await outcome.closed;
    unregister();
    obs.finish(101);
  } catch (err) {
    const status = toStatus(err);
    writeStatusToSocket(socket, status);
    obs.finish(status.code, err instanceof KubewardError ? err.code : "internal");
  }
}
