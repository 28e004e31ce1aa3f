/**
 * What `kubeward serve` tells the person who started it, on stdout: where
 * each part serves (and why the proxy does not, when it does not), the
 * initial admin's password once, and the next steps to a working kubectl.
 */
import type { InitialAdmin } from "./types.ts";

/** The line that shows the initial password; printed on the first start only. */
export function adminPasswordLine(admin: InitialAdmin, password: string): string {
  return `Initial admin password for ${admin.email} (shown only this once; only its bcrypt hash is kept): ${password}\n`;
}

/** Says that a part listens on another port than its default, which is kept for the next start. */
export function movedLine(part: "issuer" | "proxy", wanted: number, port: number): string {
  return `port ${wanted} was taken, so the ${part} listens on ${port} (kept in the state directory for the next start)`;
}

/** One line per part: where it listens, and a port that moved because the default was taken. */
export function listeningLines(s: { issuerUrl: string; stateDir: string; proxy: { url: string; upstream: string } | { disabled: string }; moved: readonly string[] }): string {
  const lines = [`kubeward serve: issuer at ${s.issuerUrl} (state in ${s.stateDir})`];
  lines.push("url" in s.proxy ? `kubeward serve: proxy at ${s.proxy.url} for the cluster at ${s.proxy.upstream}` : `kubeward serve: proxy disabled: ${s.proxy.disabled}`);
  for (const m of s.moved) lines.push(`kubeward serve: ${m}`);
  return lines.map((l) => `${l}\n`).join("");
}

/** The commands that give kubectl a context logging in through this issuer and proxy. */
export function nextSteps(s: { kubeward: string; issuerUrl: string; proxyUrl: string; caFile: string; issuerCaFile?: string; clientId: string; admin?: InitialAdmin }): string {
  const issuerCa = s.issuerCaFile === undefined ? "" : ` \\\n      --oidc-ca-file=${s.issuerCaFile}`;
  const lines = [
    "Next steps:",
    "  1. Add a kubectl context that logs in through kubeward:",
    `     ${s.kubeward} kubeconfig --server=${s.proxyUrl} --certificate-authority=${s.caFile} \\`,
    `      --oidc-issuer-url=${s.issuerUrl} --oidc-client-id=${s.clientId}${issuerCa} \\`,
    "      --oidc-extra-scope=email,groups,offline_access --context-name=kubeward",
    "  2. Use it: kubectl --context=kubeward auth whoami",
  ];
  const group = s.admin?.groups[0];
  if (group !== undefined) {
    lines.push(`  To make ${s.admin?.email ?? ""} a cluster admin (with your current credentials):`);
    lines.push(`     kubectl create clusterrolebinding ${group} --clusterrole=cluster-admin --group=${group}`);
  }
  return lines.map((l) => `${l}\n`).join("");
}

/** What to do when the proxy part is disabled. */
export function proxyDisabledSteps(): string {
  return "Next step: give kubeward a cluster (a kubeconfig whose current context has a client certificate or token, or proxy.kubeconfig in a --config file), then restart kubeward serve.\n";
}
