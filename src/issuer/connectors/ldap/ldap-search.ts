/**
 * The directory reads of the ldap connector: the user entry (by the typed
 * username, or by its DN at refresh), the identity it describes, and the
 * user's groups (direct, or nested through AD's in-chain rule or searches).
 */
import { NoSuchObjectError, type Client, type Entry } from "ldapts";
import { KubewardError } from "../../../errors.ts";
import type { Identity, Scopes } from "../connector.ts";
import type { LdapConfig, LdapGroupSearch } from "./ldap-config.ts";
import { MATCHING_RULE_IN_CHAIN, andFilter, equalityFilter, orFilter } from "./ldap-filter.ts";

/** How many levels of group-in-group membership `nestedGroups: search` follows. */
const MAX_NESTING = 8;

/** Every value of `name` in `entry` (`DN` is the entry's DN); attribute names are case-insensitive. */
function values(entry: Entry, name: string): string[] {
  if (name === "DN") return [entry.dn];
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase() && k !== "dn");
  const value = key === undefined ? undefined : entry[key];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => (Buffer.isBuffer(v) ? v.toString("utf8") : String(v)));
}

function first(entry: Entry, name: string | undefined): string | undefined {
  return name === undefined ? undefined : values(entry, name)[0];
}

/** The attributes to ask for: every one the config names except `DN`. */
function userAttributes(config: LdapConfig): string[] {
  const s = config.userSearch;
  const names = [s.username, s.idAttr, s.emailAttr, s.nameAttr, s.preferredUsernameAttr, ...(config.groupSearch?.userMatchers ?? []).map((m) => m.userAttr)];
  return [...new Set(names.filter((n): n is string => n !== undefined && n !== "DN"))];
}

/** The entries whose username attribute is exactly `username` (escaped) and that pass the configured filter. */
export async function findUsers(client: Client, config: LdapConfig, username: string): Promise<Entry[]> {
  const s = config.userSearch;
  const { searchEntries } = await client.search(s.baseDN, {
    scope: s.scope ?? "sub",
    filter: andFilter(s.filter, equalityFilter(s.username, username)),
    attributes: userAttributes(config),
  });
  return searchEntries;
}

/** The entry at `dn` if it still passes the configured filter; undefined when it is gone. */
export async function readUser(client: Client, config: LdapConfig, dn: string): Promise<Entry | undefined> {
  try {
    const { searchEntries } = await client.search(dn, { scope: "base", filter: config.userSearch.filter ?? "(objectClass=*)", attributes: userAttributes(config) });
    return searchEntries[0];
  } catch (e) {
    if (e instanceof NoSuchObjectError) return undefined;
    throw e;
  }
}

/**
 * The identity an entry describes (groups left to {@link groupsOf}).
 * @throws KubewardError `connector_refused` when the entry lacks the id or email attribute.
 */
export function identityOf(entry: Entry, config: LdapConfig): Omit<Identity, "groups" | "connectorData"> {
  const s = config.userSearch;
  const userID = first(entry, s.idAttr);
  const login = first(entry, s.username);
  const email = s.emailSuffix !== undefined && login !== undefined ? `${login}@${s.emailSuffix}` : first(entry, s.emailAttr);
  const missing = [userID === undefined ? s.idAttr : undefined, email === undefined ? s.emailAttr : undefined].filter((m) => m !== undefined);
  if (userID === undefined || email === undefined) {
    throw new KubewardError("connector_refused", `ldap connector: entry ${JSON.stringify(entry.dn)} has no ${missing.join(", ")} attribute`);
  }
  const preferredUsername = first(entry, s.preferredUsernameAttr);
  return {
    userID,
    username: first(entry, s.nameAttr) ?? login ?? userID,
    ...(preferredUsername !== undefined ? { preferredUsername } : {}),
    email,
    emailVerified: true,
  };
}

async function searchGroups(client: Client, gs: LdapGroupSearch, matches: readonly string[]): Promise<Entry[]> {
  if (matches.length === 0) return [];
  const { searchEntries } = await client.search(gs.baseDN, { scope: gs.scope ?? "sub", filter: andFilter(gs.filter, orFilter(matches)), attributes: [gs.nameAttr] });
  return searchEntries;
}

/** Groups whose members include groups already found (by DN), level by level, each group once. */
async function nestedGroups(client: Client, gs: LdapGroupSearch, found: Map<string, Entry>): Promise<void> {
  const byDN = gs.userMatchers.filter((m) => m.userAttr === "DN");
  let frontier = [...found.values()];
  for (let level = 0; level < MAX_NESTING && frontier.length > 0; level++) {
    const matches = frontier.flatMap((g) => byDN.map((m) => equalityFilter(m.groupAttr, g.dn)));
    frontier = (await searchGroups(client, gs, matches)).filter((g) => !found.has(g.dn));
    for (const g of frontier) found.set(g.dn, g);
  }
}

/** The names of the groups `user` is a member of, as the config's group search finds them. */
export async function groupsOf(client: Client, config: LdapConfig, user: Entry, scopes: Scopes): Promise<string[]> {
  const gs = config.groupSearch;
  if (gs === undefined || !scopes.groups) return [];
  // The in-chain rule follows DN-valued links only, so it applies to the DN matchers.
  const ruleFor = (userAttr: string) => (gs.nestedGroups === "inChain" && userAttr === "DN" ? MATCHING_RULE_IN_CHAIN : undefined);
  const matches = gs.userMatchers.flatMap((m) => values(user, m.userAttr).map((v) => equalityFilter(m.groupAttr, v, ruleFor(m.userAttr))));
  const found = new Map((await searchGroups(client, gs, matches)).map((g) => [g.dn, g]));
  if (gs.nestedGroups === "search") await nestedGroups(client, gs, found);
  return [...new Set([...found.values()].flatMap((g) => values(g, gs.nameAttr)))].sort();
}
