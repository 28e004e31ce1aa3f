/**
 * The authenticator's document fetches (discovery, JWKS, distributed claims)
 * over real TLS: the configured CA, redirects as Go's client follows them
 * (credentials never cross to another origin, never https to http), the size
 * cap and clear errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:https";
import { once } from "node:events";
import type { AddressInfo, Socket } from "node:net";
import type { ServerResponse } from "node:http";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";
import { createIssuerAgent, createJsonGetter, createTextGetter } from "../../src/auth/http-json.ts";

type Handler = (path: string, auth: string | undefined) => { status: number; headers?: Record<string, string>; body?: string };

async function startServers(count: number, handler: (index: number) => Handler) {
  const ca = await createCertificateAuthority("http-json-ca");
  const leaf = await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1"], usage: "server" });
  const servers: Server[] = [];
  const urls: string[] = [];
  for (let i = 0; i < count; i++) {
    const h = handler(i);
    const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
      const answer = h(req.url ?? "/", req.headers.authorization);
      res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? "");
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    servers.push(server);
    urls.push(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return { caPem: ca.certPem, urls, close: () => { for (const s of servers) s.close(); } };
}

test("documents are fetched over the configured CA, following redirects; credentials stay on their origin", async (t) => {
  const seen: string[] = [];
  let other = "";
  const s = await startServers(2, (i) => (path, auth) => {
    seen.push(`${i} ${path} ${auth ?? "-"}`);
    if (i === 0 && path === "/moved") return { status: 302, headers: { location: "/keys" } };
    if (i === 0 && path === "/away") return { status: 307, headers: { location: `${other}/claims` } };
    return { status: 200, headers: { "content-type": "application/json" }, body: `{"served":"${i}${path}"}` };
  });
  other = s.urls[1] as string;
  t.after(s.close);
  const agent = createIssuerAgent(s.caPem);
  t.after(() => agent.destroy());
  const signal = new AbortController().signal;

  assert.deepEqual(await createJsonGetter(agent)(`${s.urls[0]}/moved`, signal), { served: "0/keys" });
  assert.equal(await createTextGetter(agent)(`${s.urls[0]}/moved`, signal, "tok"), '{"served":"0/keys"}');
  assert.equal(await createTextGetter(agent)(`${s.urls[0]}/away`, signal, "tok"), '{"served":"1/claims"}');
  assert.deepEqual(seen, ["0 /moved -", "0 /keys -", "0 /moved Bearer tok", "0 /keys Bearer tok", "0 /away Bearer tok", "1 /claims -"]);
});

test("refusals are clear: untrusted certificate, HTTP errors, https to http, redirect loops, oversize, not JSON", async (t) => {
  const s = await startServers(1, () => (path) => {
    if (path === "/down") return { status: 302, headers: { location: "http://127.0.0.1:1/x" } };
    if (path === "/loop") return { status: 302, headers: { location: "/loop" } };
    if (path === "/big") return { status: 200, body: "x".repeat(1024 * 1024 + 1) };
    if (path === "/text") return { status: 200, body: "<html>" };
    return { status: 404 };
  });
  t.after(s.close);
  const agent = createIssuerAgent(s.caPem);
  t.after(() => agent.destroy());
  const get = createJsonGetter(agent);
  const signal = new AbortController().signal;
  const base = s.urls[0] as string;

  const untrusted = createIssuerAgent(undefined);
  t.after(() => untrusted.destroy());
  await assert.rejects(createJsonGetter(untrusted)(`${base}/x`, signal), /self-signed|unable to verify|certificate/i);
  await assert.rejects(get(`${base}/missing`, signal), new Error(`GET ${base}/missing: HTTP 404`));
  await assert.rejects(get(`${base}/down`, signal), new Error(`GET ${base}/down: refused a redirect from https to http:`));
  await assert.rejects(get(`${base}/loop`, signal), new Error(`GET ${base}/loop: more than 10 redirects`));
  await assert.rejects(get(`${base}/big`, signal), /larger than 1048576 bytes/);
  await assert.rejects(get(`${base}/text`, signal), new Error(`GET ${base}/text: response is not JSON`));
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(get(`${base}/x`, aborted.signal), /abort/i);
});

/** An issuer whose answer depends on how many requests its connection has carried (1 for the first). */
async function startConnectionCounting(answer: (nth: number, socket: Socket, res: ServerResponse) => void) {
  const ca = await createCertificateAuthority("http-json-ca");
  const leaf = await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1"], usage: "server" });
  const served = new WeakMap<Socket, number>();
  const connections = new Set<Socket>();
  const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
    const socket = req.socket;
    const nth = (served.get(socket) ?? 0) + 1;
    served.set(socket, nth);
    connections.add(socket);
    answer(nth, socket, res);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { caPem: ca.certPem, url, connections, close: () => server.close() };
}

test("a fetch on a kept-alive connection the issuer drops before answering is sent once more, on a new connection", async (t) => {
  const s = await startConnectionCounting((nth, socket, res) => {
    // The issuer closes an idle keep-alive connection just as the next request leaves on it.
    if (nth > 1) socket.destroy();
    else res.writeHead(200, { "content-type": "application/json" }).end(`{"keys":[]}`);
  });
  t.after(s.close);
  const agent = createIssuerAgent(s.caPem);
  t.after(() => agent.destroy());
  const get = createJsonGetter(agent);
  const signal = new AbortController().signal;

  assert.deepEqual(await get(`${s.url}/keys`, signal), { keys: [] });
  assert.deepEqual(await get(`${s.url}/keys`, signal), { keys: [] });
  assert.equal(s.connections.size, 2, "the second fetch was answered on a new connection");
});

test("a fetch on a new connection that breaks fails at once, with the transport's error", async (t) => {
  let requests = 0;
  const s = await startConnectionCounting((_nth, socket) => {
    requests++;
    socket.destroy();
  });
  t.after(s.close);
  const agent = createIssuerAgent(s.caPem);
  t.after(() => agent.destroy());

  await assert.rejects(createJsonGetter(agent)(`${s.url}/keys`, new AbortController().signal), /ECONNRESET|socket hang up/);
  assert.equal(requests, 1, "a request that never reused a connection is not sent again");
});
