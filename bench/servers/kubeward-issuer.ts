/**
 * kubeward's embedded issuer alone, as its own process, for the issuer
 * benchmark: HTTPS on 127.0.0.1, memory or sqlite storage, `mock` connector
 * users (plain-text passwords) and one confidential client "bench" that skips approval,
 * both read from <state dir>/bench-fixtures.json (bench/lib/issuer-setup.ts writes it).
 * Usage: node kubeward-issuer.ts <port> <cert.pem> <key.pem> memory|sqlite <state dir>
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { join } from "node:path";
import { Registry } from "prom-client";
import { keepMemoryReducerWorking } from "../../src/cli/memory-reducer.ts";
import { systemClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log/logger.ts";
import { createIssuer } from "../../src/issuer/issuer.ts";
import { openConnector } from "../../src/issuer/connectors/registry.ts";
import { openStorage } from "../../src/issuer/storage/registry.ts";
import type { IssuerFixtures } from "../lib/issuer-setup.ts";

const [port, certFile, keyFile, storageType, dir] = process.argv.slice(2);
if (port === undefined || certFile === undefined || keyFile === undefined || dir === undefined) throw new Error("usage: kubeward-issuer.ts <port> <cert> <key> memory|sqlite <dir>");

// The client and users come as JSON, so this process loads none of the bench's own code and its RSS is the issuer's.
const fixtures = JSON.parse(readFileSync(join(dir, "bench-fixtures.json"), "utf8")) as IssuerFixtures;
const clock = systemClock;
const logger = createLogger({ level: "info" });
const storage = await openStorage(storageType === "sqlite" ? { type: "sqlite", config: { file: join(dir, "issuer.db") } } : { type: "memory", config: {} }, { clock });
const mock = await openConnector({
  type: "mock", id: "mock", name: "Bench users",
  config: { users: fixtures.users },
}, { clock, logger, fetch: globalThis.fetch, passwords: storage }, { allowMock: true });
const issuer = createIssuer({
  issuerURL: `https://127.0.0.1:${port}`, allowMockConnector: true,
  clients: [{ id: fixtures.client.id, name: "Bench", secret: fixtures.client.secret, redirectURIs: [fixtures.client.redirectURI], skipApproval: true }],
}, { storage, connectors: new Map([[mock.id, mock]]), clock, logger, metrics: new Registry() });
await issuer.start();
const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, issuer.handler).listen(Number(port), "127.0.0.1", 1024);
// As `kubeward serve` does once it serves.
keepMemoryReducerWorking();
// Exit through process.exit so a --cpu-prof profile is written.
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close();
  void issuer.close().then(() => storage.close()).finally(() => process.exit(0));
});
