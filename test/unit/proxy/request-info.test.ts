import { test } from "node:test";
import assert from "node:assert/strict";
import { checkTarget, requestInfo } from "../../../src/proxy/stages/request-info.ts";
import { isKubewardError } from "../../../src/errors.ts";

const cases: [method: string, target: string, verb: string, klass: string, longRunning: boolean][] = [
  ["GET", "/api/v1/namespaces/default/pods", "list", "resource", false],
  ["GET", "/api/v1/namespaces/default/pods/web-0", "get", "resource", false],
  ["HEAD", "/api/v1/pods/x", "get", "resource", false],
  ["GET", "/api/v1/pods?watch=true", "watch", "resource", true],
  ["GET", "/api/v1/pods?watch=1", "watch", "resource", true],
  ["GET", "/api/v1/pods?watch=false", "list", "resource", false],
  ["GET", "/api/v1/watch/namespaces/default/pods", "watch", "resource", true],
  ["GET", "/apis/apps/v1/namespaces/d/deployments?watch=True&resourceVersion=5", "watch", "resource", true],
  ["POST", "/api/v1/namespaces/default/pods", "create", "resource", false],
  ["PUT", "/api/v1/namespaces/default/pods/web-0/status", "update", "status", false],
  ["PATCH", "/apis/apps/v1/namespaces/d/deployments/x/scale", "patch", "scale", false],
  ["DELETE", "/api/v1/namespaces/default/pods/web-0", "delete", "resource", false],
  ["DELETE", "/api/v1/namespaces/default/pods", "deletecollection", "resource", false],
  ["GET", "/api/v1/namespaces/default/pods/web-0/log", "get", "log", false],
  ["GET", "/api/v1/namespaces/default/pods/web-0/log?follow=true", "get", "log", true],
  ["POST", "/api/v1/namespaces/default/pods/web-0/exec?command=sh", "connect", "exec", true],
  ["GET", "/api/v1/namespaces/default/pods/web-0/attach", "connect", "attach", true],
  ["POST", "/api/v1/namespaces/default/pods/web-0/portforward", "connect", "portforward", true],
  ["GET", "/api/v1/namespaces/default/services/web:80/proxy/index.html", "connect", "proxy", true],
  ["GET", "/api/v1/proxy/namespaces/default/pods/web-0", "connect", "proxy", true],
  ["POST", "/api/v1/namespaces/default/pods/web-0/eviction", "create", "eviction", false],
  ["POST", "/api/v1/namespaces/default/pods/web-0/binding", "create", "binding", false],
  ["GET", "/api/v1/namespaces/default/serviceaccounts/x/token", "get", "other_subresource", false],
  ["GET", "/api/v1/namespaces/kube-system", "get", "resource", false],
  ["PUT", "/api/v1/namespaces/kube-system/finalize", "update", "other_subresource", false],
  ["GET", "/api/v1/namespaces/kube-system/status", "get", "status", false],
  ["GET", "/api/v1/namespaces", "list", "resource", false],
  ["GET", "/version", "get", "nonresource", false],
  ["GET", "/readyz?verbose", "get", "nonresource", false],
  ["POST", "/apis", "post", "nonresource", false],
  ["GET", "/api/v1", "get", "nonresource", false],
  ["GET", "/apis/apps", "get", "nonresource", false],
  ["BREW", "/coffee", "other", "nonresource", false],
  ["BREW", "/api/v1/pods", "other", "resource", false],
];

for (const [method, target, verb, klass, longRunning] of cases) {
  test(`${method} ${target} is ${verb}/${klass}${longRunning ? ", long-running" : ""}`, () => {
    const info = requestInfo(method, target, false);
    assert.equal(info.verb, verb);
    assert.equal(info.class, klass);
    assert.equal(info.longRunning, longRunning);
  });
}

test("namespace, resource, name and subresource are split like kube-apiserver's RequestInfoFactory", () => {
  const info = requestInfo("GET", "/apis/apps/v1/namespaces/prod/deployments/web/scale?x=1", false);
  assert.deepEqual(
    { path: info.path, namespace: info.namespace, resource: info.resource, name: info.name, subresource: info.subresource },
    { path: "/apis/apps/v1/namespaces/prod/deployments/web/scale", namespace: "prod", resource: "deployments", name: "web", subresource: "scale" },
  );
});

test("any upgrade is long-running, even on a non-resource path", () => {
  assert.equal(requestInfo("GET", "/some/path", true).longRunning, true);
  assert.equal(requestInfo("GET", "/api/v1/pods/x", true).longRunning, true);
});

test("only origin-form request targets are accepted", () => {
  assert.doesNotThrow(() => checkTarget("/api?x=1"));
  for (const t of ["http://evil.example/api", "*", ""]) {
    assert.throws(() => checkTarget(t), (e) => isKubewardError(e, "request_invalid"), t);
  }
});
