/**
 * One LDAP connection for one login or refresh (ldapts): LDAPS, plain, or
 * plain upgraded with StartTLS, trusting the configured CA; and the one place
 * where ldapts and socket failures become kubeward error codes.
 */
import type { ConnectionOptions } from "node:tls";
import { isIP } from "node:net";
import { Client, InvalidCredentialsError, ResultCodeError } from "ldapts";
import { KubewardError, isKubewardError } from "../../../errors.ts";
import type { LdapConfig, LdapTarget } from "./ldap-config.ts";

/** Milliseconds before a connection attempt or an operation is abandoned. */
const TIMEOUT_MS = 10_000;

function tlsOptions(config: LdapConfig, target: LdapTarget): ConnectionOptions {
  return {
    ...(target.caPem !== undefined ? { ca: target.caPem } : {}),
    ...(isIP(target.hostname) === 0 ? { servername: target.hostname } : {}),
    rejectUnauthorized: config.insecureSkipVerify !== true,
  };
}

/**
 * Opens a connection (TLS is set up before any bind). For StartTLS the TLS
 * options go to `startTLS` only: given to the constructor, ldapts would open
 * TLS at once even on an ldap:// URL.
 */
export async function connect(config: LdapConfig, target: LdapTarget): Promise<Client> {
  const ldaps = target.url.startsWith("ldaps:");
  const client = new Client({
    url: target.url,
    timeout: TIMEOUT_MS,
    connectTimeout: TIMEOUT_MS,
    ...(ldaps ? { tlsOptions: tlsOptions(config, target) } : {}),
  });
  try {
    if (target.startTLS) await client.startTLS(tlsOptions(config, target));
    return client;
  } catch (e) {
    await client.unbind().catch(() => undefined);
    throw ldapError(e, "starting TLS");
  }
}

/** True when `e` says the DN and password do not match (LDAP result 49). */
export function isInvalidCredentials(e: unknown): boolean {
  return e instanceof InvalidCredentialsError;
}

/**
 * The KubewardError for a failure while `doing` something: an LDAP result
 * code (bad search base, insufficient rights, a refused service bind) or no
 * answer at all (refused connection, timeout, untrusted certificate) is
 * `connector_unavailable` — the directory cannot do the job.
 */
export function ldapError(e: unknown, doing: string): KubewardError {
  if (isKubewardError(e)) return e;
  return new KubewardError("connector_unavailable", `ldap connector: ${doing}: ${describe(e)}`, { cause: e });
}

/** An LDAP result, a socket error (ECONNREFUSED, ETIMEDOUT…) or a TLS one (certificate codes), said as such. */
function describe(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown }).code;
  if (e instanceof ResultCodeError) return `LDAP result ${e.code}: ${message}`;
  if (typeof code !== "string") return message;
  return /^E[A-Z]+$/.test(code) ? `no connection to the directory (${code}: ${message})` : `TLS failure (${code}: ${message})`;
}
