/**
 * Shared set-up for the proxy integration tests: a recording upstream, a
 * stub authenticator, a proxy on 127.0.0.1:0 with a loopback PKI, captured
 * log lines, and an HTTP/1.1 client that sends raw header lists.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request, type RequestOptions } from "node:https";
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { once } from "node:events";
import type { UserInfo } from "../../src/auth/authenticator.ts";
import type { ProxyConfig } from "../../src/config/types.ts";
import type { ErrorCode } from "../../src/errors.ts";
import { createLogger } from "../../src/log/logger.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import type { Clock } from "../../src/clock.ts";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";
import { createProxyServer, type ProxyServer, type ProxyTuning } from "../../src/proxy/server.ts";
import { createStubAuthenticator, type StubAuthenticator } from "../tools/stub-authenticator.ts";
import { startRecordingUpstream, type RecordingUpstream } from "../tools/recording-upstream.ts";

export const ALICE: UserInfo = { username: "alice@example.com", uid: "u-1", groups: ["devs", "ops team"], extra: { "example.com/tenant": ["t1"] } };
export const DEFAULT_TOKENS: Record<string, UserInfo | ErrorCode> = {
  "alice-token": ALICE,
  "root-token": { username: "system:admin", groups: [], extra: {} },
  "masters-token": { username: "mallory", groups: ["system:masters"], extra: {} },
  "expired-token": "token_expired",
};

export interface Harness {
  readonly upstream: RecordingUpstream;
  readonly proxy: ProxyServer;
  readonly port: number;
  /** PEM of the CA that signed the proxy's serving certificate. */
  readonly caPem: string;
  /** The serving certificate and key files the proxy reads. */
  readonly certFiles: { readonly certFile: string; readonly keyFile: string };
  readonly metrics: Metrics;
  readonly authenticator: StubAuthenticator;
  readonly clock: Clock & { set(ms: number): void };
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  /** Text of every log line, for "never logged" assertions. */
  logText(): string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly config?: Partial<ProxyConfig>;
  readonly upstreamConfig?: Partial<ProxyConfig["upstream"]>;
  readonly tuning?: ProxyTuning;
  readonly tokens?: Record<string, UserInfo | ErrorCode>;
  /** Use this upstream instead of starting one. */
  readonly upstream?: RecordingUpstream;
}

/** Starts an upstream and a proxy in front of it. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const upstream = options.upstream ?? await startRecordingUpstream();
  const ca = await createCertificateAuthority("proxy-test-ca");
  const serving = await issueCertificate(ca, { commonName: "kubeward", hosts: ["127.0.0.1", "localhost"], usage: "server" });
  const dir = await mkdtemp(join(tmpdir(), "kubeward-proxy-"));
  await writeFile(join(dir, "tls.crt"), serving.certPem);
  await writeFile(join(dir, "tls.key"), serving.keyPem);
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", destination: { write: (s: string) => { lines.push(s); } } });
  const metrics = new Metrics();
  let now = 1_700_000_000_000;
  const clock = { now: () => now, set: (ms: number) => { now = ms; } };
  const authenticator = createStubAuthenticator(options.tokens ?? DEFAULT_TOKENS);
  const config: ProxyConfig = {
    oidc: [], listen: { host: "127.0.0.1", port: 0 },
    tlsCertFile: join(dir, "tls.crt"), tlsPrivateKeyFile: join(dir, "tls.key"),
    flushIntervalMs: 0, extraUserHeaders: {}, extraUserHeaderClientIp: false, allowReservedIdentities: false,
    shutdownGracePeriodMs: 2_000, maxHeaderSize: 16_384, logLevel: "debug",
    ...options.config,
    upstream: {
      server: upstream.url, caPem: upstream.ca.certPem, certPem: upstream.clientCert.certPem, keyPem: upstream.clientCert.keyPem,
      insecureSkipTlsVerify: false, ...options.upstreamConfig,
    },
  };
  const proxy = createProxyServer(config, { authenticator, logger, metrics, clock, ...(options.tuning ? { tuning: options.tuning } : {}) });
  const { port } = await proxy.listen();
  let closed = false;
  return {
    upstream, proxy, port, caPem: ca.certPem, metrics, authenticator, clock,
    certFiles: { certFile: config.tlsCertFile, keyFile: config.tlsPrivateKeyFile },
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    logText: () => lines.join(""),
    close: async () => {
      if (closed) return;
      closed = true;
      await proxy.close();
      if (!options.upstream) await upstream.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  json(): Record<string, unknown>;
}

/** Sends one HTTP/1.1 request through the proxy with a raw header list (duplicates and odd names kept). */
export function send(h: Harness, path: string, rawHeaders: string[] = [], init: { method?: string; body?: string; extra?: RequestOptions } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1", port: h.port, ca: h.caPem, method: init.method ?? "GET", path, agent: false,
      headers: ["Host", `127.0.0.1:${h.port}`, ...rawHeaders], ...init.extra,
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { text += c; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

/** Opens a watch through the proxy over HTTP/1.1 as alice and resolves with its response once the first event arrived. */
export async function openWatch(h: Harness, path: string): Promise<IncomingMessage> {
  const req = request({ host: "127.0.0.1", port: h.port, ca: h.caPem, path, agent: false, headers: { authorization: "Bearer alice-token" } });
  req.on("error", () => {});
  req.end();
  const [res] = await once(req, "response") as [IncomingMessage];
  res.on("error", () => {});
  await once(res, "data");
  return res;
}

/** The exact 401 body kube-apiserver sends. */
export const UNAUTHORIZED = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 };

/** kubeward_authentication_attempts_total for one result and reason. */
export async function authAttempts(metrics: Metrics, result: "success" | "failure", reason: string): Promise<number> {
  const { values } = await metrics.authentications.get();
  return values.find((v) => v.labels["result"] === result && v.labels["reason"] === reason)?.value ?? 0;
}
