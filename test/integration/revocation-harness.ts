/**
 * Set-up for the revocation integration tests: a recording upstream, a proxy
 * with a RevocationGuard over a given storage, the RevocationService that
 * writes to it, captured log lines, and a token table whose tokens carry iat.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:https";
import type { Authentication, TokenAuthenticator, UserInfo } from "../../src/auth/authenticator.ts";
import { systemClock, type Clock } from "../../src/clock.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import { KubewardError } from "../../src/errors.ts";
import type { Storage } from "../../src/issuer/storage/storage.ts";
import { createLogger } from "../../src/log/logger.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";
import { createProxyServer, type ProxyServer } from "../../src/proxy/server.ts";
import { RevocationGuard, type GuardOptions } from "../../src/revocation/guard.ts";
import { RevocationService } from "../../src/revocation/service.ts";
import { startRecordingUpstream, type RecordingUpstream } from "../tools/recording-upstream.ts";

/** A token the stub authenticator accepts: its identity and `iat` (ms). */
export interface TokenEntry { readonly user: UserInfo; readonly issuedAt?: number }

export interface RevocationHarness {
  readonly upstream: RecordingUpstream;
  readonly proxy: ProxyServer;
  readonly port: number;
  readonly caPem: string;
  readonly guard: RevocationGuard;
  readonly service: RevocationService;
  readonly metrics: Metrics;
  readonly tokens: Map<string, TokenEntry>;
  logs(): Record<string, unknown>[];
  close(): Promise<void>;
}

export interface RevocationHarnessOptions {
  readonly storage: Storage;
  readonly guard?: Partial<GuardOptions>;
  readonly clock?: Clock;
  readonly authenticator?: TokenAuthenticator;
  readonly upstream?: RecordingUpstream;
}

/** Accepts the tokens in `tokens` (changes to the map apply at once). */
export function tableAuthenticator(tokens: Map<string, TokenEntry>): TokenAuthenticator {
  return {
    ready: () => true, start: async () => {}, close: () => {},
    authenticate: async (token): Promise<Authentication> => {
      const entry = tokens.get(token);
      if (entry === undefined) throw new KubewardError("token_signature_invalid", "unknown test token");
      return { user: entry.user, expiresAt: Date.now() + 3_600_000, issuer: "https://issuer.test", ...(entry.issuedAt === undefined ? {} : { issuedAt: entry.issuedAt }) };
    },
  };
}

/** Starts an upstream (unless given), a guard following `storage`, and a proxy using both. */
export async function startRevocationHarness(options: RevocationHarnessOptions): Promise<RevocationHarness> {
  const upstream = options.upstream ?? await startRecordingUpstream();
  const ca = await createCertificateAuthority("revocation-test-ca");
  const serving = await issueCertificate(ca, { commonName: "kubeward", hosts: ["127.0.0.1"], usage: "server" });
  const dir = await mkdtemp(join(tmpdir(), "kubeward-revocation-"));
  await writeFile(join(dir, "tls.crt"), serving.certPem);
  await writeFile(join(dir, "tls.key"), serving.keyPem);
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", destination: { write: (s: string) => { lines.push(s); } } });
  const metrics = new Metrics();
  const clock = options.clock ?? systemClock;
  const tokens = new Map<string, TokenEntry>();
  const guard = new RevocationGuard({ store: options.storage, clock, logger, metrics, pollIntervalMs: 100, ...options.guard });
  await guard.start();
  const service = new RevocationService({ store: options.storage, clock, logger, onChange: () => guard.sync.refresh() });
  const config: ProxyConfig = {
    oidc: [], listen: { host: "127.0.0.1", port: 0 }, tlsCertFile: join(dir, "tls.crt"), tlsPrivateKeyFile: join(dir, "tls.key"),
    flushIntervalMs: 0, extraUserHeaders: {}, extraUserHeaderClientIp: false, allowReservedIdentities: false,
    shutdownGracePeriodMs: 1_000, maxHeaderSize: 16_384, logLevel: "debug",
    upstream: { server: upstream.url, caPem: upstream.ca.certPem, certPem: upstream.clientCert.certPem, keyPem: upstream.clientCert.keyPem, insecureSkipTlsVerify: false },
  };
  const authenticator = options.authenticator ?? tableAuthenticator(tokens);
  const proxy = createProxyServer(config, { authenticator, logger, metrics, clock, revocation: guard });
  const { port } = await proxy.listen();
  return {
    upstream, proxy, port, caPem: ca.certPem, guard, service, metrics, tokens,
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    close: async () => {
      guard.stop();
      await proxy.close();
      if (options.upstream === undefined) await upstream.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** GETs `path` through the proxy with `token`; resolves with the status and body. */
export function get(h: RevocationHarness, path: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: h.port, ca: h.caPem, path, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { body += c; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Polls `check` every 50 ms until it is true or `ms` pass; resolves with the elapsed time. */
export async function within(ms: number, check: () => boolean | Promise<boolean>, what: string): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}
