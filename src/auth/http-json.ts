/**
 * The HTTP calls the authenticator makes: GET a JSON document (discovery,
 * JWKS) or a text one (a distributed-claims JWT) from the issuer over TLS
 * that trusts the configured CA bundle (system roots when none), with a
 * timeout, a size cap and up to 10 redirects, as Go's HTTP client follows
 * them for kube-apiserver. Built on node:https rather than undici's fetch:
 * fetch loaded undici's whole index at start and compiled its WebAssembly
 * HTTP parser for the first discovery request (about 10 MB of the proxy's
 * resident memory at start, measured).
 */
import { Agent, request as httpsRequest } from "node:https";
import type { IncomingMessage } from "node:http";
import { request as httpRequest } from "../node-http.ts";

/** Fetches and parses a JSON document; rejects on transport errors, non-2xx, oversize or bad JSON. */
export type JsonGetter = (url: string, signal: AbortSignal) => Promise<unknown>;

/** Fetches a document as text, presenting `bearer` when given; rejects on transport errors, non-2xx or oversize. */
export type TextGetter = (url: string, signal: AbortSignal, bearer?: string) => Promise<string>;

/** Largest discovery or JWKS document accepted. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;
/** kube-apiserver's issuer client times out after 30 s; keys are needed sooner than that. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Go's HTTP client stops after 10 redirects. */
const MAX_REDIRECTS = 10;

/** A keep-alive agent that trusts `caPem` when given (system roots otherwise). */
export function createIssuerAgent(caPem: string | undefined): Agent {
  return new Agent({ keepAlive: true, ...(caPem !== undefined ? { ca: caPem } : {}) });
}

function readCapped(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > MAX_DOCUMENT_BYTES) {
        res.destroy();
        reject(new Error(`document is larger than ${MAX_DOCUMENT_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    res.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.once("error", reject);
  });
}

/**
 * One GET. Sent once more when it went out on a kept-alive connection that
 * broke before any answer: the issuer (or a load balancer before it) may
 * close an idle connection just as the next periodic key fetch leaves on
 * it, and Go's HTTP client, kube-apiserver's, sends such a request again.
 */
function get(agent: Agent, url: URL, signal: AbortSignal, headers: Record<string, string>, mayRetry = true): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const options = { method: "GET", headers, signal };
    const req = url.protocol === "https:" ? httpsRequest(url, { ...options, agent }) : httpRequest(url, options);
    let answered = false;
    req.once("response", (res) => {
      answered = true;
      resolve(res);
    });
    req.once("error", (err: NodeJS.ErrnoException) => {
      if (mayRetry && !answered && req.reusedSocket && STALE_CONNECTION.has(err.code ?? "") && !signal.aborted) resolve(get(agent, url, signal, headers, false));
      else reject(err);
    });
    req.end();
  });
}

/** How a request fails on a kept-alive connection the other side has closed. */
const STALE_CONNECTION: ReadonlySet<string> = new Set(["ECONNRESET", "EPIPE"]);

async function getText(agent: Agent, url: string, signal: AbortSignal, headers: Record<string, string>): Promise<string> {
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]);
  let target = new URL(url);
  let sent = headers;
  for (let redirects = 0; ; redirects++) {
    if (target.protocol !== "https:" && target.protocol !== "http:") throw new Error(`GET ${url}: unsupported URL scheme ${target.protocol}`);
    const res = await get(agent, target, deadline, sent);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location !== undefined) {
      res.resume();
      if (redirects === MAX_REDIRECTS) throw new Error(`GET ${url}: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, target);
      if (target.protocol === "https:" && next.protocol !== "https:") throw new Error(`GET ${url}: refused a redirect from https to ${next.protocol}`);
      // Credentials never follow a redirect to another origin.
      if (next.origin !== target.origin) sent = Object.fromEntries(Object.entries(sent).filter(([k]) => k !== "authorization"));
      target = next;
      continue;
    }
    if (status < 200 || status > 299) {
      res.resume();
      throw new Error(`GET ${url}: HTTP ${status}`);
    }
    return readCapped(res);
  }
}

/** Builds a {@link JsonGetter} that uses `agent`. */
export function createJsonGetter(agent: Agent): JsonGetter {
  return async (url, signal) => {
    const text = await getText(agent, url, signal, { accept: "application/json" });
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`GET ${url}: response is not JSON`);
    }
  };
}

/** Builds a {@link TextGetter} that uses `agent`. */
export function createTextGetter(agent: Agent): TextGetter {
  return (url, signal, bearer) => getText(agent, url, signal, bearer === undefined ? {} : { authorization: `Bearer ${bearer}` });
}
