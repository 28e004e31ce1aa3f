/**
 * The `kubeward login` flags, named as kubelogin names them where the meaning
 * is the same, and their checked, typed result.
 */
import { homedir } from "node:os";
import { isIP } from "node:net";
import { join } from "node:path";
import type { Problems } from "../config/errors.ts";
import { got, parseDuration } from "../config/values.ts";
import { bool, flagLines, list, str, type FlagDef, type FlagValues } from "./flag-parser.ts";

/** How `kubeward login` gets tokens; `auto` is the password grant when --username is set, else the browser. */
export const GRANT_TYPES = ["auto", "authcode", "authcode-keyboard", "device-code", "password", "client-credentials"] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** A loopback address for the redirect server; port 0 picks a free one. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Where the issuer's TLS trust comes from; neither means the system roots. */
export interface IssuerTrust {
  readonly caFile: string | undefined;
  /** PEM text given as base64 (`--certificate-authority-data`). */
  readonly caData: string | undefined;
}

/** The flags shared by login and logout: which issuer, client and cache. */
export interface ClientOptions extends IssuerTrust {
  readonly issuerUrl: string;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  /** `openid` and the extra scopes. */
  readonly scopes: readonly string[];
  readonly tokenCacheDir: string;
}

/** Everything `kubeward login` was told. */
export interface LoginOptions extends ClientOptions {
  readonly grantType: GrantType;
  readonly listenAddresses: readonly ListenAddress[];
  readonly redirectHostname: string;
  readonly keyboardRedirectUrl: string;
  readonly skipOpenBrowser: boolean;
  readonly browserCommand: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly forceRefresh: boolean;
  readonly authenticationTimeoutMs: number;
  /** Extra parameters of the authorization request (e.g. `prompt`, `access_type`). */
  readonly authRequestExtraParams: Readonly<Record<string, string>>;
}

/** kubelogin's default loopback addresses, tried in order. */
export const DEFAULT_LISTEN = ["127.0.0.1:8000", "127.0.0.1:18000"] as const;
export const DEFAULT_TIMEOUT = "180s";
export const OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob";

/** The flags naming the issuer, client and cache, for login and logout. */
export const CLIENT_FLAGS: readonly FlagDef[] = [
  { name: "oidc-issuer-url", type: "string", arg: "URL", help: "The issuer's URL (required)." },
  { name: "oidc-client-id", type: "string", arg: "ID", help: "The client id at the issuer (required)." },
  { name: "oidc-client-secret", type: "string", arg: "SECRET", help: "The client secret, for a confidential client." },
  { name: "oidc-extra-scope", type: "list", arg: "SCOPE", help: "A scope to ask for besides openid; repeatable (offline_access for refresh tokens)." },
  { name: "certificate-authority", type: "string", arg: "FILE", help: "PEM CA bundle trusted for the issuer's TLS (system roots when unset)." },
  { name: "certificate-authority-data", type: "string", arg: "BASE64", help: "The same, as base64 PEM." },
  { name: "token-cache-dir", type: "string", arg: "DIR", shown: "~/.kube/cache/kubeward", help: "Where tokens are cached." },
];

/** Every `kubeward login` flag. */
export const LOGIN_FLAGS: readonly FlagDef[] = [
  ...CLIENT_FLAGS,
  { name: "grant-type", type: "string", arg: "TYPE", shown: "auto", help: `How to log in: ${GRANT_TYPES.join(", ")}.` },
  { name: "listen-address", type: "list", arg: "HOST:PORT", shown: DEFAULT_LISTEN.join(","), help: "Loopback address of the redirect server, tried in order; port 0 picks one." },
  { name: "oidc-redirect-url-hostname", type: "string", arg: "HOST", shown: "localhost", help: "Host name of the redirect URL." },
  { name: "oidc-redirect-url-authcode-keyboard", type: "string", arg: "URL", shown: OOB_REDIRECT, help: "Redirect URL for authcode-keyboard." },
  { name: "oidc-auth-request-extra-params", type: "list", arg: "KEY=VALUE", help: "Extra authorization request parameter; repeatable (prompt=consent is sent with offline_access unless prompt is set)." },
  { name: "skip-open-browser", type: "boolean", help: "Print the URL instead of opening a browser." },
  { name: "browser-command", type: "string", arg: "CMD", help: "Command that opens the URL (given as its last argument)." },
  { name: "username", type: "string", arg: "NAME", help: "User name for the password grant." },
  { name: "password", type: "string", arg: "PASSWORD", help: "Password for the password grant (asked on the terminal when unset)." },
  { name: "force-refresh", type: "boolean", help: "Get a new ID token even when the cached one is still valid." },
  { name: "authentication-timeout", type: "string", arg: "DURATION", shown: DEFAULT_TIMEOUT, help: "How long to wait for the user to log in." },
];

