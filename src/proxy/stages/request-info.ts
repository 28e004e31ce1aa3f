/**
 * Stage "request info": derives the Kubernetes verb, a bounded request class
 * and whether the request is long-running, the way kube-apiserver's
 * RequestInfoFactory and BasicLongRunningRequestCheck do.
 */
import type { RequestClass } from "../../metrics/metrics.ts";
import { KubewardError } from "../../errors.ts";

/** What the proxy needs to know about a request before forwarding it. */
export interface RequestInfo {
  /** Path without the query string (safe to log). */
  readonly path: string;
  readonly isResourceRequest: boolean;
  /**
   * get, list, watch, create, update, patch, delete, deletecollection, or
   * connect (exec/attach/portforward/proxy); the lowercase method for
   * non-resource URLs; "other" for unknown methods, so the label stays bounded.
   */
  readonly verb: string;
  readonly class: RequestClass;
  readonly longRunning: boolean;
  readonly namespace: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
}

const METHOD_VERBS: Readonly<Record<string, string>> = {
  POST: "create", GET: "get", HEAD: "get", PUT: "update", PATCH: "patch", DELETE: "delete",
};
const KNOWN_METHODS = new Set(["get", "head", "post", "put", "patch", "delete", "options"]);
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);
const CONNECT_SUBRESOURCES = new Set(["exec", "attach", "portforward", "proxy"]);
const CLASS_SUBRESOURCES = new Set<RequestClass>(["status", "scale", "log", "exec", "attach", "portforward", "proxy", "eviction", "binding"]);
const STREAMING_SUBRESOURCES = new Set(["exec", "attach", "portforward", "proxy"]);

/** Go's strconv.ParseBool truthy spellings, as ListOptions decoding uses them. */
function queryTrue(query: URLSearchParams, key: string): boolean {
  return ["1", "t", "T", "TRUE", "true", "True"].includes(query.get(key) ?? "");
}

/** Only origin-form targets (`/path?query`) can be forwarded; absolute-form and `*` cannot. */
export function checkTarget(target: string): void {
  if (!target.startsWith("/")) throw new KubewardError("request_invalid", "request target is not origin-form");
}

/** Derives the request info from the method, the request target and whether it is an upgrade. */
export function requestInfo(method: string, target: string, upgrade: boolean): RequestInfo {
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : target.slice(q + 1));
  const parts = path.split("/").filter((p) => p.length > 0);
  const resourceParts = apiParts(parts);
  if (resourceParts === undefined) return nonResource(method, path, upgrade);
  return resourceInfo(method.toUpperCase(), path, resourceParts, query, upgrade);
}

/** The parts after /api/<v> or /apis/<g>/<v>, or undefined for a non-resource path. */
function apiParts(parts: readonly string[]): string[] | undefined {
  if (parts[0] === "api" && parts.length >= 3) return parts.slice(2);
  if (parts[0] === "apis" && parts.length >= 4) return parts.slice(3);
  return undefined;
}

function nonResource(method: string, path: string, upgrade: boolean): RequestInfo {
  const m = method.toLowerCase();
  return {
    path, isResourceRequest: false, verb: KNOWN_METHODS.has(m) ? m : "other", class: "nonresource",
    longRunning: upgrade, namespace: "", resource: "", subresource: "", name: "",
  };
}

function resourceInfo(method: string, path: string, input: string[], query: URLSearchParams, upgrade: boolean): RequestInfo {
  let parts = input;
  let verb = METHOD_VERBS[method] ?? "other";
  let special = "";
  if ((parts[0] === "watch" || parts[0] === "proxy") && parts.length >= 2) {
    special = parts[0];
    verb = special;
    parts = parts.slice(1);
  }
  let namespace = "";
  if (parts[0] === "namespaces" && parts.length > 1) {
    namespace = parts[1] as string;
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] as string)) parts = parts.slice(2);
  }
  const [resource = "", name = "", subresource = ""] = parts;
  if (name === "" && verb === "get") verb = queryTrue(query, "watch") ? "watch" : "list";
  if (name === "" && verb === "delete") verb = "deletecollection";
  if (special === "proxy" || CONNECT_SUBRESOURCES.has(subresource)) verb = "connect";
  const longRunning = upgrade || verb === "watch" || special === "proxy" || STREAMING_SUBRESOURCES.has(subresource) ||
    (subresource === "log" && queryTrue(query, "follow"));
  return {
    path, isResourceRequest: true, verb, class: requestClass(special, subresource), longRunning,
    namespace, resource, subresource, name,
  };
}

function requestClass(special: string, subresource: string): RequestClass {
  if (special === "proxy") return "proxy";
  if (subresource === "") return "resource";
  return CLASS_SUBRESOURCES.has(subresource as RequestClass) ? (subresource as RequestClass) : "other_subresource";
}
