/**
 * LDAP search filters built from untrusted values: every value is escaped as
 * RFC 4515 §3 requires, so a username such as `*)(uid=*` matches only itself.
 * No DN is ever built from a user's input: DNs come from the server's answers.
 */

/** Active Directory's LDAP_MATCHING_RULE_IN_CHAIN: membership through nested groups. */
export const MATCHING_RULE_IN_CHAIN = "1.2.840.113556.1.4.1941";

/**
 * Escapes a value for use inside a filter (RFC 4515 §3): `*`, `(`, `)`, `\`
 * and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`; other characters stay as
 * they are (UTF-8 is allowed in filter values).
 *
 * @example
 * escapeFilterValue("*)(uid=*") // "\\2a\\29\\28uid=\\2a"
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** `(attr=value)`, the value escaped; with `rule`, an extensible match `(attr:rule:=value)`. */
export function equalityFilter(attr: string, value: string, rule?: string): string {
  return rule === undefined ? `(${attr}=${escapeFilterValue(value)})` : `(${attr}:${rule}:=${escapeFilterValue(value)})`;
}

/** `match` ANDed with the configured `filter`, when there is one. */
export function andFilter(filter: string | undefined, match: string): string {
  return filter === undefined ? match : `(&${filter}${match})`;
}

/** The OR of `matches` (the match itself when there is one). */
export function orFilter(matches: readonly string[]): string {
  return matches.length === 1 ? (matches[0] ?? "") : `(|${matches.join("")})`;
}