/** The default token cache directory. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return join(env["HOME"] ?? homedir(), ".kube", "cache", "kubeward");
}

/**
 * Reads the issuer, client and cache flags, recording a problem per bad or
 * missing one; the issuer and client id may be left out when not `required`.
 */
export function readClientOptions(values: FlagValues, env: NodeJS.ProcessEnv, problems: Problems, required = true): ClientOptions {
  const issuerUrl = str(values, "oidc-issuer-url") ?? "";
  if (issuerUrl !== "") checkIssuerUrl(issuerUrl, problems);
  else if (required) problems.add("--oidc-issuer-url", "is required");
  const clientId = str(values, "oidc-client-id") ?? "";
  if (clientId === "" && required) problems.add("--oidc-client-id", "is required");
  const caData = str(values, "certificate-authority-data");
  if (caData !== undefined && !Buffer.from(caData, "base64").toString("utf8").includes("-----BEGIN CERTIFICATE-----")) {
    problems.add("--certificate-authority-data", "must be base64 of a PEM certificate bundle");
  }
  return {
    issuerUrl,
    clientId,
    clientSecret: str(values, "oidc-client-secret"),
    scopes: ["openid", ...list(values, "oidc-extra-scope").filter((s) => s !== "openid")],
    caFile: str(values, "certificate-authority"),
    caData,
    tokenCacheDir: str(values, "token-cache-dir") ?? defaultCacheDir(env),
  };
}

/** Reads every `kubeward login` flag. */
export function readLoginOptions(values: FlagValues, env: NodeJS.ProcessEnv, problems: Problems): LoginOptions {
  const client = readClientOptions(values, env, problems);
  const grantType = GRANT_TYPES.find((g) => g === (str(values, "grant-type") ?? "auto"));
  if (grantType === undefined) problems.add("--grant-type", `must be one of ${GRANT_TYPES.join(", ")} ${got(str(values, "grant-type"))}`);
  const timeout = parseDuration({ value: str(values, "authentication-timeout") ?? DEFAULT_TIMEOUT, path: "--authentication-timeout" }, problems);
  if (timeout === 0) problems.add("--authentication-timeout", "must be more than 0");
  const listen = list(values, "listen-address");
  const username = str(values, "username");
  if (grantType === "password" && username === undefined) problems.add("--username", "is required with --grant-type=password");
  return {
    ...client,
    grantType: grantType ?? "auto",
    listenAddresses: (listen.length > 0 ? listen : DEFAULT_LISTEN).flatMap((a) => parseListenAddress(a, problems) ?? []),
    redirectHostname: str(values, "oidc-redirect-url-hostname") ?? "localhost",
    keyboardRedirectUrl: str(values, "oidc-redirect-url-authcode-keyboard") ?? OOB_REDIRECT,
    skipOpenBrowser: bool(values, "skip-open-browser"),
    browserCommand: str(values, "browser-command"),
    username,
    password: str(values, "password"),
    forceRefresh: bool(values, "force-refresh"),
    authenticationTimeoutMs: timeout ?? 180_000,
    authRequestExtraParams: readParams(list(values, "oidc-auth-request-extra-params"), problems),
  };
}

function readParams(items: readonly string[], problems: Problems): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else problems.add("--oidc-auth-request-extra-params", `must be key=value ${got(item)}`);
  }
  return out;
}

/**
 * The issuer URL: https, or http only on a loopback host (a local test
 * issuer); no user info, query or fragment.
 */
function checkIssuerUrl(value: string, problems: Problems): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const loopback = url !== undefined && isLoopbackHost(url.hostname);
  const schemeOk = url?.protocol === "https:" || (url?.protocol === "http:" && loopback);
  if (url === undefined || !schemeOk || url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    problems.add("--oidc-issuer-url", `must be an https URL (http only on a loopback address) without query or fragment ${got(value)}`);
  }
}

/** True for localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || (isIP(h) === 4 && h.startsWith("127."));
}

/** `host:port` on a loopback address; an empty host means 127.0.0.1. */
export function parseListenAddress(value: string, problems: Problems): ListenAddress | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(value);
  const host = m ? (m[1] ?? m[2] ?? "") || "127.0.0.1" : "";
  const port = Number(m?.[3] ?? -1);
  if (m === null || port > 65535 || !isLoopbackHost(host) || host === "localhost") {
    problems.add("--listen-address", `must be a loopback IP and port such as 127.0.0.1:8000, or :0 for any free port ${got(value)}`);
    return undefined;
  }
  return { host, port };
}

/** The `kubeward login --help` text. */
export function loginUsage(): string {
  return [
    "Usage: kubeward login [flags]",
    "",
    "A kubectl exec credential plugin: logs in at an OIDC issuer and prints an ExecCredential",
    "with the ID token on stdout. Tokens are cached and refreshed; messages go to stderr.",
    "",
    "Flags:",
    ...flagLines(LOGIN_FLAGS),
    "",
  ].join("\n");
}
