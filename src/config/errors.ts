/**
 * Configuration problems: each names the flag or field it is about, and all
 * of them are reported together in one {@link ConfigError}.
 */
import { KubewardError } from "../errors.ts";

/** One thing wrong with the configuration, and where. */
export interface ConfigProblem {
  /** The flag (`--secure-port`), file field (`oidc[1].issuerURL`) or file position. */
  readonly path: string;
  /** What is wrong, in words a user can act on. */
  readonly message: string;
}

/**
 * Every problem found in the configuration, collected before anything starts.
 *
 * @example
 * ```ts
 * try { await loadProxyConfig(argv, process.env); }
 * catch (e) { if (e instanceof ConfigError) for (const l of e.lines()) console.error(l); }
 * ```
 */
export class ConfigError extends KubewardError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super("config_invalid", problems.map(formatProblem).join("; "));
    this.problems = Object.freeze([...problems]);
  }

  /** One `kubeward: <path>: <message>` line per problem, as the CLI prints them. */
  lines(): string[] {
    return this.problems.map((p) => `kubeward: ${formatProblem(p)}`);
  }
}

/** `<path>: <message>`. */
export function formatProblem(p: ConfigProblem): string {
  return `${p.path}: ${p.message}`;
}

/** Collects problems while a configuration is checked. */
export class Problems {
  readonly list: ConfigProblem[] = [];

  add(path: string, message: string): void {
    this.list.push({ path, message });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }
}
