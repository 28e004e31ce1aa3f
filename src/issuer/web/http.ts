/** Small HTTP helpers of the login pages: reading a form body, sending a page or a redirect. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Html } from "./html.ts";

/** The largest login form accepted; an upstream's posted answer (a signed SAML response) gets more room. */
export const FORM_LIMIT = 16 * 1024;
export const CALLBACK_FORM_LIMIT = 512 * 1024;

/** Reads an `application/x-www-form-urlencoded` body; undefined when it is another type or larger than `limit`. */
export async function readForm(req: IncomingMessage, limit = FORM_LIMIT): Promise<URLSearchParams | undefined> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** Headers every login page is sent with. */
export function pageHeaders(csp: string): Record<string, string> {
  return {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": csp,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
  };
}

/** Sends a login page. */
export function sendPage(res: ServerResponse, status: number, csp: string, body: Html): void {
  const text = body.toString();
  res.writeHead(status, { ...pageHeaders(csp), "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Redirects with 303, so the browser follows with a GET. */
export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, "cache-control": "no-store", "content-length": 0 });
  res.end();
}
