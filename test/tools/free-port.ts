/** A free TCP port on 127.0.0.1, for a child process that must be told its port before it listens. */
import { createServer } from "node:net";

/** Binds port 0 on 127.0.0.1, reads the port, and closes the socket again. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
