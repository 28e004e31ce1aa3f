/**
 * What an operator orders: a revocation (tokens issued before a moment stop
 * working) or a block (no token works until it is lifted or lapses), and
 * their mapping onto the issuer storage's Revocation record.
 */
import type { Revocation as StoredRevocation } from "../issuer/storage/entities.ts";

/** Whom a rule applies to: one mapped Kubernetes username, one group, or everyone. */
export type RuleKind = "user" | "group" | "all";

/** Tokens of `name` (or of everyone, for kind `all`) issued before `before` are refused. */
export interface Revocation {
  readonly id: string;
  readonly kind: RuleKind;
  /** The mapped Kubernetes username (kind `user`) or group; "" for `all`. */
  readonly name: string;
  /** The moment of revocation, epoch ms: tokens with an earlier `iat` (or none) are refused. */
  readonly before: number;
  readonly reason: string;
  readonly actor: string;
  readonly created: number;
}

/** Every token of `name` is refused, whatever its `iat`, until `until` (forever when absent). */
export interface Block {
  readonly id: string;
  readonly kind: "user" | "group";
  readonly name: string;
  readonly until?: number;
  readonly reason: string;
  readonly actor: string;
  readonly created: number;
}

/** Everything in force, as one replica knows it. */
export interface RuleSet {
  readonly revocations: readonly Revocation[];
  readonly blocks: readonly Block[];
}

/**
 * Stores `r`. The record lapses `maxTokenAgeMs` after the revocation: by then
 * every token it could refuse has expired, so garbage collection may drop it.
 */
export function revocationRecord(r: Revocation, maxTokenAgeMs: number): StoredRevocation {
  return {
    id: r.id, kind: r.kind, ...(r.kind === "all" ? {} : { subject: r.name }),
    reason: r.reason, actor: r.actor, createdAt: r.before, until: r.before + maxTokenAgeMs, effect: "revoke",
  };
}

/** Stores `b`; its `until` is the storage record's, so a lapsed block is garbage collected. */
export function blockRecord(b: Block): StoredRevocation {
  return {
    id: b.id, kind: b.kind, subject: b.name, reason: b.reason, actor: b.actor, createdAt: b.created,
    ...(b.until === undefined ? {} : { until: b.until }), effect: "block",
  };
}

/** Splits stored records into revocations and blocks; records lapsed at `now` are left out. */
export function fromRecords(records: readonly StoredRevocation[], now: number): RuleSet {
  const revocations: Revocation[] = [];
  const blocks: Block[] = [];
  for (const r of records) {
    if (r.until !== undefined && r.until <= now) continue;
    const name = r.subject ?? "";
    if (r.effect === "block" && r.kind !== "all") {
      blocks.push({ id: r.id, kind: r.kind, name, reason: r.reason, actor: r.actor, created: r.createdAt, ...(r.until === undefined ? {} : { until: r.until }) });
    } else {
      revocations.push({ id: r.id, kind: r.kind, name, before: r.createdAt, reason: r.reason, actor: r.actor, created: r.createdAt });
    }
  }
  return { revocations, blocks };
}
