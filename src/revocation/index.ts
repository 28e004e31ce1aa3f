/**
 * The in-memory index the proxy consults on every request: map lookups by
 * username and by each group, plus the cutoff for everyone. No I/O.
 */
import type { Block, RuleKind, RuleSet } from "./model.ts";

/** The identity a check is about: the mapped Kubernetes username and groups, and the token's `iat`. */
export interface Subject {
  readonly username: string;
  readonly groups: readonly string[];
  /** Epoch ms; absent when the token has no `iat` (then any matching revocation refuses it). */
  readonly issuedAt?: number;
}

/** Why a subject is refused; `reason` and `id` are for the log only. */
export interface Refusal {
  readonly effect: "revoked" | "blocked";
  readonly kind: RuleKind;
  readonly id: string;
  readonly reason: string;
}

interface Cutoff { readonly before: number; readonly id: string; readonly reason: string }

/** An immutable index over one {@link RuleSet}. */
export class RevocationIndex {
  readonly #users = new Map<string, Cutoff>();
  readonly #groups = new Map<string, Cutoff>();
  readonly #all: Cutoff | undefined;
  readonly #blockedUsers = new Map<string, Block>();
  readonly #blockedGroups = new Map<string, Block>();
  /** How many revocations and blocks are in force, by kind (for the metrics). */
  readonly counts: Readonly<Record<"user" | "group" | "all" | "block", number>>;

  constructor(rules: RuleSet) {
    let all: Cutoff | undefined;
    for (const r of rules.revocations) {
      const cutoff = { before: r.before, id: r.id, reason: r.reason };
      if (r.kind === "all") all = later(all, cutoff);
      else keepLatest(r.kind === "user" ? this.#users : this.#groups, r.name, cutoff);
    }
    this.#all = all;
    for (const b of rules.blocks) (b.kind === "user" ? this.#blockedUsers : this.#blockedGroups).set(b.name, b);
    const count = (kind: RuleKind): number => rules.revocations.filter((r) => r.kind === kind).length;
    this.counts = { user: count("user"), group: count("group"), all: count("all"), block: rules.blocks.length };
  }

  /** The refusal that applies to `subject` at `now`, or undefined when it may pass. */
  check(subject: Subject, now: number): Refusal | undefined {
    const block = this.#block(subject, now);
    if (block !== undefined) return { effect: "blocked", kind: block.kind, id: block.id, reason: block.reason };
    const iat = subject.issuedAt;
    const hit = (c: Cutoff | undefined): boolean => c !== undefined && (iat === undefined || iat < c.before);
    if (hit(this.#all)) return refusal("all", this.#all as Cutoff);
    const user = this.#users.get(subject.username);
    if (hit(user)) return refusal("user", user as Cutoff);
    for (const g of subject.groups) {
      const group = this.#groups.get(g);
      if (hit(group)) return refusal("group", group as Cutoff);
    }
    return undefined;
  }

  #block(subject: Subject, now: number): Block | undefined {
    const active = (b: Block | undefined): b is Block => b !== undefined && (b.until === undefined || now < b.until);
    const user = this.#blockedUsers.get(subject.username);
    if (active(user)) return user;
    for (const g of subject.groups) {
      const group = this.#blockedGroups.get(g);
      if (active(group)) return group;
    }
    return undefined;
  }
}

function refusal(kind: RuleKind, c: Cutoff): Refusal {
  return { effect: "revoked", kind, id: c.id, reason: c.reason };
}

function later(a: Cutoff | undefined, b: Cutoff): Cutoff {
  return a === undefined || b.before > a.before ? b : a;
}

function keepLatest(map: Map<string, Cutoff>, name: string, cutoff: Cutoff): void {
  map.set(name, later(map.get(name), cutoff));
}
