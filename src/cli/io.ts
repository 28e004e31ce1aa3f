/** What a CLI command gets from the process, passed in so tests can run commands in-process. */

export interface CliIo {
  /** Writes text as is (callers add the newline). */
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** Resolves with the first SIGTERM or SIGINT. */
  readonly shutdownSignal: () => Promise<string>;
}

/** The exit codes: 0 done, 1 failed at run time, 2 bad usage or configuration. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
