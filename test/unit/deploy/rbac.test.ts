import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { DEFAULT_RBAC_OPTIONS, forwardedExtraKeys, proxyClusterRole, proxyClusterRoleBinding, renderProxyRbac } from "../../../src/deploy/rbac.ts";
import { run } from "../../../src/cli/run.ts";

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

function rules(options = DEFAULT_RBAC_OPTIONS): Rule[] {
  return proxyClusterRole(options)["rules"] as Rule[];
}

/** Every (group, resource, verb) the role grants, as "group/resource:verb". */
function grants(options = DEFAULT_RBAC_OPTIONS): string[] {
  return rules(options).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))));
}

async function cli(...argv: string[]) {
  const out = { stdout: "", stderr: "" };
  const io = { stdout: (t: string) => { out.stdout += t; }, stderr: (t: string) => { out.stderr += t; }, env: {}, shutdownSignal: () => new Promise<string>(() => undefined) };
  const code = await run(["rbac", ...argv], io);
  return { code, ...out };
}

describe("the proxy's ClusterRole", () => {
  test("by default grants impersonation, the fixed extras and the two reviews, nothing else", () => {
    assert.deepEqual(grants().sort(), [
      "/groups:impersonate", "/serviceaccounts:impersonate", "/users:impersonate",
      "authentication.k8s.io/tokenreviews:create",
      "authentication.k8s.io/uids:impersonate",
      "authentication.k8s.io/userextras/authentication.kubernetes.io/credential-id:impersonate",
      "authentication.k8s.io/userextras/kubeward.dev/original-groups:impersonate",
      "authentication.k8s.io/userextras/kubeward.dev/original-uid:impersonate",
      "authentication.k8s.io/userextras/kubeward.dev/original-user:impersonate",
      "authorization.k8s.io/subjectaccessreviews:create",
    ]);
  });

  test("has no wildcard and no read or write verb", () => {
    const all = rules({ ...DEFAULT_RBAC_OPTIONS, clientIpExtra: true, extraUserHeaderKeys: ["team"] });
    for (const r of all) {
      assert.ok(!r.resources.includes("*") && !r.verbs.includes("*") && !r.apiGroups.includes("*"), JSON.stringify(r));
      assert.ok(r.verbs.every((v) => v === "impersonate" || v === "create"), JSON.stringify(r));
    }
  });

  test("grants remote-client-ip only when the client address is forwarded", () => {
    assert.ok(!forwardedExtraKeys(DEFAULT_RBAC_OPTIONS).includes("remote-client-ip"));
    assert.ok(forwardedExtraKeys({ ...DEFAULT_RBAC_OPTIONS, clientIpExtra: true }).includes("remote-client-ip"));
  });

  test("grants each static and client extra key once, lowercased as kube-apiserver authorizes it", () => {
    const keys = forwardedExtraKeys({ ...DEFAULT_RBAC_OPTIONS, extraUserHeaderKeys: ["Team", "example.com/Zone"], clientExtraKeys: ["team", "scopes"] });
    assert.deepEqual(keys.slice(4), ["example.com/zone", "scopes", "team"]);
  });
});

describe("the binding", () => {
  test("binds the service account and the users to the role of the same name", () => {
    const b = proxyClusterRoleBinding({ ...DEFAULT_RBAC_OPTIONS, name: "kw", serviceAccount: { namespace: "ops", name: "kw-sa" }, users: ["kw-cert"] });
    assert.deepEqual(b["roleRef"], { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kw" });
    assert.deepEqual(b["subjects"], [
      { kind: "ServiceAccount", name: "kw-sa", namespace: "ops" },
      { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "kw-cert" },
    ]);
  });

  test("refuses to bind nobody", () => {
    const { serviceAccount: _, ...rest } = DEFAULT_RBAC_OPTIONS;
    assert.throws(() => proxyClusterRoleBinding(rest), /needs a service account or a user/);
  });

  test("renders as two YAML documents that parse back to the objects", () => {
    const docs = parseAllDocuments(renderProxyRbac(DEFAULT_RBAC_OPTIONS)).map((d) => d.toJS() as Record<string, unknown>);
    assert.deepEqual(docs, [proxyClusterRole(DEFAULT_RBAC_OPTIONS), proxyClusterRoleBinding(DEFAULT_RBAC_OPTIONS)]);
  });
});

describe("kubeward rbac", () => {
  test("reads the extras from the proxy config file and flags", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kubeward-rbac-"));
    try {
      const file = join(dir, "proxy.yaml");
      await writeFile(file, "extraUserHeaders:\n  Team: platform\nextraUserHeaderClientIP: true\n");
      const r = await cli("--config", file, "--extra-user-headers=zone=eu", "--namespace=ops", "--client-extra-key", "scopes");
      assert.equal(r.code, 0, r.stderr);
      const [role, binding] = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, unknown>);
      // A flag replaces the file's --extra-user-headers, as for `kubeward proxy`.
      assert.deepEqual((role?.["rules"] as Rule[])[1]?.resources.slice(5), ["userextras/remote-client-ip", "userextras/scopes", "userextras/zone"]);
      assert.deepEqual(binding?.["subjects"], [{ kind: "ServiceAccount", name: "kubeward-proxy", namespace: "ops" }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("names each problem and exits 2", async () => {
    const r = await cli("--config", "/nonexistent/kubeward.yaml", "--service-account=-");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^kubeward rbac: --config: cannot read "\/nonexistent\/kubeward.yaml": ENOENT$/m);
    const bad = await cli("--service-account=-", "--bogus");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /kubeward rbac: --bogus: unknown flag/);
    const none = await cli("--service-account", "-");
    assert.match(none.stderr, /kubeward rbac: --service-account: '-' binds no service account, so give --user/);
  });

  test("--help lists its flags", async () => {
    const r = await cli("--help");
    assert.equal(r.code, 0);
    for (const flag of ["--name", "--namespace", "--service-account", "--user", "--client-extra-key", "--config"]) assert.ok(r.stdout.includes(flag), flag);
  });
});
