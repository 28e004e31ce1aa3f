import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { startHarness, send, ALICE, type Harness } from "./proxy-harness.ts";

let h: Harness;
before(async () => { h = await startHarness(); });
after(() => h.close());
beforeEach(() => { h.upstream.reviews.length = 0; });

const AS_BOB = ["Authorization", "Bearer alice-token", "Impersonate-User", "bob", "Impersonate-Group", "testers", "Impersonate-Uid", "b-7", "Impersonate-Extra-Scopes", "view", "Impersonate-Extra-Example.com%2Fteam", "red"];

test("allowed client impersonation runs upstream as the target and records the original user in extras", async () => {
  h.upstream.setReviewer(() => ({ allowed: true }));
  const reply = await send(h, "/api/v1/pods", AS_BOB);
  assert.equal(reply.status, 200);
  const r = h.upstream.requests.at(-1);
  assert.deepEqual(r?.values("impersonate-user"), ["bob"]);
  assert.deepEqual(r?.values("impersonate-group"), ["testers"]);
  assert.deepEqual(r?.values("impersonate-uid"), ["b-7"]);
  assert.deepEqual(r?.values("impersonate-extra-scopes"), ["view"]);
  assert.deepEqual(r?.values("impersonate-extra-example.com%2fteam"), ["red"]);
  assert.deepEqual(r?.values("impersonate-extra-kubeward.dev%2foriginal-user"), [ALICE.username]);
  assert.deepEqual(r?.values("impersonate-extra-kubeward.dev%2foriginal-groups"), ["devs", "ops team"]);
  assert.deepEqual(r?.values("impersonate-extra-kubeward.dev%2foriginal-uid"), ["u-1"]);
  assert.deepEqual(r?.values("impersonate-extra-example.com%2ftenant"), [], "the caller's own extras are not the target's");
});

test("one SubjectAccessReview per requested value, with the attributes kube-apiserver checks, for the authenticated user", async () => {
  h.upstream.setReviewer(() => ({ allowed: true }));
  await send(h, "/api/v1/pods", AS_BOB);
  const attrs = h.upstream.reviews.map((s) => s["resourceAttributes"]);
  assert.deepEqual(attrs, [
    { verb: "impersonate", group: "", version: "v1", name: "bob", resource: "users" },
    { verb: "impersonate", group: "", version: "v1", name: "testers", resource: "groups" },
    { verb: "impersonate", group: "authentication.k8s.io", version: "v1", name: "view", resource: "userextras", subresource: "scopes" },
    { verb: "impersonate", group: "authentication.k8s.io", version: "v1", name: "red", resource: "userextras", subresource: "example.com/team" },
    { verb: "impersonate", group: "authentication.k8s.io", version: "v1", name: "b-7", resource: "uids" },
  ]);
  const spec = h.upstream.reviews[0];
  assert.equal(spec?.["user"], ALICE.username);
  assert.deepEqual(spec?.["groups"], [...ALICE.groups, "system:authenticated"], "reviewed as kube-apiserver sees an authenticated user");
  assert.equal(spec?.["uid"], "u-1");
  assert.deepEqual(spec?.["extra"], ALICE.extra);
});

test("a service account is checked as serviceaccounts in its namespace", async () => {
  h.upstream.setReviewer(() => ({ allowed: true }));
  await send(h, "/api/v1/pods", ["Authorization", "Bearer alice-token", "Impersonate-User", "system:serviceaccount:kube-system:deployer"]);
  assert.deepEqual(h.upstream.reviews.map((s) => s["resourceAttributes"]), [
    { verb: "impersonate", group: "", version: "v1", name: "deployer", resource: "serviceaccounts", namespace: "kube-system" },
  ]);
  const r = h.upstream.requests.at(-1);
  assert.deepEqual(r?.values("impersonate-user"), ["system:serviceaccount:kube-system:deployer"]);
  assert.deepEqual(r?.values("impersonate-group"), [], "kube-apiserver adds the service-account groups itself");
});

test("a denied value is a 403 Status in kube-apiserver's wording and nothing is forwarded", async () => {
  h.upstream.setReviewer((spec) => ({ allowed: (spec["resourceAttributes"] as { resource: string }).resource !== "groups" }));
  const before = h.upstream.requests.length;
  const reply = await send(h, "/api/v1/pods", AS_BOB);
  assert.equal(reply.status, 403);
  assert.deepEqual(reply.json(), {
    kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure",
    message: `groups "testers" is forbidden: User "alice@example.com" cannot impersonate resource "groups" in API group "" at the cluster scope`,
    reason: "Forbidden", details: { name: "testers", group: "", kind: "groups" }, code: 403,
  });
  assert.equal(h.upstream.requests.length, before);
  const text = await h.metrics.registry.getSingleMetricAsString("kubeward_impersonation_reviews_total");
  assert.match(text, /result="denied"\} 1/);
});

test("denied extras and namespaced service accounts name the subresource and namespace", async () => {
  h.upstream.setReviewer(() => ({ allowed: false, reason: "no RBAC policy matched" }));
  const extra = await send(h, "/api", ["Authorization", "Bearer alice-token", "Impersonate-User", "bob", "Impersonate-Extra-Scopes", "view"]);
  assert.equal(extra.json()["message"], `users "bob" is forbidden: User "alice@example.com" cannot impersonate resource "users" in API group "" at the cluster scope: no RBAC policy matched`);
  h.upstream.setReviewer((spec) => ({ allowed: (spec["resourceAttributes"] as { resource: string }).resource === "users" }));
  const ex = await send(h, "/api", ["Authorization", "Bearer alice-token", "Impersonate-User", "bob", "Impersonate-Extra-Scopes", "view"]);
  assert.equal(ex.json()["message"], `userextras.authentication.k8s.io "view" is forbidden: User "alice@example.com" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope`);
  h.upstream.setReviewer(() => ({ allowed: false }));
  const sa = await send(h, "/api", ["Authorization", "Bearer alice-token", "Impersonate-User", "system:serviceaccount:ns1:builder"]);
  assert.equal(sa.json()["message"], `serviceaccounts "builder" is forbidden: User "alice@example.com" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns1"`);
});

test("groups, extras or a uid without a user are a 400 BadRequest, with no review", async () => {
  const messages: string[] = [];
  for (const headers of [["Impersonate-Group", "testers"], ["Impersonate-Uid", "x"], ["Impersonate-Extra-Scopes", "view"]]) {
    const reply = await send(h, "/api", ["Authorization", "Bearer alice-token", ...headers]);
    assert.equal(reply.status, 400);
    assert.equal(reply.json()["reason"], "BadRequest");
    messages.push(String(reply.json()["message"]));
  }
  // Go's %v of the []v1.ObjectReference kube-apiserver builds.
  assert.deepEqual(messages, [
    "requested [{Group  testers    }] without impersonating a user",
    "requested [{UID  x  authentication.k8s.io/v1  }] without impersonating a user",
    "requested [{UserExtra  view  authentication.k8s.io/v1  scopes}] without impersonating a user",
  ]);
  assert.equal(h.upstream.reviews.length, 0);
  assert.ok(h.logs().some((l) => l["code"] === 400 && l["reason"] === "impersonation_invalid"));
});

test("impersonation is checked for the authenticated user only after authentication", async () => {
  const reply = await send(h, "/api", ["Authorization", "Bearer nope", "Impersonate-User", "bob"]);
  assert.equal(reply.status, 401);
  assert.equal(h.upstream.reviews.length, 0);
});
