/**
 * Stage "client impersonation": `kubectl --as/--as-group/--as-uid` and
 * Impersonate-* headers. Each requested value is authorized with a
 * SubjectAccessReview exactly as kube-apiserver's impersonation filter
 * checks it; refusals use kube-apiserver's 400 and 403 wording.
 */
import type { UserInfo } from "../../auth/authenticator.ts";
import type { Metrics } from "../../metrics/metrics.ts";
import { fromWire, type RawHeaders } from "../headers.ts";
import { KubeStatusError } from "../status.ts";
import type { AccessReviewer, ResourceAttributes } from "../access-review.ts";

/** One thing the client asks to impersonate. */
export interface ImpersonationRequest {
  readonly kind: "User" | "ServiceAccount" | "Group" | "UserExtra" | "UID";
  readonly name: string;
  readonly namespace?: string;
  /** For UserExtra: the lowercased, path-unescaped key. */
  readonly extraKey?: string;
}

const EXTRA_PREFIX = "impersonate-extra-";
const SA_PREFIX = "system:serviceaccount:";
const AUTHENTICATED = "system:authenticated";

/** True when the client sent any Impersonate-* header. */
export function hasImpersonationHeaders(raw: RawHeaders): boolean {
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).toLowerCase().startsWith("impersonate-")) return true;
  return false;
}

/** Parses the Impersonate-* headers into requests (user first, then groups, extras, uid). Throws a 400 when only groups, extras or a uid are sent. */
export function parseImpersonation(raw: RawHeaders): ImpersonationRequest[] {
  const out: ImpersonationRequest[] = [];
  const values = (name: string) => collect(raw, (n) => n === name);
  const user = values("impersonate-user")[0]?.value ?? "";
  if (user !== "") out.push(userRequest(user));
  for (const { value } of values("impersonate-group")) out.push({ kind: "Group", name: value });
  for (const { name, value } of collect(raw, (n) => n.startsWith(EXTRA_PREFIX))) {
    out.push({ kind: "UserExtra", name: value, extraKey: unescapeExtraKey(name.slice(EXTRA_PREFIX.length)) });
  }
  const uid = values("impersonate-uid")[0]?.value ?? "";
  if (uid !== "") out.push({ kind: "UID", name: uid });
  if (user === "" && out.length > 0) {
    const message = `requested [${out.map(goObjectReference).join(" ")}] without impersonating a user`;
    throw new KubeStatusError("impersonation_invalid", message, "impersonation without a user");
  }
  return out;
}

function collect(raw: RawHeaders, match: (lowerName: string) => boolean): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (match(name)) out.push({ name, value: fromWire(raw[i + 1] as string) });
  }
  return out;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** serviceaccount.SplitUsername: a service account only when namespace and name are valid names; otherwise a user. */
function userRequest(user: string): ImpersonationRequest {
  const [namespace = "", name = "", ...rest] = user.startsWith(SA_PREFIX) ? user.slice(SA_PREFIX.length).split(":") : [];
  const valid = rest.length === 0 && namespace.length <= 63 && DNS_LABEL.test(namespace) && name.length <= 253 && DNS_SUBDOMAIN.test(name);
  return valid ? { kind: "ServiceAccount", namespace, name } : { kind: "User", name: user };
}

/** Go's url.PathUnescape; a malformed key is kept as sent, as kube-apiserver does. */
function unescapeExtraKey(key: string): string {
  if (/%(?![0-9a-fA-F]{2})/.test(key)) return key;
  const bytes = key.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return fromWire(bytes);
}

/** How Go's %v prints a v1.ObjectReference, for kube-apiserver's 400 message. */
function goObjectReference(r: ImpersonationRequest): string {
  const apiVersion = r.kind === "UserExtra" || r.kind === "UID" ? "authentication.k8s.io/v1" : "";
  return `{${[r.kind, r.namespace ?? "", r.name, "", apiVersion, "", r.extraKey ?? ""].join(" ")}}`;
}

/** The attributes kube-apiserver authorizes for one impersonation request. */
export function impersonationAttributes(r: ImpersonationRequest): ResourceAttributes {
  const core = { verb: "impersonate", group: "", version: "v1", name: r.name };
  switch (r.kind) {
    case "User": return { ...core, resource: "users" };
    case "Group": return { ...core, resource: "groups" };
    case "ServiceAccount": return { ...core, resource: "serviceaccounts", namespace: r.namespace ?? "" };
    case "UID": return { ...core, group: "authentication.k8s.io", resource: "uids" };
    case "UserExtra": return { ...core, group: "authentication.k8s.io", resource: "userextras", subresource: r.extraKey ?? "" };
  }
}

/** The identity the requests describe: exactly what was asked, so kube-apiserver applies its own group defaults. */
export function impersonatedUser(requests: readonly ImpersonationRequest[]): UserInfo {
  let username = "";
  let uid: string | undefined;
  const groups: string[] = [];
  const extra: Record<string, string[]> = {};
  for (const r of requests) {
    if (r.kind === "User") username = r.name;
    else if (r.kind === "ServiceAccount") username = `${SA_PREFIX}${r.namespace}:${r.name}`;
    else if (r.kind === "Group") groups.push(r.name);
    else if (r.kind === "UID") uid = r.name;
    else (extra[r.extraKey ?? ""] ??= []).push(r.name);
  }
  return { username, groups, extra, ...(uid !== undefined ? { uid } : {}) };
}

/** Authorizes every request for `requestor` (one review each, made together); resolves with the target identity or throws a 403 for the first refused one. */
export async function authorizeImpersonation(
  requestor: UserInfo, requests: readonly ImpersonationRequest[], review: AccessReviewer, metrics: Metrics,
): Promise<UserInfo> {
  // kube-apiserver authorizes the requestor as authenticated, with system:authenticated among its groups.
  const subject = requestor.groups.includes(AUTHENTICATED) ? requestor : { ...requestor, groups: [...requestor.groups, AUTHENTICATED] };
  const decisions = await Promise.all(requests.map(async (r) => {
    try {
      const d = await review(subject, impersonationAttributes(r));
      metrics.impersonationReviews.inc({ result: d.allowed ? "allowed" : "denied" });
      return d;
    } catch (err) {
      metrics.impersonationReviews.inc({ result: "error" });
      throw err;
    }
  }));
  const denied = decisions.findIndex((d) => !d.allowed);
  if (denied >= 0) throw forbidden(requestor, requests[denied] as ImpersonationRequest, decisions[denied]?.reason ?? "");
  return impersonatedUser(requests);
}

/** kube-apiserver's responsewriters.Forbidden message for an impersonation attribute. */
function forbidden(requestor: UserInfo, r: ImpersonationRequest, reason: string): KubeStatusError {
  const a = impersonationAttributes(r);
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : "at the cluster scope";
  const why = `User ${JSON.stringify(requestor.username)} cannot impersonate resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.group)} ${scope}`;
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const message = `${qualified} ${JSON.stringify(r.name)} is forbidden: ${why}${reason ? `: ${reason}` : ""}`;
  return new KubeStatusError("impersonation_forbidden", message, `denied ${resource} ${r.name}`, {
    name: r.name, group: a.group, kind: a.resource,
  });
}
