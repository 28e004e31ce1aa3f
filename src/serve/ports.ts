/** Picks listen ports: the one asked for, or, when the user did not choose it and it is taken, a free one. */
import { createServer } from "node:net";
import type { ListenAddress } from "../config/types.ts";

function tryListen(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (e: NodeJS.ErrnoException) => (e.code === "EADDRINUSE" ? resolve(undefined) : reject(e)));
    server.listen({ host, port, exclusive: true }, () => {
      const bound = server.address();
      server.close(() => resolve(typeof bound === "object" && bound !== null ? bound.port : port));
    });
  });
}

/**
 * The port to listen on: `at.port` when free or not `movable`, else one the
 * system picks. The listener itself binds later, so a busy fixed port is
 * reported by the server that needs it.
 */
export async function pickPort(at: ListenAddress, movable: boolean): Promise<number> {
  if (!movable) return at.port;
  return (await tryListen(at.host, at.port)) ?? (await tryListen(at.host, 0)) ?? at.port;
}
