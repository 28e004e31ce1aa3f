/**
 * Reads a kubeconfig file into typed clusters, users and contexts, with file
 * names made absolute against the kubeconfig's directory, as kubectl does.
 * (Replaces @kubernetes/client-node's KubeConfig here: that import alone kept
 * 55–85 MB resident in a proxy whose idle target is 60 MB.)
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";

export interface KubeconfigCluster {
  readonly name: string;
  readonly server: string;
  readonly caData?: string;
  readonly caFile?: string;
  readonly skipTLSVerify: boolean;
  readonly tlsServerName?: string;
  readonly proxyUrl?: string;
}

export interface KubeconfigUser {
  readonly name: string;
  readonly certData?: string;
  readonly certFile?: string;
  readonly keyData?: string;
  readonly keyFile?: string;
  readonly token?: string;
  readonly tokenFile?: string;
  /** Present when the user needs something kubeward does not do (exec, auth-provider, basic auth, `as`). */
  readonly exec?: unknown;
  readonly authProvider?: unknown;
  readonly username?: string;
  readonly password?: string;
  readonly impersonateUser?: string;
}

export interface KubeconfigContext {
  readonly name: string;
  readonly cluster: string;
  readonly user?: string;
}

export interface Kubeconfig {
  readonly currentContext?: string;
  readonly contexts: readonly KubeconfigContext[];
  readonly clusters: readonly KubeconfigCluster[];
  readonly users: readonly KubeconfigUser[];
}

type Entry = Record<string, unknown>;

function str(o: Entry | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}

function named(doc: Entry, list: string, inner: string): { name: string; body: Entry }[] {
  const items = Array.isArray(doc[list]) ? (doc[list] as unknown[]) : [];
  return items.flatMap((item) => {
    if (typeof item !== "object" || item === null) return [];
    const e = item as Entry;
    const body = typeof e[inner] === "object" && e[inner] !== null ? (e[inner] as Entry) : {};
    return typeof e["name"] === "string" ? [{ name: e["name"], body }] : [];
  });
}

/**
 * Parses kubeconfig text. YAML is a superset of JSON, so a JSON kubeconfig
 * (`kubectl config view --raw -o json`) is read as such without loading the
 * YAML parser, which otherwise stays resident (about 2 MB) for the process's life.
 */
async function parseKubeconfigText(text: string): Promise<unknown> {
  try {
    return JSON.parse(text);
  } catch {
    // `default`: yaml is CommonJS, whose dynamic import has only a default export in the bundle.
    return (await import("yaml")).default.parse(text);
  }
}

/** Reads and types `file`; rejects with the file system's or the YAML parser's message. */
export async function readKubeconfig(file: string): Promise<Kubeconfig> {
  const doc: unknown = await parseKubeconfigText(await readFile(file, "utf8"));
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error("it is not a kubeconfig (a YAML mapping)");
  const d = doc as Entry;
  const path = (f: string | undefined) => (f === undefined ? undefined : resolve(dirname(file), f));
  const opt = <K extends string>(key: K, v: string | undefined): { [P in K]?: string } => (v === undefined ? {} : { [key]: v } as { [P in K]: string });
  const clusters = named(d, "clusters", "cluster").map(({ name, body }) => ({
    name, server: str(body, "server") ?? "", skipTLSVerify: body["insecure-skip-tls-verify"] === true,
    ...opt("caData", str(body, "certificate-authority-data")), ...opt("caFile", path(str(body, "certificate-authority"))),
    ...opt("tlsServerName", str(body, "tls-server-name")), ...opt("proxyUrl", str(body, "proxy-url")),
  }));
  const users = named(d, "users", "user").map(({ name, body }) => ({
    name,
    ...opt("certData", str(body, "client-certificate-data")), ...opt("certFile", path(str(body, "client-certificate"))),
    ...opt("keyData", str(body, "client-key-data")), ...opt("keyFile", path(str(body, "client-key"))),
    ...opt("token", str(body, "token")), ...opt("tokenFile", path(str(body, "tokenFile") ?? str(body, "token-file"))),
    ...opt("username", str(body, "username")), ...opt("password", str(body, "password")), ...opt("impersonateUser", str(body, "as")),
    ...(body["exec"] ? { exec: body["exec"] } : {}), ...(body["auth-provider"] ? { authProvider: body["auth-provider"] } : {}),
  }));
  const contexts = named(d, "contexts", "context").map(({ name, body }) => ({
    name, cluster: str(body, "cluster") ?? "", ...opt("user", str(body, "user")),
  }));
  return { ...opt("currentContext", str(d, "current-context")), contexts, clusters, users };
}
