/**
 * What the microsoft connector reads: the user from Microsoft Graph's /me,
 * and group memberships, either from the ID token's `groups` claim or, when
 * the token says there are too many to carry (the "overage" case) or names
 * are wanted, from Graph's transitiveMemberOf, following `@odata.nextLink`.
 */
import { decodeJwt } from "jose";
import { KubewardError } from "../../../errors.ts";
import { getJSON, type UpstreamHttp } from "../oauth2-common/upstream-http.ts";

/** The fields of Graph's `user` that make the identity. */
export interface GraphUser {
  readonly id: string;
  readonly displayName: string | null;
  readonly mail: string | null;
  readonly userPrincipalName: string | null;
}

interface GraphGroup { readonly id: string; readonly displayName: string | null; readonly securityEnabled: boolean | null }
interface GraphPage<T> { readonly value: T[]; readonly "@odata.nextLink"?: string }

/** At most this many pages of groups (999 each) are read. */
const MAX_PAGES = 50;

export async function graphMe(http: UpstreamHttp, graph: string, token: string): Promise<GraphUser> {
  const { body } = await getJSON<GraphUser>(http, "microsoft", `${graph}/v1.0/me?$select=id,displayName,mail,userPrincipalName`, token);
  if (typeof body.id !== "string" || body.id === "") throw new KubewardError("connector_unavailable", "microsoft: Graph /me answered without an id");
  return body;
}

/** The user's groups (transitive), as display names or object ids. */
export async function graphGroups(http: UpstreamHttp, graph: string, token: string, onlySecurity: boolean, format: "name" | "id"): Promise<string[]> {
  let next: string | undefined = `${graph}/v1.0/me/transitiveMemberOf/microsoft.graph.group?$select=id,displayName,securityEnabled&$top=999`;
  const groups: string[] = [];
  for (let page = 0; next !== undefined; page++) {
    if (page === MAX_PAGES) throw new KubewardError("connector_unavailable", `microsoft: more than ${MAX_PAGES} pages of groups`);
    const answer: GraphPage<GraphGroup> = (await getJSON<GraphPage<GraphGroup>>(http, "microsoft", next, token)).body;
    if (!Array.isArray(answer.value)) throw new KubewardError("connector_unavailable", "microsoft: Graph's group list has no value array");
    for (const g of answer.value) {
      if (onlySecurity && g.securityEnabled !== true) continue;
      groups.push(format === "id" ? g.id : (g.displayName ?? g.id));
    }
    next = answer["@odata.nextLink"];
  }
  return groups;
}

/** The ID token's claims kubeward reads; `aud` must be this client. */
export interface IdTokenGroups {
  /** The object id of the user (Graph's user id). */
  readonly oid: string | undefined;
  /** The group ids carried in the token; undefined when the token carries none or signals an overage. */
  readonly groups: string[] | undefined;
}

/**
 * Reads the ID token the token endpoint returned (over TLS, straight from
 * Microsoft, so OIDC Core §3.1.3.7 lets kubeward skip its signature). An
 * overage shows as `_claim_names.groups` (or `hasgroups: true` in implicit
 * tokens): the groups must then be read from Graph.
 */
export function idTokenGroups(idToken: string, clientID: string): IdTokenGroups {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(idToken);
  } catch (e) {
    throw new KubewardError("connector_callback_invalid", "microsoft: the ID token does not decode", { cause: e });
  }
  const aud = claims["aud"];
  if (aud !== clientID && !(Array.isArray(aud) && aud.includes(clientID))) throw new KubewardError("connector_callback_invalid", "microsoft: the ID token is for another client");
  const names = claims["_claim_names"] as Record<string, unknown> | undefined;
  const overage = claims["hasgroups"] === true || (typeof names === "object" && names !== null && "groups" in names);
  const groups = claims["groups"];
  const list = Array.isArray(groups) && groups.every((g) => typeof g === "string") ? (groups as string[]) : undefined;
  return { oid: typeof claims["oid"] === "string" ? claims["oid"] : undefined, groups: overage ? undefined : list };
}
