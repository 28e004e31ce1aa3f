/**
 * The proxy part of `kubeward serve`: the `proxy` section resolved by
 * `kubeward proxy`'s own config code, with serve's defaults (loopback,
 * generated certificate) and the embedded issuer trusted automatically.
 * Without a cluster to proxy to, the part is disabled with a reason.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { Problems, formatProblem } from "../config/errors.ts";
import { resolveIssuers } from "../config/issuers.ts";
import { loadUpstream } from "../config/kubeconfig.ts";
import { deepFreeze } from "../config/load.ts";
import { resolveServing } from "../config/serving.ts";
import type { IssuerSettings as ProxyIssuerSettings, Settings } from "../config/settings.ts";
import type { ProxyConfig } from "../config/types.ts";
import type { CertFiles } from "./pki.ts";
import type { ServeConfig } from "./types.ts";

/** Where the proxy finds the embedded issuer: the URL, the CA of its certificate, and the audience to accept. */
export interface EmbeddedIssuer {
  readonly url: string;
  readonly caFile?: string;
  readonly clientId: string;
}

/** The proxy's resolved config, or why it does not run. */
export type ProxyPart = { readonly config: ProxyConfig } | { readonly disabled: string };

/** Where the proxy serves when the user did not say: the port picked and the generated certificate. */
export interface ProxyServing {
  readonly port?: number;
  readonly cert?: CertFiles;
}

const at = (value: string, path: string) => ({ value, path });

/**
 * `proxy.oidc` entries without an issuerURL configure the embedded issuer
 * (claim mapping, audience); one with serve's defaults is added when none does.
 */
function trustEmbedded(issuers: readonly ProxyIssuerSettings[], embedded: EmbeddedIssuer): ProxyIssuerSettings[] {
  const fill = (s: ProxyIssuerSettings): ProxyIssuerSettings => ({
    ...s,
    issuerURL: at(embedded.url, "issuer.url"),
    clientID: s.clientID ?? (s.audiences ? undefined : at(embedded.clientId, "clients[0].id")),
    caFile: s.caFile ?? (embedded.caFile !== undefined ? at(embedded.caFile, "web.caFile") : undefined),
    usernameClaim: s.usernameClaim ?? at("email", "proxy.oidc.usernameClaim"),
    groupsClaim: s.groupsClaim ?? at("groups", "proxy.oidc.groupsClaim"),
  });
  const list = issuers.map((s) => (s.issuerURL === undefined ? fill(s) : s));
  return issuers.some((s) => s.issuerURL === undefined) ? list : [...list, fill({})];
}

/** serve's defaults under the user's settings: loopback, the port picked, no readiness port, the generated certificate. */
function withDefaults(s: Settings, serving: ProxyServing): Settings {
  return {
    bindAddress: at("127.0.0.1", "proxy.bindAddress"),
    readinessProbePort: { value: 0, path: "proxy.readinessProbePort" },
    ...(serving.cert ? { tlsCertFile: at(serving.cert.certFile, "proxy.tlsCertFile"), tlsPrivateKeyFile: at(serving.cert.keyFile, "proxy.tlsPrivateKeyFile") } : {}),
    ...(serving.port !== undefined ? { securePort: { value: serving.port, path: "proxy.securePort" } } : {}),
    ...s,
  };
}

/** The kubeconfig kubectl would use, when it exists: the first existing file of $KUBECONFIG, else ~/.kube/config. */
export function currentKubeconfig(env: NodeJS.ProcessEnv): { file?: string; looked: string } {
  const listed = (env["KUBECONFIG"] ?? "").split(delimiter).filter((p) => p !== "");
  const candidates = listed.length > 0 ? listed : [join(env["HOME"] ?? homedir(), ".kube", "config")];
  const file = candidates.find((f) => existsSync(f));
  return { ...(file !== undefined ? { file } : {}), looked: listed.length > 0 ? `$KUBECONFIG (${listed.join(delimiter)})` : candidates[0] ?? "" };
}

/**
 * Resolves the proxy part. Problems with what the user chose are recorded;
 * a missing or unusable default kubeconfig disables the part instead.
 */
export async function resolveProxyPart(serve: ServeConfig, serving: ProxyServing, embedded: EmbeddedIssuer, env: NodeJS.ProcessEnv, problems: Problems): Promise<ProxyPart | undefined> {
  const settings = withDefaults(serve.proxy, serving);
  const before = problems.list.length;
  const oidc = await resolveIssuers(trustEmbedded(settings.issuers, embedded), true, true, problems);
  const served = await resolveServing(settings, true, problems);
  const inCluster = env["KUBERNETES_SERVICE_HOST"] !== undefined;
  const found = currentKubeconfig(env);
  if (!serve.upstreamChosen && found.file === undefined && !inCluster) return { disabled: `no kubeconfig to reach a cluster with (${found.looked} does not exist)` };
  const kubeconfig = settings.kubeconfig ?? (found.file !== undefined ? at(found.file, found.looked) : undefined);
  const upstreamProblems = new Problems();
  const upstream = await loadUpstream({ kubeconfig, context: settings.context, env }, upstreamProblems);
  if (!upstreamProblems.empty && !serve.upstreamChosen) return { disabled: formatProblem(upstreamProblems.list[0] ?? { path: "kubeconfig", message: "unusable" }) };
  problems.list.push(...upstreamProblems.list);
  if (problems.list.length > before || !served || !upstream) return undefined;
  return { config: deepFreeze({ oidc, upstream, ...served }) };
}
