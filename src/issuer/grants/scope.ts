/** Scope handling shared by kubeward's own grant types. */
import { BASE_SCOPES, audienceScopesFor } from "../provider/clients.ts";
import type { IssuerClientConfig } from "../config.ts";

/** The requested scopes this client may have, space-separated; `openid` when none was asked for. */
export function allowedScope(requested: unknown, clientId: string, clients: readonly IssuerClientConfig[]): string {
  const allowed = new Set<string>([...BASE_SCOPES, ...audienceScopesFor(clientId, clients)]);
  const asked = typeof requested === "string" && requested.trim() !== "" ? requested.trim().split(/\s+/) : ["openid"];
  return [...new Set(asked)].filter((s) => allowed.has(s)).join(" ");
}
