/**
 * Opens N watch requests through a proxy and holds them open, run as its own
 * process so its memory is not the proxy's. Over HTTP/1.1 every watch has its
 * own connection (as N separate kubectl processes would); over HTTP/2 up to
 * 250 watches share a connection, fewer if the server allows fewer streams
 * (as one client-go process multiplexes its watches). Prints "open <n> <ms>" once every watch has its first event, then
 * waits for SIGTERM.
 * Usage: node watch-client.ts <url> <n> <token> <ca.pem> [h1|h2]
 */
import { request, Agent } from "node:https";
import { connect, type ClientHttp2Session } from "node:http2";
import { readFileSync } from "node:fs";

const [url, count, token, caFile, protocol = "h1"] = process.argv.slice(2);
if (url === undefined || count === undefined || token === undefined || caFile === undefined || !["h1", "h2"].includes(protocol)) {
  throw new Error("usage: watch-client.ts <url> <n> <token> <ca> [h1|h2]");
}
const total = Number(count);
const ca = readFileSync(caFile);
const agent = new Agent({ ca, keepAlive: false, maxSockets: Infinity });
const BATCH = 100;
const STREAMS_PER_CONNECTION = 250;
const started = Date.now();
const target = new URL(url);
const sessions: { session: ClientHttp2Session; streams: number }[] = [];
let connecting: Promise<void> | undefined;

function openH1(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url as string, { agent, headers: { authorization: `Bearer ${token}`, accept: "application/json" } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`watch answered ${res.statusCode}`));
      res.once("data", () => {
        req.setTimeout(0);
        resolve();
      });
      res.once("error", reject);
    });
    req.setTimeout(60_000, () => req.destroy(new Error("watch timed out")));
    req.once("error", reject);
    req.end();
  });
}

/**
 * A session with room for another stream: at most 250, and never more than
 * the server allows. Sessions are made one at a time: the watches opened in
 * the meantime wait for the new one instead of each opening its own.
 */
async function sessionWithRoom(): Promise<{ session: ClientHttp2Session; streams: number }> {
  for (;;) {
    const last = sessions.at(-1);
    if (last !== undefined && last.streams < Math.min(STREAMS_PER_CONNECTION, last.session.remoteSettings.maxConcurrentStreams ?? 100)) {
      last.streams++;
      return last;
    }
    connecting ??= newSession().finally(() => { connecting = undefined; });
    await connecting;
  }
}

async function newSession(): Promise<void> {
  const session = connect(target.origin, { ca });
  await new Promise<void>((resolve, reject) => {
    session.once("remoteSettings", () => resolve());
    session.once("error", reject);
  });
  sessions.push({ session, streams: 0 });
}

async function openH2(): Promise<void> {
  const { session } = await sessionWithRoom();
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":path": target.pathname + target.search, authorization: `Bearer ${token}`, accept: "application/json" });
    stream.once("response", (head) => { if (head[":status"] !== 200) reject(new Error(`watch answered ${head[":status"]}`)); });
    stream.once("data", () => resolve());
    stream.once("error", reject);
    stream.setTimeout(60_000, () => reject(new Error("watch timed out")));
  });
}

let open = 0;
while (open < total) {
  const n = Math.min(BATCH, total - open);
  await Promise.all(Array.from({ length: n }, () => (protocol === "h2" ? openH2() : openH1())));
  open += n;
}
process.stdout.write(`open ${open} ${Date.now() - started}\n`);
setInterval(() => undefined, 60_000);
