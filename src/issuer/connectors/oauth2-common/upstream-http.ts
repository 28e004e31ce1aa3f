/**
 * HTTP to an OAuth2 upstream's APIs: a fetch trusting the configured CAs, a
 * timeout on every request, `Link` pagination, and the one place an HTTP
 * failure becomes a kubeward error code.
 */
import { Agent, fetch as undiciFetch } from "undici";
import { KubewardError, isKubewardError } from "../../../errors.ts";

/** Milliseconds before an upstream request is abandoned. */
const UPSTREAM_TIMEOUT_MS = 10_000;

/** An HTTP client for one upstream. */
export interface UpstreamHttp {
  readonly fetch: typeof globalThis.fetch;
  close(): Promise<void>;
}

/** How to trust the upstream's TLS: extra CAs (PEM) and, for development only, no verification. */
export interface UpstreamTls {
  readonly caPem?: string | undefined;
  readonly insecureSkipVerify?: boolean | undefined;
}

/** Uses `fallback` (the deps' fetch) unless the TLS settings need an agent of their own. */
export function upstreamHttp(tls: UpstreamTls, fallback: typeof globalThis.fetch): UpstreamHttp {
  if (tls.caPem === undefined && tls.insecureSkipVerify !== true) return { fetch: fallback, close: () => Promise.resolve() };
  const connect = tls.insecureSkipVerify === true ? { rejectUnauthorized: false } : { ca: tls.caPem };
  const agent = new Agent({ connect });
  const viaAgent = (url: string | URL | Request, init?: RequestInit) =>
    undiciFetch(url as string, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>;
  return { fetch: viaAgent as typeof globalThis.fetch, close: () => agent.close() };
}

/** `connector_unavailable` for a request that got no answer (refused, reset, timed out, bad TLS). */
function unreachable(provider: string, url: string, e: unknown): KubewardError {
  const cause = (e as { cause?: unknown }).cause;
  const why = cause instanceof Error ? `${(e as Error).message} (${cause.message})` : String((e as Error).message ?? e);
  return new KubewardError("connector_unavailable", `${provider}: ${new URL(url).origin}${new URL(url).pathname}: ${why}`, { cause: e });
}

/** Sends a request with a timeout; a request that gets no answer becomes `connector_unavailable`. */
export async function send(http: UpstreamHttp, provider: string, url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await http.fetch(url, { ...init, signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
  } catch (e) {
    throw isKubewardError(e) ? e : unreachable(provider, url, e);
  }
}

/** A rate limit: HTTP 429, or GitHub's 403 with no requests left. */
function rateLimited(res: Response): boolean {
  return res.status === 429 || (res.status === 403 && res.headers.get("x-ratelimit-remaining") === "0");
}

/**
 * The error for an API answer that is not a success: 5xx and rate limits
 * mean the upstream is not usable now; 401 and 403 mean it no longer lets
 * this user (or this token) in; anything else is an answer kubeward cannot use.
 */
export async function statusError(provider: string, what: string, res: Response): Promise<KubewardError> {
  const body = (await res.text().catch(() => "")).slice(0, 200);
  const detail = `${provider}: ${what} answered HTTP ${res.status}: ${body}`;
  if (res.status >= 500 || rateLimited(res)) return new KubewardError("connector_unavailable", detail);
  if (res.status === 401 || res.status === 403) return new KubewardError("connector_refused", detail);
  return new KubewardError("connector_unavailable", detail);
}

/** A JSON API response: its body and its `Link` next page, if any. */
export interface ApiPage<T> {
  readonly body: T;
  readonly next: string | undefined;
}

/** GETs `url` with the bearer token and reads JSON; any failure is a KubewardError. */
export async function getJSON<T>(http: UpstreamHttp, provider: string, url: string, token: string, headers: Record<string, string> = {}): Promise<ApiPage<T>> {
  const res = await send(http, provider, url, { headers: { accept: "application/json", ...headers, authorization: `Bearer ${token}` } });
  const what = `GET ${new URL(url).pathname}`;
  if (!res.ok) throw await statusError(provider, what, res);
  try {
    return { body: (await res.json()) as T, next: nextLink(res.headers.get("link")) };
  } catch (e) {
    throw new KubewardError("connector_unavailable", `${provider}: ${what} answered with a body that is not JSON`, { cause: e });
  }
}

/** The `rel="next"` URL of an RFC 8288 `Link` header (GitHub and GitLab pagination). */
export function nextLink(header: string | null): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(",")) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match !== null && /(^|;)\s*rel="?([^"]*\s)?next(\s[^"]*)?"?\s*(;|$)/.test(match[2] ?? "")) return match[1];
  }
  return undefined;
}

/** Every item of a `Link`-paginated list, following `next` until there is none (at most `maxPages`). */
export async function getAllPages<T>(http: UpstreamHttp, provider: string, url: string, token: string, headers: Record<string, string> = {}, maxPages = 100): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined = url;
  for (let page = 0; next !== undefined; page++) {
    if (page === maxPages) throw new KubewardError("connector_unavailable", `${provider}: more than ${maxPages} pages at ${new URL(url).pathname}`);
    const answer: ApiPage<T[]> = await getJSON<T[]>(http, provider, next, token, headers);
    if (!Array.isArray(answer.body)) throw new KubewardError("connector_unavailable", `${provider}: ${new URL(url).pathname} did not answer a list`);
    items.push(...answer.body);
    next = answer.next;
  }
  return items;
}
