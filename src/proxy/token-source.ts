/**
 * The bearer token the proxy presents upstream: a static token, or a file
 * re-read at most once a minute (as client-go does for projected
 * service-account tokens, which the kubelet rotates in place).
 */
import { readFile } from "node:fs/promises";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";

/** How long a token read from a file is used before the file is read again. */
export const TOKEN_FILE_REFRESH_MS = 60_000;

/** Supplies the proxy's upstream bearer token. */
export interface TokenSource {
  /** The current token, or undefined when the proxy presents none. */
  token(): Promise<string | undefined>;
}

/** A token source for a static token and/or a token file (the file wins). */
export function createTokenSource(
  options: { readonly token?: string; readonly tokenFile?: string }, clock: Clock, logger: Logger,
): TokenSource {
  const { token, tokenFile } = options;
  if (tokenFile === undefined) return { token: async () => token };
  let cached: string | undefined;
  let readAt = -Infinity;
  let pending: Promise<string | undefined> | undefined;
  const refresh = async (): Promise<string | undefined> => {
    try {
      const text = (await readFile(tokenFile, "utf8")).trim();
      cached = text === "" ? cached : text;
    } catch (err) {
      logger.warn({ err: (err as Error).message }, "cannot read the upstream token file; keeping the previous token");
    }
    readAt = clock.now();
    return cached ?? token;
  };
  return {
    token: async () => {
      if (clock.now() - readAt < TOKEN_FILE_REFRESH_MS) return cached ?? token;
      pending ??= refresh().finally(() => { pending = undefined; });
      return pending;
    },
  };
}
