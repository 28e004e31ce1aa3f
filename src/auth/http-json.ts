/**
 * The HTTP calls the authenticator makes: GET a JSON document (discovery,
 * JWKS) or a text one (a distributed-claims JWT) from the issuer over TLS
 * that trusts the configured CA bundle (system roots when none), with a
 * timeout and a size cap.
 */
import { Agent, fetch } from "undici";

/** Fetches and parses a JSON document; rejects on transport errors, non-2xx, oversize or bad JSON. */
export type JsonGetter = (url: string, signal: AbortSignal) => Promise<unknown>;

/** Fetches a document as text, presenting `bearer` when given; rejects on transport errors, non-2xx or oversize. */
export type TextGetter = (url: string, signal: AbortSignal, bearer?: string) => Promise<string>;

/** Largest discovery or JWKS document accepted. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;
/** kube-apiserver's issuer client times out after 30 s; keys are needed sooner than that. */
const REQUEST_TIMEOUT_MS = 10_000;

/** An undici dispatcher that trusts `caPem` when given (undefined means the default, system roots). */
export function createIssuerAgent(caPem: string | undefined): Agent | undefined {
  return caPem === undefined ? undefined : new Agent({ connect: { ca: caPem } });
}

async function readCapped(body: AsyncIterable<Uint8Array> | null): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body ?? []) {
    size += chunk.byteLength;
    if (size > MAX_DOCUMENT_BYTES) throw new Error(`document is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function getText(agent: Agent | undefined, url: string, signal: AbortSignal, headers: Record<string, string>): Promise<string> {
  const res = await fetch(url, {
    headers,
    signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
    ...(agent ? { dispatcher: agent } : {}),
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`GET ${url}: HTTP ${res.status}`);
  }
  return readCapped(res.body);
}

/** Builds a {@link JsonGetter} that uses `agent` (or undici's global dispatcher). */
export function createJsonGetter(agent: Agent | undefined): JsonGetter {
  return async (url, signal) => {
    const text = await getText(agent, url, signal, { accept: "application/json" });
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`GET ${url}: response is not JSON`);
    }
  };
}

/** Builds a {@link TextGetter} that uses `agent` (or undici's global dispatcher). */
export function createTextGetter(agent: Agent | undefined): TextGetter {
  return (url, signal, bearer) => getText(agent, url, signal, bearer === undefined ? {} : { authorization: `Bearer ${bearer}` });
}
