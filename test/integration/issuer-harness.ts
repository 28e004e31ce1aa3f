/**
 * A real kubeward issuer for tests: HTTPS on 127.0.0.1 with a CA from
 * src/pki, memory (or given) storage, a fake password connector, a few
 * clients, an openid-client relying party, and a cookie-keeping form driver
 * that logs in through the real login pages without a browser.
 */
import { createServer, type Server } from "node:https";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Agent, fetch as undiciFetch } from "undici";
import * as client from "openid-client";
import { Registry } from "prom-client";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";
import { systemClock, type Clock } from "../../src/clock.ts";
import { createLogger } from "../../src/log/logger.ts";
import { createIssuer, type Issuer } from "../../src/issuer/issuer.ts";
import type { RevocationPolicy } from "../../src/revocation/policy.ts";
import type { IssuerClientConfig, IssuerConfig } from "../../src/issuer/config.ts";
import type { Connector } from "../../src/issuer/connectors/connector.ts";
import { openStorage } from "../../src/issuer/storage/registry.ts";
import type { Storage } from "../../src/issuer/storage/storage.ts";
import { fakePasswordConnector, type FakePasswordConnector } from "../tools/fake-connectors.ts";

/** The loopback redirect URI kubectl-style clients register. */
export const KUBECTL_REDIRECT = "http://127.0.0.1:8000/callback";
export const WEB_REDIRECT = "https://app.example.com/callback";

/** The clients every harness serves. */
export const DEFAULT_CLIENTS: IssuerClientConfig[] = [
  { id: "kubectl", name: "kubectl", redirectURIs: [KUBECTL_REDIRECT], skipApproval: true },
  { id: "web", name: "Web console", secret: "web-secret", redirectURIs: [WEB_REDIRECT], trustedPeers: ["kubectl"] },
  { id: "robot", name: "Automation", secret: "robot-secret", redirectURIs: [], clientCredentials: true },
  { id: "pw", name: "Password CLI", secret: "pw-secret", redirectURIs: [], passwordGrant: true },
];

export interface HarnessOptions {
  readonly config?: Partial<IssuerConfig>;
  readonly storage?: Storage;
  readonly clock?: Clock;
  readonly extraConnectors?: readonly Connector[];
  /** A path after the origin in the issuer URL, e.g. "/dex". */
  readonly issuerPath?: string;
  /** Passed to the issuer as its revocation hook. */
  readonly revocation?: RevocationPolicy;
}

export interface Harness {
  readonly url: string;
  readonly caPem: string;
  readonly issuer: Issuer;
  readonly storage: Storage;
  readonly users: FakePasswordConnector;
  readonly registry: Registry;
  /** fetch trusting the harness CA, returning standard Responses. */
  readonly fetch: typeof globalThis.fetch;
  /** An openid-client configuration for `clientId`. */
  rp(clientId: string, secret?: string): Promise<client.Configuration>;
  close(): Promise<void>;
}

/** A fetch trusting `caPem` whose answers are the global Response class (openid-client checks it). */
export function fetchTrusting(caPem: string): typeof globalThis.fetch {
  const agent = new Agent({ connect: { ca: caPem } });
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const req = input instanceof Request ? input : undefined;
    const url = req?.url ?? String(input);
    const body = init?.body ?? (req !== undefined && req.method !== "GET" ? await req.text() : undefined);
    const res = await undiciFetch(url, {
      method: init?.method ?? req?.method ?? "GET", headers: (init?.headers ?? req?.headers) as never,
      body: body as never, redirect: init?.redirect ?? "follow", dispatcher: agent,
    });
    const bytes = [101, 204, 205, 304].includes(res.status) ? null : await res.arrayBuffer();
    const out = new Response(bytes, { status: res.status, statusText: res.statusText, headers: res.headers as unknown as Headers });
    Object.defineProperty(out, "url", { value: res.url });
    return out;
  }) as typeof globalThis.fetch;
}

/** Starts an issuer with the default clients and user "jane" (password "correct horse", groups dev and ops). */
export async function startIssuerHarness(options: HarnessOptions = {}): Promise<Harness> {
  const ca = await createCertificateAuthority("issuer test CA");
  const leaf = await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1"], usage: "server" });
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, s) => void s.writeHead(503).end();
  const server: Server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (q, s) => handler(q, s));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  const url = `https://127.0.0.1:${port}${options.issuerPath ?? ""}`;
  const clock = options.clock ?? systemClock;
  const storage = options.storage ?? await openStorage({ type: "memory", config: {} }, { clock });
  const users = fakePasswordConnector("local", [
    { username: "jane", password: "correct horse", userID: "u-jane", email: "jane@example.com", groups: ["dev", "ops"] },
  ]);
  const connectors = new Map<string, Connector>([[users.id, users], ...(options.extraConnectors ?? []).map((c) => [c.id, c] as const)]);
  const registry = new Registry();
  let issuer: Issuer;
  try {
    issuer = createIssuer({ issuerURL: url, clients: DEFAULT_CLIENTS, passwordConnector: "local", ...options.config }, {
      storage, connectors, clock, logger: createLogger({ level: "silent" }), metrics: registry,
      ...(options.revocation === undefined ? {} : { revocation: options.revocation }),
    });
    await issuer.start();
  } catch (e) {
    server.close();
    if (options.storage === undefined) await storage.close();
    throw e;
  }
  handler = issuer.handler;
  const fetch = fetchTrusting(ca.certPem);
  return {
    url, caPem: ca.certPem, issuer, storage, users, registry, fetch,
    async rp(clientId, secret) {
      const auth = secret === undefined ? client.None() : client.ClientSecretBasic(secret);
      return client.discovery(new URL(url), clientId, secret === undefined ? undefined : { client_secret: secret }, auth, { [client.customFetch]: fetch as never });
    },
    async close() {
      await issuer.close();
      server.closeAllConnections();
      server.close();
      if (options.storage === undefined) await storage.close();
    },
  };
}

/** The system clock with an offset a test can push forward (storage expiry, key rotation, refresh windows). */
export interface SkewClock extends Clock {
  advance(ms: number): void;
}

/** A {@link SkewClock} starting at the real time. */
export function skewClock(): SkewClock {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

/** Builds a code+PKCE authorization URL for `rp`; returns it with the verifier, state and nonce. */
export async function authorizationRequest(rp: client.Configuration, redirectURI: string, scope: string, extra: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(rp, {
    redirect_uri: redirectURI, scope, state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", ...extra,
  });
  return { url, verifier, state, nonce };
}

/** POSTs a form to the token endpoint with HTTP Basic client authentication (or none); returns status and JSON. */
export async function tokenRequest(h: Harness, fields: Record<string, string>, clientId: string, secret?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  const form = new URLSearchParams(fields);
  if (secret === undefined) form.set("client_id", clientId);
  else headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`;
  const res = await h.fetch(`${h.url}/token`, { method: "POST", headers, body: form.toString() });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
