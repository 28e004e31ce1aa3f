import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { execCredential, readExecInfo, rfc3339 } from "../../../src/login/exec-credential.ts";

describe("KUBERNETES_EXEC_INFO", () => {
  test("unset (run by hand): v1, interactivity unknown", () => {
    assert.deepEqual(readExecInfo(undefined), { apiVersion: "client.authentication.k8s.io/v1", interactive: undefined });
    assert.deepEqual(readExecInfo(""), { apiVersion: "client.authentication.k8s.io/v1", interactive: undefined });
  });

  test("the apiVersion and spec.interactive kubectl sends are kept", () => {
    const v1beta1 = '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":true}}';
    assert.deepEqual(readExecInfo(v1beta1), { apiVersion: "client.authentication.k8s.io/v1beta1", interactive: true });
    const v1 = '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}';
    assert.deepEqual(readExecInfo(v1), { apiVersion: "client.authentication.k8s.io/v1", interactive: false });
  });

  test("v1 without a spec: interactivity unknown", () => {
    assert.equal(readExecInfo('{"apiVersion":"client.authentication.k8s.io/v1"}').interactive, undefined);
  });

  test("an apiVersion kubeward does not speak, or no JSON, is refused with the reason", () => {
    assert.throws(() => readExecInfo('{"apiVersion":"client.authentication.k8s.io/v1alpha1"}'), { message: 'asks for apiVersion "client.authentication.k8s.io/v1alpha1"; kubeward speaks client.authentication.k8s.io/v1 and client.authentication.k8s.io/v1beta1' });
    assert.throws(() => readExecInfo("{"), { message: "is not JSON" });
  });
});

describe("the ExecCredential on stdout", () => {
  test("v1: the token and its expiry in RFC 3339, one JSON line", () => {
    const out = execCredential("client.authentication.k8s.io/v1", "eyJ.token", Date.UTC(2026, 10, 23, 4, 5, 6, 789));
    assert.ok(out.endsWith("}\n") && !out.slice(0, -1).includes("\n"));
    assert.deepEqual(JSON.parse(out), {
      kind: "ExecCredential",
      apiVersion: "client.authentication.k8s.io/v1",
      status: { token: "eyJ.token", expirationTimestamp: "2026-11-23T04:05:06Z" },
    });
  });

  test("v1beta1 is answered in v1beta1; an unknown expiry is left out", () => {
    assert.deepEqual(JSON.parse(execCredential("client.authentication.k8s.io/v1beta1", "t", undefined)), {
      kind: "ExecCredential",
      apiVersion: "client.authentication.k8s.io/v1beta1",
      status: { token: "t" },
    });
  });

  test("RFC 3339 drops milliseconds, as Go's metav1.Time does", () => {
    assert.equal(rfc3339(1_700_000_000_999), "2023-11-14T22:13:20Z");
  });
});
