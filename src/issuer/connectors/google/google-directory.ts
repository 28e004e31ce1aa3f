/**
 * Google groups through the Admin SDK Directory API: a service account signs a
 * JWT assertion (RFC 7523) acting as a Workspace admin, trades it for an
 * access token at its token URI, and lists a user's groups page by page
 * (`pageToken`/`nextPageToken`), optionally following groups of groups.
 */
import { SignJWT, importPKCS8 } from "jose";
import { KubewardError } from "../../../errors.ts";
import type { Clock } from "../../../clock.ts";
import { getJSON, send, type UpstreamHttp } from "../oauth2-common/upstream-http.ts";
import type { ServiceAccountKey } from "./google-config.ts";

const SCOPE = "https://www.googleapis.com/auth/admin.directory.group.readonly";
const DIRECTORY = "https://admin.googleapis.com/admin/directory/v1/groups";
const MAX_PAGES = 50;

interface GroupsPage { readonly groups?: readonly { readonly email: string }[]; readonly nextPageToken?: string }

/** Reads group memberships as `adminEmail`, caching each admin's token until shortly before it expires. */
export class GoogleDirectory {
  readonly #key: ServiceAccountKey;
  readonly #http: UpstreamHttp;
  readonly #clock: Clock;
  readonly #tokens = new Map<string, { token: string; until: number }>();

  constructor(key: ServiceAccountKey, http: UpstreamHttp, clock: Clock) {
    this.#key = key;
    this.#http = http;
    this.#clock = clock;
  }

  /** The groups (emails) of `userKey`; with `transitive`, also the groups those groups belong to. */
  async groupsOf(userKey: string, adminEmail: string, transitive: boolean): Promise<string[]> {
    const token = await this.#token(adminEmail);
    const seen = new Set<string>();
    let pending = [userKey];
    while (pending.length > 0) {
      const found = (await Promise.all(pending.map((k) => this.#list(k, token)))).flat().filter((g) => !seen.has(g));
      for (const g of found) seen.add(g);
      pending = transitive ? [...new Set(found)] : [];
    }
    return [...seen];
  }

  async #list(userKey: string, token: string): Promise<string[]> {
    const groups: string[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page === 0 || pageToken !== undefined; page++) {
      if (page === MAX_PAGES) throw new KubewardError("connector_unavailable", `google: more than ${MAX_PAGES} pages of groups`);
      const url = new URL(DIRECTORY);
      url.searchParams.set("userKey", userKey);
      if (pageToken !== undefined) url.searchParams.set("pageToken", pageToken);
      const { body } = await getJSON<GroupsPage>(this.#http, "google", url.href, token);
      groups.push(...(body.groups ?? []).map((g) => g.email));
      pageToken = body.nextPageToken;
    }
    return groups;
  }

  /** An access token for the Directory API, acting as `adminEmail` (domain-wide delegation). */
  async #token(adminEmail: string): Promise<string> {
    const cached = this.#tokens.get(adminEmail);
    if (cached !== undefined && cached.until > this.#clock.now()) return cached.token;
    const now = Math.floor(this.#clock.now() / 1000);
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.#key.private_key_id })
      .setIssuer(this.#key.client_email).setSubject(adminEmail).setAudience(this.#key.token_uri)
      .setIssuedAt(now).setExpirationTime(now + 3600)
      .sign(await importPKCS8(this.#key.private_key, "RS256"));
    const body = new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion });
    const res = await send(this.#http, "google", this.#key.token_uri, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body: body.toString() });
    const answer = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    if (!res.ok || typeof answer.access_token !== "string") {
      const code = res.status >= 500 ? "connector_unavailable" : "connector_refused";
      throw new KubewardError(code, `google: the service account ${this.#key.client_email} acting as ${adminEmail} got no token (HTTP ${res.status}): ${answer.error ?? ""} ${answer.error_description ?? ""}`);
    }
    this.#tokens.set(adminEmail, { token: answer.access_token, until: this.#clock.now() + ((answer.expires_in ?? 3600) - 60) * 1000 });
    return answer.access_token;
  }
}
