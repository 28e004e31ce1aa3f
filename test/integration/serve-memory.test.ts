/**
 * What a user scraping `kubeward serve`'s metrics sees after a burst of
 * connections to its issuer: the old generation V8 grew for them is given
 * back once the process is idle (src/cli/memory-reducer.ts, started by the
 * serve command as by the proxy command), not held until V8's 100 s
 * watchdog or the next major collection. In eight trial runs: 18.4–19.9 MB
 * before, 26.9–28.7 with the connections, 15.9–16.7 about 9 s after they
 * closed; without the serve command's call 29.2 and 29.7 MB 20 s after.
 * 1,000 connections grew it by as little as 1.8 MB.
 */
import { test } from "node:test";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { connect, type TLSSocket } from "node:tls";
import { assertOldGenerationGivenBack, oldGenerationMb } from "../tools/old-generation.ts";
import { freePort, serveWorkspace, writeServeConfig } from "./serve-child.ts";

const READY = /kubeward serve: proxy at (https:\S+)/;
const CONNECTIONS = 2000;

/** Opens `CONNECTIONS` TLS connections to the issuer (trusting `ca`), each with one keep-alive discovery request answered; resolves with them, open. */
async function openConnections(issuerUrl: string, ca: string): Promise<TLSSocket[]> {
  const { hostname, port } = new URL(issuerUrl);
  const sockets: TLSSocket[] = [];
  const answered: Promise<void>[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const socket = connect({ host: hostname, port: Number(port), ca });
    sockets.push(socket);
    answered.push(new Promise((resolve, reject) => {
      socket.once("secureConnect", () => socket.write(`GET /.well-known/openid-configuration HTTP/1.1\r\nhost: ${hostname}:${port}\r\n\r\n`));
      socket.once("data", (chunk: Buffer) => (chunk.toString("latin1").startsWith("HTTP/1.1 200") ? resolve() : reject(new Error(`discovery answered ${chunk.toString("latin1").split("\r\n")[0]}`))));
      socket.once("error", reject);
    }));
  }
  try {
    await Promise.all(answered);
  } catch (error) {
    for (const s of sockets) s.destroy();
    throw error;
  }
  return sockets;
}

test(`the old generation ${CONNECTIONS} issuer connections grew is given back within 20 s of their closing`, { timeout: 120_000 }, async (t) => {
  const { dir, upstream, start } = await serveWorkspace(t, "kubeward-serve-memory-");
  const metricsPort = await freePort();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  const { config, issuerUrl } = await writeServeConfig(dir, upstream, { metricsServingAddress: `127.0.0.1:${metricsPort}` });
  await start(["--config", config]).waitFor(READY);

  const before = await oldGenerationMb(metricsUrl);
  const sockets = await openConnections(issuerUrl, await readFile(join(dir, "state", "ca.crt"), "utf8"));
  for (const s of sockets) s.destroy();
  await assertOldGenerationGivenBack(metricsUrl, before, "connections", 20_000);
});
