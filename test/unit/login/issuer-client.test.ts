import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as oidc from "openid-client";
import { KubewardError } from "../../../src/errors.ts";
import { asLoginError } from "../../../src/login/issuer-client.ts";
import { describeLoginError } from "../../../src/login/messages.ts";

const CTX = { issuerUrl: "https://idp.example", timeout: "3m" };

/** A fetch failure as undici reports it: TypeError("fetch failed") caused by the socket error. */
function fetchFailed(code: string, message = code): TypeError {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(message), { code }) });
}

function oauthError(error: string, description?: string): oidc.ResponseBodyError {
  const body = description === undefined ? { error } : { error, error_description: description };
  return new oidc.ResponseBodyError("server responded with an error in the response body", { cause: body, response: new Response(JSON.stringify(body), { status: 400 }) });
}

const line = (e: unknown) => describeLoginError(asLoginError(e), CTX);

describe("what the user reads for each failure", () => {
  test("unreachable: the errno", () => {
    assert.equal(line(fetchFailed("ECONNREFUSED")), "cannot reach the issuer https://idp.example (ECONNREFUSED)");
    assert.equal(line(fetchFailed("ENOTFOUND", "getaddrinfo ENOTFOUND idp.example")), "cannot reach the issuer https://idp.example (ENOTFOUND)");
  });

  test("an untrusted or mismatched certificate names --certificate-authority", () => {
    for (const code of ["SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "ERR_TLS_CERT_ALTNAME_INVALID", "CERT_HAS_EXPIRED"]) {
      assert.equal(line(fetchFailed(code)), `the TLS certificate of the issuer https://idp.example is not trusted (${code}); give its CA with --certificate-authority`);
    }
  });

  test("OAuth errors: access_denied is a denial, the rest a refusal, with the description", () => {
    assert.equal(line(oauthError("access_denied", "End-User aborted interaction")), "the login was denied at the issuer (access_denied: End-User aborted interaction)");
    assert.equal(line(oauthError("invalid_grant")), "the issuer refused the login (invalid_grant)");
    assert.equal(asLoginError(oauthError("invalid_grant")).code, "login_failed");
  });

  test("a timeout names --authentication-timeout; a catalogue error passes through", () => {
    assert.equal(line(new KubewardError("login_timeout")), "the login did not finish within 3m; try again or raise --authentication-timeout");
    const e = new KubewardError("login_needs_terminal", "give --password");
    assert.equal(asLoginError(e), e);
  });

  test("anything else is an internal error with its message, never a stack", () => {
    assert.equal(line(new Error("EACCES: permission denied, mkdir '/x'")), "an internal error occurred (EACCES: permission denied, mkdir '/x')");
  });
});
