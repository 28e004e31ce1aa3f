/**
 * Opens N watch requests (one connection each) through a proxy and holds
 * them open, run as its own process so its memory is not the proxy's.
 * Prints "open <n> <ms>" once every watch has its first event, then waits
 * for SIGTERM. Usage: node watch-client.ts <url> <n> <token> <ca.pem>
 */
import { request, Agent } from "node:https";
import { readFileSync } from "node:fs";

const [url, count, token, caFile] = process.argv.slice(2);
if (url === undefined || count === undefined || token === undefined || caFile === undefined) throw new Error("usage: watch-client.ts <url> <n> <token> <ca>");
const total = Number(count);
const agent = new Agent({ ca: readFileSync(caFile), keepAlive: false, maxSockets: Infinity });
const BATCH = 100;
const started = Date.now();

function openOne(): Promise<void> {
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

let open = 0;
while (open < total) {
  const n = Math.min(BATCH, total - open);
  await Promise.all(Array.from({ length: n }, openOne));
  open += n;
}
process.stdout.write(`open ${open} ${Date.now() - started}\n`);
setInterval(() => undefined, 60_000);
