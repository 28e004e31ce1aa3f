import { test, describe, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { chmod, lstat, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { ConfigError } from "../../../src/config/errors.ts";
import { mergeKubeconfig, standaloneKubeconfig, writeKubeconfig, type KubeconfigEntries } from "../../../src/login/kubeconfig-merge.ts";

const ENTRIES: KubeconfigEntries = {
  cluster: { name: "kw", cluster: { server: "https://proxy.example:6443", "certificate-authority-data": "Q0E=" } },
  user: { name: "kw", user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "/usr/bin/kubeward", args: ["login", "--oidc-client-id=k"] } } },
  context: { name: "kw", context: { cluster: "kw", user: "kw" } },
  setCurrent: false,
};

const EXISTING = `# managed by hand
apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod.example   # the real one
- name: kw
  cluster:
    server: https://stale.example
contexts:
- name: prod
  context:
    cluster: prod
    user: admin
users:
- name: admin
  user:
    token: secret-admin-token
current-context: prod
preferences: {}
`;

describe("merging into a kubeconfig", () => {
  test("other entries, the current context and comments are kept; a same-named entry is replaced", () => {
    const merged = mergeKubeconfig(EXISTING, ENTRIES, "config");
    const doc = parse(merged);
    assert.deepEqual(doc.clusters.map((c: { name: string }) => c.name), ["prod", "kw"]);
    assert.equal(doc.clusters[0].cluster.server, "https://prod.example");
    assert.deepEqual(doc.clusters[1], ENTRIES.cluster);
    assert.deepEqual(doc.users, [{ name: "admin", user: { token: "secret-admin-token" } }, ENTRIES.user]);
    assert.deepEqual(doc.contexts.map((c: { name: string }) => c.name), ["prod", "kw"]);
    assert.equal(doc["current-context"], "prod");
    assert.match(merged, /^# managed by hand\n/);
    assert.match(merged, /# the real one/);
  });

  test("--set-current makes the context current", () => {
    assert.equal(parse(mergeKubeconfig(EXISTING, { ...ENTRIES, setCurrent: true }, "config"))["current-context"], "kw");
  });

  test("idempotent: merging twice gives the same text", () => {
    const once = mergeKubeconfig(EXISTING, ENTRIES, "config");
    assert.equal(mergeKubeconfig(once, ENTRIES, "config"), once);
  });

  test("empty lists, null sections and flow lists are filled in block style", () => {
    const merged = mergeKubeconfig("apiVersion: v1\nkind: Config\nclusters: []\nusers:\ncontexts: [{name: a, context: {cluster: a}}]\n", ENTRIES, "config");
    const doc = parse(merged);
    assert.deepEqual(doc.clusters, [ENTRIES.cluster]);
    assert.deepEqual(doc.users, [ENTRIES.user]);
    assert.deepEqual(doc.contexts.map((c: { name: string }) => c.name), ["a", "kw"]);
    assert.doesNotMatch(merged, /\[/);
  });

  test("a file that is not a kubeconfig is refused, naming --kubeconfig and the file", () => {
    assert.throws(() => mergeKubeconfig("clusters: [\n", ENTRIES, "/home/j/.kube/config"), (e) => e instanceof ConfigError && /^--kubeconfig: \/home\/j\/\.kube\/config is not valid YAML/.test(e.lines()[0]?.replace("kubeward: ", "") ?? ""));
    assert.throws(() => mergeKubeconfig("- a\n- b\n", ENTRIES, "f"), (e) => e instanceof ConfigError && e.problems[0]?.message === "f is not a kubeconfig (not a YAML mapping)");
    assert.throws(() => mergeKubeconfig("clusters: yes\n", ENTRIES, "f"), (e) => e instanceof ConfigError && e.problems[0]?.message === "f has a clusters field that is not a list");
  });

  test("--print: a kubeconfig of the entries alone, current context set", () => {
    const doc = parse(standaloneKubeconfig(ENTRIES));
    assert.deepEqual(doc, { apiVersion: "v1", kind: "Config", clusters: [ENTRIES.cluster], contexts: [ENTRIES.context], users: [ENTRIES.user], preferences: {}, "current-context": "kw" });
  });
});

describe("writing the kubeconfig file", () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), "kubeward-kubeconfig-")); });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test("a new file (and directory) is created 0600", async () => {
    const path = join(dir, "new", ".kube", "config");
    await writeKubeconfig(path, ENTRIES);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(parse(await readFile(path, "utf8")).users, [ENTRIES.user]);
  });

  test("an existing file keeps its mode and its other entries, and no temporary file is left", async () => {
    const path = join(dir, "config");
    await writeFile(path, EXISTING);
    await chmod(path, 0o640);
    await writeKubeconfig(path, ENTRIES);
    assert.equal((await stat(path)).mode & 0o777, 0o640);
    const doc = parse(await readFile(path, "utf8"));
    assert.equal(doc.users[0].user.token, "secret-admin-token");
    assert.deepEqual(await readdir(dir), ["config"]);
    const first = await readFile(path, "utf8");
    await writeKubeconfig(path, ENTRIES);
    assert.equal(await readFile(path, "utf8"), first);
  });

  test("a symlinked kubeconfig is written through: the link stays a link", async () => {
    const real = join(dir, "real-config");
    const link = join(dir, "config");
    await writeFile(real, EXISTING);
    await symlink(real, link);
    await writeKubeconfig(link, ENTRIES);
    assert.equal((await lstat(link)).isSymbolicLink(), true);
    assert.deepEqual(parse(await readFile(real, "utf8")).users.map((u: { name: string }) => u.name), ["admin", "kw"]);
  });

  test("a broken file is left exactly as it was", async () => {
    const path = join(dir, "config");
    await writeFile(path, "clusters: [\n");
    await assert.rejects(writeKubeconfig(path, ENTRIES), ConfigError);
    assert.equal(await readFile(path, "utf8"), "clusters: [\n");
  });
});
