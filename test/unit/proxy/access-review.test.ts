import { test } from "node:test";
import assert from "node:assert/strict";
import { createAccessReviewer } from "../../../src/proxy/access-review.ts";
import type { Upstream } from "../../../src/proxy/upstream.ts";
import { isKubewardError } from "../../../src/errors.ts";

function upstreamAnswering(statusCode: number, body: unknown, calls: unknown[][] = []): Upstream {
  return { requestJson: async (...args: unknown[]) => { calls.push(args); return { statusCode, body }; } } as unknown as Upstream;
}

const alice = { username: "alice", uid: "u1", groups: ["devs"], extra: { "example.com/t": ["x"] } };
const attrs = { verb: "impersonate", group: "", version: "v1", resource: "users", name: "bob" };

test("a SubjectAccessReview carries the user, groups, uid, extras and attributes", async () => {
  const calls: unknown[][] = [];
  const review = createAccessReviewer(upstreamAnswering(201, { status: { allowed: true } }, calls));
  assert.deepEqual(await review(alice, attrs), { allowed: true, reason: "" });
  assert.deepEqual(calls[0], ["POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
    apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview",
    spec: { user: "alice", groups: ["devs"], uid: "u1", extra: { "example.com/t": ["x"] }, resourceAttributes: attrs },
  }]);
});

test("denied, explicitly denied and reasons are read from the status", async () => {
  assert.deepEqual(await createAccessReviewer(upstreamAnswering(201, { status: { allowed: false, reason: "no" } }))(alice, attrs), { allowed: false, reason: "no" });
  assert.deepEqual(await createAccessReviewer(upstreamAnswering(201, { status: { allowed: true, denied: true } }))(alice, attrs), { allowed: false, reason: "" });
  assert.deepEqual(await createAccessReviewer(upstreamAnswering(201, {}))(alice, attrs), { allowed: false, reason: "" });
});

test("a review the proxy may not create is an upstream error, not a denial", async () => {
  await assert.rejects(createAccessReviewer(upstreamAnswering(403, { kind: "Status" }))(alice, attrs), (e) => isKubewardError(e, "upstream_error"));
  await assert.rejects(createAccessReviewer(upstreamAnswering(201, undefined))(alice, attrs), (e) => isKubewardError(e, "upstream_error"));
});
