/**
 * The operator's side: list what is in force, revoke, block and lift. Each
 * change is stored (so every replica on the storage sees it), audited in one
 * log line, and applied in this process at once.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock.ts";
import { KubewardError } from "../errors.ts";
import type { RevocationStore } from "../issuer/storage/storage.ts";
import type { Logger } from "../log/logger.ts";
import { blockRecord, fromRecords, revocationRecord, type Block, type Revocation, type RuleKind, type RuleSet } from "./model.ts";

/** The default bound on token age: revocations are kept this long, then garbage collected. */
export const DEFAULT_MAX_TOKEN_AGE_MS = 24 * 3_600_000;

/** What the service needs. */
export interface ServiceDeps {
  readonly store: RevocationStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The longest token lifetime any trusted issuer grants (default 24 h); see docs/revocation.md. */
  readonly maxTokenAgeMs?: number;
  /** Called after each change so this process applies it without waiting for a poll. */
  readonly onChange?: () => Promise<void>;
}

/** A request to revoke. */
export interface RevokeRequest {
  readonly kind: RuleKind;
  readonly name: string;
  readonly reason: string;
  readonly actor: string;
}

/** A request to block, for `forMs` or until lifted. */
export interface BlockRequest {
  readonly kind: "user" | "group";
  readonly name: string;
  readonly forMs?: number;
  readonly reason: string;
  readonly actor: string;
}

/** Creates, lists and lifts revocations and blocks. */
export class RevocationService {
  readonly #deps: ServiceDeps;

  constructor(deps: ServiceDeps) {
    this.#deps = deps;
  }

  /** Everything in force now. */
  async list(): Promise<RuleSet> {
    return fromRecords(await this.#deps.store.listRevocations(), this.#deps.clock.now());
  }

  /** Refuses every token of `name` (or everyone's) issued before now. */
  async revoke(r: RevokeRequest): Promise<Revocation> {
    checkName(r.kind, r.name);
    const now = this.#deps.clock.now();
    const revocation: Revocation = { id: newId("rev"), kind: r.kind, name: r.kind === "all" ? "" : r.name, before: now, reason: r.reason, actor: r.actor, created: now };
    await this.#deps.store.createRevocation(revocationRecord(revocation, this.#deps.maxTokenAgeMs ?? DEFAULT_MAX_TOKEN_AGE_MS));
    this.#audit("revoke", revocation.id, r.actor, r.kind, revocation.name, r.reason);
    await this.#deps.onChange?.();
    return revocation;
  }

  /** Refuses every token of `name` until `forMs` from now, or until lifted. */
  async block(b: BlockRequest): Promise<Block> {
    checkName(b.kind, b.name);
    const now = this.#deps.clock.now();
    const block: Block = {
      id: newId("blk"), kind: b.kind, name: b.name, reason: b.reason, actor: b.actor, created: now,
      ...(b.forMs === undefined ? {} : { until: now + b.forMs }),
    };
    await this.#deps.store.createRevocation(blockRecord(block));
    this.#audit("block", block.id, b.actor, b.kind, b.name, b.reason);
    await this.#deps.onChange?.();
    return block;
  }

  /** Lifts a revocation or block. @throws {@link KubewardError} `admin_not_found` when there is none with this id. */
  async lift(id: string, actor: string): Promise<void> {
    const existing = await this.#deps.store.getRevocation(id);
    if (existing === undefined || !(await this.#deps.store.deleteRevocation(id))) throw new KubewardError("admin_not_found", id);
    this.#audit("lift", id, actor, existing.kind, existing.subject ?? "", existing.reason);
    await this.#deps.onChange?.();
  }

  #audit(action: string, id: string, actor: string, kind: string, name: string, reason: string): void {
    this.#deps.logger.info({ audit: "revocation", action, id, actor, kind, name, reason }, `revocation ${action}: ${kind} ${name}`.trimEnd());
  }
}

function checkName(kind: RuleKind, name: string): void {
  if (kind !== "all" && name.trim() === "") throw new KubewardError("request_invalid", `a ${kind} revocation needs a name`);
}

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}
