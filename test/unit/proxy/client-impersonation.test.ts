import { test } from "node:test";
import assert from "node:assert/strict";
import {
  authorizeImpersonation, hasImpersonationHeaders, impersonatedUser, impersonationAttributes, parseImpersonation,
} from "../../../src/proxy/stages/client-impersonation.ts";
import { KubeStatusError, toStatus } from "../../../src/proxy/status.ts";
import { isKubewardError, KubewardError } from "../../../src/errors.ts";
import { Metrics } from "../../../src/metrics/metrics.ts";
import type { AccessReviewer } from "../../../src/proxy/access-review.ts";

const alice = { username: "alice", groups: ["devs"], extra: {} };

test("headers are parsed in kube-apiserver's order: user, groups, extras, uid", () => {
  const requests = parseImpersonation([
    "Impersonate-Uid", "u1", "impersonate-group", "a", "Impersonate-Extra-Scopes", "s1",
    "IMPERSONATE-USER", "bob", "Impersonate-Group", "b, c", "Impersonate-Extra-scopes", "s2", "Impersonate-User", "ignored",
  ]);
  assert.deepEqual(requests, [
    { kind: "User", name: "bob" },
    { kind: "Group", name: "a" },
    { kind: "Group", name: "b, c" },
    { kind: "UserExtra", name: "s1", extraKey: "scopes" },
    { kind: "UserExtra", name: "s2", extraKey: "scopes" },
    { kind: "UID", name: "u1" },
  ]);
});

test("extra keys are lowercased then path-unescaped; a malformed escape is kept as sent", () => {
  const keys = (name: string) => parseImpersonation(["Impersonate-User", "u", name, "v"]).at(-1)?.extraKey;
  assert.equal(keys("Impersonate-Extra-Example.com%2FTeam"), "example.com/team");
  assert.equal(keys("Impersonate-Extra-a%25b"), "a%b");
  assert.equal(keys("Impersonate-Extra-caf%C3%A9"), "café");
  assert.equal(keys("Impersonate-Extra-bad%zz"), "bad%zz");
});

test("service-account users become ServiceAccount requests; odd shapes stay users", () => {
  assert.deepEqual(parseImpersonation(["Impersonate-User", "system:serviceaccount:ns:sa"]), [{ kind: "ServiceAccount", namespace: "ns", name: "sa" }]);
  assert.deepEqual(parseImpersonation(["Impersonate-User", "system:serviceaccount:ns"]), [{ kind: "User", name: "system:serviceaccount:ns" }]);
  assert.deepEqual(parseImpersonation(["Impersonate-User", "system:serviceaccount:a:b:c"]), [{ kind: "User", name: "system:serviceaccount:a:b:c" }]);
  assert.deepEqual(parseImpersonation(["Impersonate-User", "system:serviceaccount:kube-system:my.sa-1"]), [{ kind: "ServiceAccount", namespace: "kube-system", name: "my.sa-1" }]);
  for (const invalid of ["system:serviceaccount:NS:sa", "system:serviceaccount:ns.x:sa", "system:serviceaccount:ns:Sa", "system:serviceaccount::sa", "system:serviceaccount:ns:"]) {
    assert.deepEqual(parseImpersonation(["Impersonate-User", invalid]), [{ kind: "User", name: invalid }], invalid);
  }
});

test("UTF-8 values read from the wire are decoded", () => {
  const wire = Buffer.from("Zoë", "utf8").toString("latin1");
  assert.deepEqual(parseImpersonation(["Impersonate-User", wire]), [{ kind: "User", name: "Zoë" }]);
});

test("an empty user with nothing else means no impersonation; with groups it is a 400", () => {
  assert.deepEqual(parseImpersonation(["Impersonate-User", ""]), []);
  assert.equal(hasImpersonationHeaders(["Accept", "x"]), false);
  assert.equal(hasImpersonationHeaders(["impersonate-group", "x"]), true);
  assert.throws(() => parseImpersonation(["Impersonate-User", "", "Impersonate-Group", "g"]), (e) => {
    assert.ok(e instanceof KubeStatusError && e.code === "impersonation_invalid");
    assert.deepEqual(toStatus(e), {
      kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure",
      message: "requested [{Group  g    }] without impersonating a user", reason: "BadRequest", code: 400,
    });
    return true;
  });
});

test("attributes match kube-apiserver's impersonation filter", () => {
  assert.deepEqual(impersonationAttributes({ kind: "UID", name: "x" }),
    { verb: "impersonate", group: "authentication.k8s.io", version: "v1", name: "x", resource: "uids" });
  assert.deepEqual(impersonationAttributes({ kind: "ServiceAccount", name: "sa", namespace: "ns" }),
    { verb: "impersonate", group: "", version: "v1", name: "sa", resource: "serviceaccounts", namespace: "ns" });
});

test("the target identity is exactly what was asked (kube-apiserver adds its own group defaults)", () => {
  assert.deepEqual(impersonatedUser(parseImpersonation(["Impersonate-User", "system:serviceaccount:ns:sa", "Impersonate-Uid", "9", "Impersonate-Extra-k", "v"])),
    { username: "system:serviceaccount:ns:sa", groups: [], extra: { k: ["v"] }, uid: "9" });
});

test("every value is reviewed; the first refused one, in request order, names the 403", async () => {
  const metrics = new Metrics();
  const seen: string[] = [];
  const review: AccessReviewer = async (_u, a) => {
    seen.push(`${a.resource}:${a.name}`);
    return { allowed: a.resource === "users", reason: a.resource === "groups" ? "group policy" : "" };
  };
  const requests = parseImpersonation(["Impersonate-User", "bob", "Impersonate-Group", "g1", "Impersonate-Uid", "7"]);
  await assert.rejects(authorizeImpersonation(alice, requests, review, metrics), (e) => {
    assert.ok(e instanceof KubeStatusError);
    assert.equal(e.publicMessage, `groups "g1" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" at the cluster scope: group policy`);
    return true;
  });
  assert.deepEqual(seen.sort(), ["groups:g1", "uids:7", "users:bob"]);
  const text = await metrics.registry.getSingleMetricAsString("kubeward_impersonation_reviews_total");
  assert.match(text, /result="allowed"\} 1/);
  assert.match(text, /result="denied"\} 2/);
});

test("allowed impersonation resolves with the target; a failing review is counted and rethrown", async () => {
  const metrics = new Metrics();
  const requests = parseImpersonation(["Impersonate-User", "bob", "Impersonate-Group", "g"]);
  assert.deepEqual(await authorizeImpersonation(alice, requests, async () => ({ allowed: true, reason: "" }), metrics),
    { username: "bob", groups: ["g"], extra: {} });
  const failing: AccessReviewer = async () => { throw new KubewardError("upstream_unavailable"); };
  await assert.rejects(authorizeImpersonation(alice, requests, failing, metrics), (e) => isKubewardError(e, "upstream_unavailable"));
  assert.match(await metrics.registry.getSingleMetricAsString("kubeward_impersonation_reviews_total"), /result="error"\} 2/);
});
