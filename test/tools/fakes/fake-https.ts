/**
 * The base of every provider fake: an HTTPS server on 127.0.0.1:0 with its
 * own CA, a request log, and a fetch that trusts the CA and sends requests
 * for the provider's public hosts (github.com, graph.microsoft.com…) to it.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { Agent, fetch as undiciFetch } from "undici";
import { createCertificateAuthority, issueCertificate } from "../../../src/pki/certificates.ts";

/** A request as the fake received it. */
export interface FakeRequest {
  readonly method: string;
  /** The host the client meant (a rewritten public host, or the fake's own). */
  readonly host: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

/** Answers one request; `reply` is a small helper over `res`. */
export type FakeHandler = (req: FakeRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeHttps {
  /** `https://127.0.0.1:<port>`. */
  readonly origin: string;
  /** The CA that signed the fake's certificate (PEM). */
  readonly caPem: string;
  /** Every request received, in order. */
  readonly requests: FakeRequest[];
  /** A fetch trusting the CA that sends requests for the given public hosts here (the path is kept). */
  readonly fetch: typeof globalThis.fetch;
  close(): Promise<void>;
}

/** Rewritten requests name their public host in this header, so the fake can answer as that host would. */
const HOST_HEADER = "x-fake-original-host";

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function fakeFetch(origin: string, publicHosts: readonly string[], agent: Agent): typeof globalThis.fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = new Headers(init?.headers);
    if (publicHosts.includes(url.host)) {
      headers.set(HOST_HEADER, url.host);
      const local = new URL(origin);
      url.protocol = local.protocol;
      url.host = local.host;
    }
    return undiciFetch(url, { ...(init as object), headers: Object.fromEntries(headers.entries()), dispatcher: agent }) as unknown as Response;
  }) as typeof globalThis.fetch;
}

/** Starts a fake answering with `handler`; `publicHosts` are the real hosts its fetch redirects to it. */
export async function startFakeHttps(handler: FakeHandler, publicHosts: readonly string[] = []): Promise<FakeHttps> {
  const ca = await createCertificateAuthority("kubeward test fake CA");
  const leaf = await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1", "localhost"], usage: "server" });
  const requests: FakeRequest[] = [];
  const server: Server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "https://fake");
      const host = String(req.headers[HOST_HEADER] ?? req.headers.host ?? "");
      const recorded: FakeRequest = { method: req.method ?? "GET", host, path: url.pathname, query: url.searchParams, headers: req.headers, body: await readBody(req) };
      requests.push(recorded);
      await handler(recorded, res);
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`fake failed: ${String(e)}`);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ connect: { ca: ca.certPem } });
  let closed = false;
  return {
    origin, caPem: ca.certPem, requests, fetch: fakeFetch(origin, publicHosts, agent),
    close: async () => {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent.close();
    },
  };
}

/** Writes a JSON answer with extra headers. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

/** The bearer token of a request (`Authorization: Bearer x` or GitHub's `token x`), if any. */
export function bearer(req: FakeRequest): string | undefined {
  const m = /^(?:Bearer|token) (.+)$/i.exec(String(req.headers.authorization ?? ""));
  return m?.[1];
}

/** Sends the browser's request to an authorize URL (rewritten like `fetch`) and returns where the fake redirects it. */
export async function followAuthorize(fake: FakeHttps, url: string, cookie: string): Promise<URL> {
  const res = await fake.fetch(url, { redirect: "manual", headers: { cookie } });
  const location = res.headers.get("location");
  if (res.status !== 302 || location === null) throw new Error(`the fake's authorize endpoint answered ${res.status}: ${await res.text()}`);
  return new URL(location);
}
