/**
 * A fake kube-apiserver for proxy tests: HTTPS on 127.0.0.1:0 with its own
 * CA, requiring a client certificate; it records every request (method,
 * path, raw headers, client certificate CN), answers what the test routes,
 * decides SubjectAccessReviews as the test says, and accepts SPDY/3.1 and
 * WebSocket upgrades that echo bytes both ways.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { createCertificateAuthority, issueCertificate, type CertificateAuthority, type KeyPair } from "../../src/pki/certificates.ts";

export interface RecordedRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  /** Raw header list as received. */
  readonly rawHeaders: readonly string[];
  /** CN of the client certificate the proxy presented. */
  readonly clientCN: string | undefined;
  /** Every value of a header (lowercase name). */
  values(name: string): string[];
}

export interface RecordedUpgrade extends RecordedRequest {
  readonly protocol: "websocket" | "spdy";
  /** The WebSocket subprotocol the server picked. */
  readonly chosenProtocol?: string;
}

export type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
export type Reviewer = (spec: Record<string, unknown>) => Decision | Promise<Decision>;
export interface Decision { allowed: boolean; reason?: string }

export interface RecordingUpstream {
  readonly url: string;
  readonly ca: CertificateAuthority;
  /** The client certificate the proxy should present (CN kubeward-proxy). */
  readonly clientCert: KeyPair;
  /** Every non-review, non-probe request, in arrival order. */
  readonly requests: RecordedRequest[];
  readonly upgrades: RecordedUpgrade[];
  /** The spec of every SubjectAccessReview received. */
  readonly reviews: Record<string, unknown>[];
  /** Answers requests whose path (without query) starts with `prefix`; later routes win. */
  route(prefix: string, handler: Route): void;
  setReviewer(reviewer: Reviewer): void;
  /** Makes /readyz answer 200 (true) or 500 (false). */
  setReady(ready: boolean): void;
  /** Makes the next `count` /readyz requests go unanswered, their connection destroyed. */
  dropReadyz(count: number): void;
  /** How many /readyz requests arrived. */
  readyzRequests(): number;
  /** Makes upgrades answer this status and body instead of 101. */
  refuseUpgrades(status: number, body: string): void;
  /** Makes upgrades go unanswered (the connection stays open, silent). */
  ignoreUpgrades(): void;
  /** Resets every upgraded connection from the upstream side. */
  dropUpgrades(): void;
  /** How many upgraded connections are open on the upstream side. */
  openUpgrades(): number;
  close(): Promise<void>;
}

const peerNames = new WeakMap<object, string | undefined>();

/** The client certificate's CN, read once per connection (getPeerCertificate is costly). */
function peerName(socket: TLSSocket): string | undefined {
  if (!peerNames.has(socket)) {
    const cn = socket.getPeerCertificate?.()?.subject?.CN;
    peerNames.set(socket, cn === undefined ? undefined : String(cn));
  }
  return peerNames.get(socket);
}

function recordRequest(req: IncomingMessage): RecordedRequest {
  const rawHeaders = [...req.rawHeaders];
  const values = (name: string) => {
    const out: string[] = [];
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) if (rawHeaders[i]?.toLowerCase() === name) out.push(rawHeaders[i + 1] ?? "");
    return out;
  };
  return { method: req.method ?? "", url: req.url ?? "", rawHeaders, clientCN: peerName(req.socket as TLSSocket), values };
}

interface State {
  routes: { prefix: string; handler: Route }[];
  reviewer: Reviewer;
  ready: boolean;
  dropReadyz: number;
  readyzRequests: number;
  refusal: { status: number; body: string } | undefined;
  silent: boolean;
  readonly requests: RecordedRequest[];
  readonly upgrades: RecordedUpgrade[];
  readonly reviews: Record<string, unknown>[];
  readonly upgraded: Set<Duplex>;
}

/** Starts the upstream. */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const ca = await createCertificateAuthority("recording-upstream-ca");
  const serving = await issueCertificate(ca, { commonName: "kube-apiserver", hosts: ["127.0.0.1", "localhost"], usage: "server" });
  const clientCert = await issueCertificate(ca, { commonName: "kubeward-proxy", usage: "client" });
  const state: State = {
    routes: [], reviewer: () => ({ allowed: false }), ready: true, dropReadyz: 0, readyzRequests: 0, refusal: undefined, silent: false,
    requests: [], upgrades: [], reviews: [], upgraded: new Set(),
  };
  const server = createServer({ cert: serving.certPem, key: serving.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
    (req, res) => void answer(state, req, res));
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => [...offered][0] ?? false });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrade(state, wss, req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`, ca, clientCert, requests: state.requests, upgrades: state.upgrades, reviews: state.reviews,
    route: (prefix, handler) => { state.routes.push({ prefix, handler }); },
    setReviewer: (r) => { state.reviewer = r; },
    setReady: (r) => { state.ready = r; },
    dropReadyz: (count) => { state.dropReadyz = count; },
    readyzRequests: () => state.readyzRequests,
    refuseUpgrades: (status, body) => { state.refusal = { status, body }; },
    ignoreUpgrades: () => { state.silent = true; },
    dropUpgrades: () => { for (const socket of state.upgraded) socket.destroy(); },
    openUpgrades: () => state.upgraded.size,
    close: () => {
      for (const socket of state.upgraded) socket.destroy();
      return closeServer(server, wss);
    },
  };
}

async function answer(state: State, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "").split("?")[0] ?? "";
  if (path.endsWith("/readyz")) {
    state.readyzRequests++;
    if (state.dropReadyz > 0) {
      state.dropReadyz--;
      return void req.socket.destroy();
    }
    return void res.writeHead(state.ready ? 200 : 500).end(state.ready ? "ok" : "not ready");
  }
  if (path.endsWith("/apis/authorization.k8s.io/v1/subjectaccessreviews")) return review(state, req, res);
  state.requests.push(recordRequest(req));
  const route = [...state.routes].reverse().find((r) => path.startsWith(r.prefix));
  if (route) return route.handler(req, res);
  req.resume();
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Echo", path }));
}

async function review(state: State, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let text = "";
  for await (const chunk of req) text += chunk;
  const body = JSON.parse(text) as { spec: Record<string, unknown> };
  state.reviews.push(body.spec);
  const decision = await state.reviewer(body.spec);
  res.writeHead(201, { "content-type": "application/json" })
    .end(JSON.stringify({ ...body, status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) } }));
}

function upgrade(state: State, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on("error", () => {});
  state.upgraded.add(socket);
  socket.once("close", () => state.upgraded.delete(socket));
  const recorded = recordRequest(req);
  if (state.silent) {
    state.upgrades.push({ ...recorded, protocol: "spdy" });
  } else if (state.refusal) {
    state.upgrades.push({ ...recorded, protocol: "spdy" });
    const { status, body } = state.refusal;
    socket.end(`HTTP/1.1 ${status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  } else if ((req.headers.upgrade ?? "").toLowerCase() === "websocket") {
    wss.handleUpgrade(req, socket, head, (ws) => {
      state.upgrades.push({ ...recorded, protocol: "websocket", chosenProtocol: ws.protocol });
      ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  } else {
    state.upgrades.push({ ...recorded, protocol: "spdy" });
    const version = String(req.headers["x-stream-protocol-version"] ?? "").split(",")[0]?.trim() ?? "";
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${version}\r\n\r\n`);
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
  }
}

function closeServer(server: Server, wss: WebSocketServer): Promise<void> {
  for (const client of wss.clients) client.terminate();
  wss.close();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
