/**
 * kubectl helpers shared by the proxy e2e suites: run-or-throw as the admin,
 * RBAC grants for a test user, and reading `kubectl auth whoami -o json`.
 */
import type { ClusterClient } from "../../fixtures/cluster/client.ts";
import type { KubectlOptions } from "../../fixtures/cluster/kubectl.ts";

/** Runs kubectl with `kubeconfig`; throws with its stderr unless it exits 0. Returns stdout. */
export async function kubectlOk(cluster: ClusterClient, kubeconfig: string, args: readonly string[], options: KubectlOptions = {}): Promise<string> {
  const r = await cluster.kubectlAs(kubeconfig, args, options);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** One RBAC PolicyRule. */
export interface Rule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

/**
 * Creates, as the admin, a ClusterRole `name` with `rules` and binds it to
 * `user` cluster-wide. (The built-in aggregated roles such as `admin` are
 * empty here: no controller-manager aggregates them.)
 */
export async function grantRules(cluster: ClusterClient, name: string, user: string, rules: readonly Rule[]): Promise<void> {
  const role = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name }, rules };
  const binding = {
    apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
  };
  await kubectlOk(cluster, cluster.adminKubeconfig, ["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: [role, binding] }) });
}

/** Deletes the ClusterRole and ClusterRoleBinding `name` as the admin. */
export async function revokeRules(cluster: ClusterClient, name: string): Promise<void> {
  await kubectlOk(cluster, cluster.adminKubeconfig, ["delete", "clusterrolebinding,clusterrole", name, "--ignore-not-found"]);
}

/** The identity kube-apiserver saw, from a SelfSubjectReview. */
export interface WhoAmI {
  readonly username: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
  readonly uid?: string;
}

/** Parses `kubectl auth whoami -o json` output. */
export function parseWhoAmI(stdout: string): WhoAmI {
  const review = JSON.parse(stdout) as { status?: { userInfo?: { username?: string; groups?: string[]; extra?: Record<string, string[]>; uid?: string } } };
  const info = review.status?.userInfo ?? {};
  return { username: info.username ?? "", groups: info.groups ?? [], extra: info.extra ?? {}, ...(info.uid === undefined ? {} : { uid: info.uid }) };
}
