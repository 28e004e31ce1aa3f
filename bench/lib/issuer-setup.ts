/**
 * The issuer benchmark's shared setup: the client and user both issuers
 * know, kubeward's issuer and Dex started as processes with equivalent
 * config, and the code flow driven programmatically to pre-create codes.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { stringify } from "yaml";
import { binaries, requireBinaries } from "../../test/fixtures/cluster/binaries.ts";
import { fetchTrusting } from "../../test/integration/issuer-harness.ts";
import { formDriver, loginWithPassword } from "../../test/integration/issuer-browserless.ts";
import { REPO, NODE, freePort, waitFor, type BenchEnv } from "./env.ts";
import { shebangFlags } from "../../test/tools/kubeward-bin.ts";

export const BENCH_CLIENT = { id: "bench", secret: "bench-secret", redirectURI: "http://127.0.0.1:8000/callback" } as const;
export const BENCH_USER = { username: "jane", password: "bench-password", email: "jane@example.com" } as const;
/** Users for parallel refresh chains: Dex keeps one refresh token per user and client. */
export const SESSION_USERS = 16;
/** Password of every session user; for Dex its bcrypt hash from Dex's own config.dev.yaml. */
export const SESSION_PASSWORD = "password";
const SESSION_PASSWORD_HASH = "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W";
export const sessionEmail = (k: number) => `user${k}@example.com`;

/** The file in an issuer's state directory naming its client and users, so its process loads none of the bench's code. */
export const FIXTURES_FILE = "bench-fixtures.json";

/** What bench/servers/kubeward-issuer.ts reads from {@link FIXTURES_FILE}. */
export interface IssuerFixtures {
  readonly client: typeof BENCH_CLIENT;
  readonly users: ReadonlyArray<{ username: string; password: string; email: string; userID?: string; groups?: string[] }>;
}

function issuerFixtures(): IssuerFixtures {
  return {
    client: BENCH_CLIENT,
    users: [
      { username: BENCH_USER.username, password: BENCH_USER.password, email: BENCH_USER.email, groups: ["bench"] },
      ...Array.from({ length: SESSION_USERS }, (_, k) => ({ username: sessionEmail(k), password: SESSION_PASSWORD, email: sessionEmail(k), userID: `bench-user-${k}` })),
    ],
  };
}

/** A running issuer: its URL, its process, and how to get a fresh authorization code from it. */
export interface BenchIssuer {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly fetch: typeof globalThis.fetch;
  /** Runs one code flow (login included) and returns the code. */
  code(): Promise<string>;
  /** A code for session user `k` (0 ≤ k < SESSION_USERS). */
  sessionCode(k: number): Promise<string>;
}

function authorizeUrl(issuerUrl: string, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({
    client_id: BENCH_CLIENT.id, redirect_uri: BENCH_CLIENT.redirectURI, response_type: "code",
    scope: "openid email groups offline_access", state: "bench-state-0123456789", nonce: "bench-nonce-0123456789", ...extra,
  });
  return `${issuerUrl}/auth?${q.toString()}`;
}

function codeFrom(landing: { redirectedTo?: URL; status: number; url: string }): string {
  const code = landing.redirectedTo?.searchParams.get("code");
  if (code === null || code === undefined) throw new Error(`no code: ended at ${landing.status} ${landing.url} -> ${landing.redirectedTo?.href ?? "nothing"}`);
  return code;
}

async function discovered(url: string, fetch: typeof globalThis.fetch): Promise<boolean> {
  const res = await fetch(`${url}/.well-known/openid-configuration`);
  await res.arrayBuffer();
  return res.status === 200;
}

/** Node flags writing a V8 CPU profile of the issuer into bench/results/ when KUBEWARD_BENCH_ISSUER_PROF=1. */
function profileFlags(storage: string): string[] {
  if (process.env.KUBEWARD_BENCH_ISSUER_PROF !== "1") return [];
  return ["--cpu-prof", `--cpu-prof-dir=${join(REPO, "bench", "results")}`, `--cpu-prof-name=issuer-${storage}-${Date.now()}.cpuprofile`];
}

/** A kubeward checkout to run the issuer from: this one, or an older one for before/after rows. */
export interface IssuerBuild {
  /** "kubeward" or "kubeward@baseline". */
  readonly name: string;
  readonly root: string;
}

export const THIS_BUILD: IssuerBuild = { name: "kubeward", root: REPO };

/** Once per checkout: a second build would delete chunks a running issuer may still import. */
const bundled = new Map<string, Promise<string>>();

/**
 * bench/servers/kubeward-issuer.ts of `build`, bundled as that checkout's
 * dist/ is, by its own scripts/build.ts (so the issuer runs as users'
 * kubeward does, not from TypeScript sources, and a change to the build is
 * measured too), into node_modules/.cache of `build`.
 */
function bundledIssuerScript(build: IssuerBuild): Promise<string> {
  let script = bundled.get(build.root);
  if (script === undefined) {
    const outdir = join(build.root, "node_modules", ".cache", "kubeward-bench-issuer");
    const buildScript = pathToFileURL(join(build.root, "scripts", "build.ts")).href;
    script = (import(buildScript) as Promise<typeof import("../../scripts/build.ts")>)
      .then(({ bundle }) => bundle(build.root, "bench/servers/kubeward-issuer.ts", outdir))
      .then(() => join(outdir, "kubeward-issuer.js"));
    bundled.set(build.root, script);
  }
  return script;
}


