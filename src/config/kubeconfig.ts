/**
 * Where kube-apiserver is and how the proxy authenticates to it, read from a
 * kubeconfig or, without one, from the pod's service account. Credentials
 * that need a plugin are refused.
 */
import { access } from "node:fs/promises";
import { isIPv6 } from "node:net";
import type { Problems } from "./errors.ts";
import { readKubeconfig, type Kubeconfig, type KubeconfigCluster as Cluster, type KubeconfigUser as User } from "./kubeconfig-file.ts";
import { checkKeyPair, parseCertificates, readSettingFile } from "./pem.ts";
import type { UpstreamConfig } from "./types.ts";
import type { Setting } from "./values.ts";

/** The pod's service-account directory, as the kubelet mounts it. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface UpstreamSource {
  readonly kubeconfig?: Setting<string> | undefined;
  readonly context?: Setting<string> | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Where the in-cluster CA and token are; {@link SERVICE_ACCOUNT_DIR} unless a test says otherwise. */
  readonly serviceAccountDir?: string;
}

/** The upstream; undefined when a problem was recorded. */
export async function loadUpstream(src: UpstreamSource, problems: Problems): Promise<UpstreamConfig | undefined> {
  if (src.kubeconfig) return fromKubeconfig(src.kubeconfig, src.context, problems);
  if (src.context) problems.add(src.context.path, "needs --kubeconfig (there are no contexts in the in-cluster config)");
  return inCluster(src.env, src.serviceAccountDir ?? SERVICE_ACCOUNT_DIR, problems);
}

async function inCluster(env: NodeJS.ProcessEnv, dir: string, problems: Problems): Promise<UpstreamConfig | undefined> {
  const host = env["KUBERNETES_SERVICE_HOST"];
  const port = env["KUBERNETES_SERVICE_PORT"];
  if (!host || !port) {
    problems.add("--kubeconfig", "required outside a Kubernetes pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)");
    return undefined;
  }
  const caPath = { value: `${dir}/ca.crt`, path: "--kubeconfig (in-cluster CA)" };
  const caPem = await readSettingFile(caPath, problems);
  const tokenFile = `${dir}/token`;
  try {
    await access(tokenFile);
  } catch {
    problems.add("--kubeconfig (in-cluster token)", `cannot read ${JSON.stringify(tokenFile)}; is a service account token mounted?`);
    return undefined;
  }
  if (caPem === undefined || !parseCertificates(caPem, caPath.path, problems)) return undefined;
  const server = `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  return { server, caPem, tokenFile, insecureSkipTlsVerify: false };
}

async function fromKubeconfig(file: Setting<string>, context: Setting<string> | undefined, problems: Problems): Promise<UpstreamConfig | undefined> {
  let kc: Kubeconfig;
  try {
    kc = await readKubeconfig(file.value);
  } catch (e) {
    problems.add(file.path, `cannot load ${JSON.stringify(file.value)}: ${(e as Error).message}`);
    return undefined;
  }
  const picked = pick(kc, file, context, problems);
  if (!picked) return undefined;
  const { cluster, user } = picked;
  const at = (what: string) => `${what} in ${JSON.stringify(file.value)}`;
  if (!refuseUnsupported(cluster, user, file.path, at, problems)) return undefined;
  const before = problems.list.length;
  const caPem = await pem(cluster.caData, cluster.caFile, `${file.path} (cluster "${cluster.name}" certificate-authority)`, problems);
  if (caPem !== undefined) parseCertificates(caPem, `${file.path} (cluster "${cluster.name}" certificate-authority)`, problems);
  const creds = await credentials(user, file, problems);
  if (problems.list.length > before || !creds) return undefined;
  return {
    server: cluster.server,
    ...(caPem !== undefined ? { caPem } : {}),
    ...creds,
    insecureSkipTlsVerify: cluster.skipTLSVerify,
    ...(cluster.tlsServerName ? { tlsServerName: cluster.tlsServerName } : {}),
  };
}

function pick(kc: Kubeconfig, file: Setting<string>, context: Setting<string> | undefined, problems: Problems): { cluster: Cluster; user: User } | undefined {
  const name = context?.value ?? kc.currentContext;
  const where = JSON.stringify(file.value);
  if (!name) {
    problems.add(file.path, `${where} has no current-context; choose one with --context`);
    return undefined;
  }
  const ctx = kc.contexts.find((c) => c.name === name);
  if (!ctx) {
    problems.add(context?.path ?? file.path, `no context named ${JSON.stringify(name)} in ${where}`);
    return undefined;
  }
  const cluster = kc.clusters.find((c) => c.name === ctx.cluster);
  const user = ctx.user === undefined ? undefined : kc.users.find((u) => u.name === ctx.user);
  if (!cluster) problems.add(file.path, `context ${JSON.stringify(name)} names cluster ${JSON.stringify(ctx.cluster)}, which ${where} does not define`);
  if (!user) problems.add(file.path, `context ${JSON.stringify(name)} names no user defined in ${where}; the proxy needs credentials to impersonate`);
  return cluster && user ? { cluster, user } : undefined;
}

function refuseUnsupported(cluster: Cluster, user: User, path: string, at: (w: string) => string, problems: Problems): boolean {
  const u = at(`user ${JSON.stringify(user.name)}`);
  const fix = "give it a client certificate, token or token-file";
  const refusals: [unknown, string][] = [
    [user.exec, `${u} uses an exec credential plugin, which kubeward does not run; ${fix}`],
    [user.authProvider, `${u} uses an auth-provider, which kubeward does not run; ${fix}`],
    [user.username || user.password, `${u} uses basic auth, which kube-apiserver no longer accepts; ${fix}`],
    [user.impersonateUser, `${u} sets "as": the proxy must act as itself to impersonate others`],
    [cluster.proxyUrl, `${at(`cluster ${JSON.stringify(cluster.name)}`)} sets proxy-url, which kubeward does not support`],
  ];
  refusals.push([!/^https?:\/\/[^/]/.test(cluster.server), `${at(`cluster ${JSON.stringify(cluster.name)}`)} has server ${JSON.stringify(cluster.server)}; it must be an https:// or http:// URL`]);
  for (const [present, message] of refusals) if (present) problems.add(path, message);
  return !refusals.some(([present]) => present);
}

