/**
 * The `clients` section: each client's secret read from an environment
 * variable or a file (never written inline), and the default client that
 * `kubeward login` uses when the section is left out.
 */
import { readFile } from "node:fs/promises";
import type { Problems } from "../config/errors.ts";
import type { IssuerClientConfig } from "../issuer/config.ts";
import type { FileClient } from "./schema.ts";

/**
 * The client `kubeward login` uses on a zero-config run: public (PKCE),
 * loopback redirects on any port, device flow (every client has it).
 */
export const LOGIN_CLIENT: FileClient = {
  id: "kubeward",
  name: "kubeward login",
  redirectURIs: ["http://localhost", "http://127.0.0.1"],
  skipApproval: true,
};

async function secretOf(c: FileClient, at: string, env: NodeJS.ProcessEnv, resolvePath: (p: string) => string, problems: Problems): Promise<string | undefined> {
  if (c.secretEnv !== undefined && c.secretFile !== undefined) {
    problems.add(`${at}.secretFile`, "give secretEnv or secretFile, not both");
    return undefined;
  }
  if (c.secretEnv !== undefined) {
    const value = env[c.secretEnv];
    if (value === undefined || value === "") problems.add(`${at}.secretEnv`, `the environment variable ${c.secretEnv} is not set or empty`);
    return value || undefined;
  }
  if (c.secretFile === undefined) return undefined;
  const file = resolvePath(c.secretFile);
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    problems.add(`${at}.secretFile`, `cannot read ${JSON.stringify(file)}: ${e.code ?? String(e)}`);
    return undefined;
  });
  // Files written by `echo` or kubectl end with a newline that is not part of the secret.
  const secret = text?.replace(/\r?\n$/, "");
  if (secret === "") problems.add(`${at}.secretFile`, `${JSON.stringify(file)} is empty`);
  return secret || undefined;
}

/** Every client with its secret resolved; problems name the field (`clients[1].secretEnv`). */
export async function resolveClients(list: readonly FileClient[], passwordConnector: string | undefined, env: NodeJS.ProcessEnv, resolvePath: (p: string) => string, problems: Problems): Promise<IssuerClientConfig[]> {
  const seen = new Set<string>();
  const out: IssuerClientConfig[] = [];
  for (const [i, c] of list.entries()) {
    const at = `clients[${i}]`;
    if (seen.has(c.id)) problems.add(`${at}.id`, `${c.id} is listed twice`);
    seen.add(c.id);
    const secret = await secretOf(c, at, env, resolvePath, problems);
    if (c.clientCredentials === true && c.secretEnv === undefined && c.secretFile === undefined) problems.add(`${at}.clientCredentials`, "needs a secret (secretEnv or secretFile)");
    if (c.passwordGrant === true && passwordConnector === undefined) problems.add(`${at}.passwordGrant`, "needs issuer.passwordConnector");
    const { secretEnv: _e, secretFile: _f, redirectURIs, trustedPeers, ...rest } = c;
    out.push({ ...rest, redirectURIs: [...(redirectURIs ?? [])], ...(trustedPeers ? { trustedPeers: [...trustedPeers] } : {}), ...(secret !== undefined ? { secret } : {}) });
  }
  return out;
}