/** Starts kubeward's issuer (bench/servers/kubeward-issuer.ts of `build`, bundled, with the CLI's Node flags) with `storage`. */
export async function startKubewardIssuer(env: BenchEnv, storage: "memory" | "sqlite", build: IssuerBuild = THIS_BUILD): Promise<BenchIssuer> {
  const port = await freePort();
  const name = `${build.name} (${storage})`;
  const script = await bundledIssuerScript(build);
  const stateDir = mkdtempSync(join(env.dir, "issuer-"));
  writeFileSync(join(stateDir, FIXTURES_FILE), JSON.stringify(issuerFixtures()), { mode: 0o600 });
  const child = env.spawn(name.replace(/[^\w@-]+/g, "-"), NODE, [...shebangFlags(join(build.root, "src", "cli", "main.ts")), ...profileFlags(storage), script, String(port), env.certFile, env.keyFile, storage, stateDir]);
  const url = `https://127.0.0.1:${port}`;
  const fetch = fetchTrusting(env.caPem);
  await waitFor(name, () => discovered(url, fetch), 30_000, child);
  return {
    name, url, pid: child.pid, fetch,
    code: async () => codeFrom(await loginWithPassword(formDriver(fetch, url), authorizeUrl(url), BENCH_USER.username, BENCH_USER.password)),
    sessionCode: async (k) => codeFrom(await loginWithPassword(formDriver(fetch, url), authorizeUrl(url), sessionEmail(k), SESSION_PASSWORD)),
  };
}

/**
 * Starts Dex over HTTPS with the same client, memory storage and approval
 * skipped: the mockCallback connector for bulk codes (no login form), the
 * password DB for the session users.
 */
export async function startDex(env: BenchEnv): Promise<BenchIssuer> {
  const bin = binaries().dex;
  requireBinaries([[bin, "dex"]]);
  const port = await freePort();
  const url = `https://127.0.0.1:${port}/dex`;
  const config = env.file("dex.yaml", stringify({
    issuer: url, storage: { type: "memory" }, logger: { level: "info" },
    web: { https: `127.0.0.1:${port}`, tlsCert: env.certFile, tlsKey: env.keyFile },
    oauth2: { skipApprovalScreen: true, responseTypes: ["code"] },
    connectors: [{ type: "mockCallback", id: "mock", name: "Bench users" }],
    enablePasswordDB: true,
    staticPasswords: Array.from({ length: SESSION_USERS }, (_, k) => ({ email: sessionEmail(k), hash: SESSION_PASSWORD_HASH, username: `user${k}`, userID: `bench-user-${k}` })),
    staticClients: [{ id: BENCH_CLIENT.id, secret: BENCH_CLIENT.secret, name: "Bench", redirectURIs: [BENCH_CLIENT.redirectURI] }],
  }));
  const child = env.spawn("dex", bin, ["serve", config]);
  const fetch = fetchTrusting(env.caPem);
  await waitFor("dex", () => discovered(url, fetch), 30_000, child);
  return {
    name: "dex", url, pid: child.pid, fetch,
    code: async () => codeFrom(await formDriver(fetch, url).get(authorizeUrl(url, { connector_id: "mock" }))),
    sessionCode: async (k) => codeFrom(await loginWithPassword(formDriver(fetch, url), authorizeUrl(url, { connector_id: "local" }), sessionEmail(k), SESSION_PASSWORD)),
  };
}

/** The issuer's JWKS URL, from its discovery document. */
export async function jwksUri(issuer: BenchIssuer): Promise<string> {
  const res = await issuer.fetch(`${issuer.url}/.well-known/openid-configuration`);
  return ((await res.json()) as { jwks_uri: string }).jwks_uri;
}

/** Most code flows that may fail before {@link codes} gives up: a rare failure of the peer's login must not cost the suite. */
const MAX_FAILED_FLOWS = 10;

/**
 * Up to `count` fresh codes, `parallel` flows at a time, made within
 * `withinMs` (codes expire: kubeward's after 60 s). A flow that fails is
 * skipped and its error kept (the row's note reports them); more than
 * {@link MAX_FAILED_FLOWS} failures end it.
 */
export async function codes(issuer: BenchIssuer, count: number, withinMs: number, parallel = 8): Promise<{ codes: string[]; failed: string[] }> {
  const out: string[] = [];
  const failed: string[] = [];
  const deadline = Date.now() + withinMs;
  const worker = async () => {
    while (out.length < count && Date.now() < deadline) {
      try {
        out.push(await issuer.code());
      } catch (error) {
        failed.push((error as Error).message);
        if (failed.length > MAX_FAILED_FLOWS) throw new Error(`${issuer.name}: ${failed.length} code flows failed, the first: ${failed[0]}`);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { codes: out.slice(0, count), failed };
}

/** Exchanges each code and returns the refresh tokens. */
export async function refreshTokens(issuer: BenchIssuer, codeList: readonly string[], parallel = 8): Promise<string[]> {
  const out: string[] = [];
  const queue = [...codeList];
  const worker = async () => {
    for (let code = queue.pop(); code !== undefined; code = queue.pop()) {
      const res = await issuer.fetch(`${issuer.url}/token`, { method: "POST", headers: tokenHeaders(), body: codeBody(code) });
      const body = (await res.json()) as { refresh_token?: string };
      if (body.refresh_token === undefined) throw new Error(`${issuer.name}: no refresh token (${res.status} ${JSON.stringify(body)})`);
      out.push(body.refresh_token);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

/** Headers of a token request from the bench client (HTTP Basic). */
export function tokenHeaders(): Record<string, string> {
  return { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth() };
}

export function basicAuth(): string {
  return `Basic ${Buffer.from(`${BENCH_CLIENT.id}:${BENCH_CLIENT.secret}`).toString("base64")}`;
}

export function codeBody(code: string): string {
  return new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: BENCH_CLIENT.redirectURI }).toString();
}

export function refreshBody(token: string): string {
  return new URLSearchParams({ grant_type: "refresh_token", refresh_token: token }).toString();
}