/** Inline base64 data wins over a file, as kubectl does. */
async function pem(data: string | undefined, file: string | undefined, path: string, problems: Problems): Promise<string | undefined> {
  if (data) return Buffer.from(data, "base64").toString("utf8");
  if (file) return readSettingFile({ value: file, path }, problems);
  return undefined;
}

async function credentials(user: User, file: Setting<string>, problems: Problems): Promise<Pick<UpstreamConfig, "certPem" | "keyPem" | "clientCertFiles" | "token" | "tokenFile"> | undefined> {
  const u = `${file.path} (user "${user.name}"`;
  const certPem = await pem(user.certData, user.certFile, `${u} client-certificate)`, problems);
  const keyPem = await pem(user.keyData, user.keyFile, `${u} client-key)`, problems);
  if ((certPem === undefined) !== (keyPem === undefined)) problems.add(file.path, `user ${JSON.stringify(user.name)} needs both a client certificate and its key`);
  if (certPem !== undefined && keyPem !== undefined) {
    checkKeyPair(certPem, keyPem, { value: "", path: `${u} client-certificate)` }, { value: "", path: `${u} client-key)` }, problems);
  }
  const token = user.token;
  const tokenFile = token === undefined ? user.tokenFile : undefined;
  if (certPem === undefined && token === undefined && tokenFile === undefined) {
    problems.add(file.path, `user ${JSON.stringify(user.name)} has no client certificate or token; the proxy needs credentials to impersonate`);
    return undefined;
  }
  // A pair read from files (not inline data, which wins) is re-read as it is renewed, as client-go does.
  const fromFiles = !user.certData && !user.keyData && user.certFile !== undefined && user.keyFile !== undefined;
  return {
    ...(certPem !== undefined && keyPem !== undefined ? { certPem, keyPem } : {}),
    ...(certPem !== undefined && fromFiles ? { clientCertFiles: { certFile: user.certFile, keyFile: user.keyFile } } : {}),
    ...(token !== undefined ? { token } : {}), ...(tokenFile !== undefined ? { tokenFile } : {}),
  };
}
