/**
 * An OAuth client's redirect endpoint on loopback for browser tests: answers
 * every request with a plain page and records the URL it was sent to.
 */
import { createServer } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";

export interface CallbackEndpoint {
  /** http://127.0.0.1:<port>/callback */
  readonly redirectURI: string;
  /** Every URL the endpoint has been sent to, in order. */
  readonly callbacks: readonly URL[];
  close(): Promise<void>;
}

export async function startCallbackEndpoint(): Promise<CallbackEndpoint> {
  const callbacks: URL[] = [];
  const server = createServer((req, res) => {
    callbacks.push(new URL(req.url ?? "/", redirectURI));
    res.writeHead(200, { "content-type": "text/plain" }).end("back at the client");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const redirectURI = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  return {
    redirectURI,
    callbacks,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
