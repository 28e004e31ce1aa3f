/**
 * The discovery document and the JWKS served from memory: oidc-provider
 * rebuilds both on every request, yet they change only when the provider is
 * rebuilt (new keys), so each provider's first answer is kept and replayed,
 * with an ETag.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { OidcContext } from "oidc-provider";

/** The routes whose answers depend on nothing but the provider. */
const DOCUMENT_ROUTES = new Set(["discovery", "jwks"]);

interface Document {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

/** One provider's documents. */
export interface Documents {
  /** oidc-provider middleware keeping the first plain answer of each document route, by request URL. */
  capture(ctx: OidcContext, next: () => Promise<void>): Promise<void>;
  /** Answers `req` from memory and returns true when it is a plain GET of a kept document. */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
}

/**
 * A plain request: a GET without a query or an Origin. Requests with an
 * Origin still go to oidc-provider, which answers them with their own CORS headers.
 */
function isPlainGet(req: IncomingMessage): boolean {
  return req.method === "GET" && req.headers.origin === undefined && req.url !== undefined && !req.url.includes("?");
}

/** The URL the request arrived with, before the issuer's path prefix was stripped. */
function arrivalUrl(req: IncomingMessage): string | undefined {
  return (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url;
}

function documentOf(ctx: OidcContext): Document | undefined {
  if (ctx.status !== 200 || typeof ctx.body !== "object" || ctx.body === null) return undefined;
  const body = Buffer.from(JSON.stringify(ctx.body));
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  return { body, contentType: String(ctx.res.getHeader("content-type")), etag };
}

/**
 * Documents kept for one provider instance; make a new one whenever the provider is rebuilt.
 *
 * @example
 * const documents = createDocuments();
 * provider.use((ctx, next) => documents.capture(ctx, next));
 * if (!documents.serve(req, res)) callback(req, res);
 */
export function createDocuments(): Documents {
  const kept = new Map<string, Document>();
  return {
    async capture(ctx, next) {
      await next();
      const url = arrivalUrl(ctx.req);
      if (!DOCUMENT_ROUTES.has(String(ctx.oidc?.route)) || url === undefined || !isPlainGet(ctx.req) || kept.has(url)) return;
      const doc = documentOf(ctx);
      if (doc !== undefined) kept.set(url, doc);
    },
    serve(req, res) {
      const doc = isPlainGet(req) && req.url !== undefined ? kept.get(req.url) : undefined;
      if (doc === undefined) return false;
      const headers = { "access-control-allow-origin": "*", vary: "Origin", etag: doc.etag };
      if (req.headers["if-none-match"] === doc.etag) {
        res.writeHead(304, headers).end();
        return true;
      }
      res.writeHead(200, { ...headers, "content-type": doc.contentType, "content-length": doc.body.length }).end(doc.body);
      return true;
    },
  };
}
