/**
 * The admin API's routes: list what is in force, create a revocation,
 * create a block, lift either. JSON in and out.
 */
import type { IncomingMessage } from "node:http";
import { KubewardError } from "../errors.ts";
import type { RevocationService } from "../revocation/service.ts";

/** A route's answer. */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
}

/** The largest request body accepted. */
const MAX_BODY = 16_384;

/** Runs the route `req` names, as `actor`. */
export async function route(service: RevocationService, req: IncomingMessage, actor: string): Promise<Reply> {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const method = req.method ?? "GET";
  if (path === "/v1/revocations" && method === "GET") return { status: 200, body: await service.list() };
  if (path === "/v1/revocations" && method === "POST") {
    const body = await readJson(req);
    const kind = oneOf(body, "kind", ["user", "group", "all"] as const);
    const name = kind === "all" ? "" : text(body, "name");
    return { status: 201, body: await service.revoke({ kind, name, reason: reason(body), actor }) };
  }
  if (path === "/v1/blocks" && method === "POST") {
    const body = await readJson(req);
    const kind = oneOf(body, "kind", ["user", "group"] as const);
    const forSeconds = body["forSeconds"];
    if (forSeconds !== undefined && (typeof forSeconds !== "number" || !(forSeconds > 0))) throw invalid("forSeconds must be a positive number");
    const forMs = typeof forSeconds === "number" ? { forMs: forSeconds * 1000 } : {};
    return { status: 201, body: await service.block({ kind, name: text(body, "name"), reason: reason(body), actor, ...forMs }) };
  }
  const lift = /^\/v1\/revocations\/([A-Za-z0-9-]+)$/.exec(path);
  if (lift !== null && method === "DELETE") {
    await service.lift(lift[1] as string, actor);
    return { status: 204 };
  }
  throw new KubewardError("admin_not_found", `${method} ${path}`);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > MAX_BODY) throw invalid("body too large");
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below, like any body that is not an object.
  }
  throw invalid("the body must be a JSON object");
}

function oneOf<T extends string>(body: Record<string, unknown>, field: string, values: readonly T[]): T {
  const v = body[field];
  if (typeof v === "string" && (values as readonly string[]).includes(v)) return v as T;
  throw invalid(`${field} must be one of ${values.join(", ")}`);
}

function text(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== "string" || v.trim() === "") throw invalid(`${field} must be a non-empty string`);
  return v;
}

function reason(body: Record<string, unknown>): string {
  const v = body["reason"] ?? "";
  if (typeof v !== "string") throw invalid("reason must be a string");
  return v;
}

function invalid(detail: string): KubewardError {
  return new KubewardError("request_invalid", detail);
}
