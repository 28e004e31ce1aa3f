import { test } from "node:test";
import assert from "node:assert/strict";
import { upstreamFailure } from "../../../src/proxy/upstream.ts";
import { responseHeaders } from "../../../src/proxy/stages/forward.ts";

const err = (code: string) => Object.assign(new Error(code), { code });

test("transport failures map to 503 (unreachable), 504 (timeout) and 502 (bad answer) with a metric kind", () => {
  const cases: [string, string, string][] = [
    ["ECONNREFUSED", "upstream_unavailable", "connect"], ["ENOTFOUND", "upstream_unavailable", "connect"],
    ["UND_ERR_CONNECT_TIMEOUT", "upstream_unavailable", "connect"], ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "upstream_unavailable", "tls"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "upstream_unavailable", "tls"], ["DEPTH_ZERO_SELF_SIGNED_CERT", "upstream_unavailable", "tls"],
    ["UND_ERR_HEADERS_TIMEOUT", "upstream_timeout", "timeout"], ["ECONNRESET", "upstream_error", "reset"],
    ["UND_ERR_SOCKET", "upstream_error", "reset"], ["HPE_INVALID_CONSTANT", "upstream_error", "bad_response"],
  ];
  for (const [code, error, kind] of cases) {
    const f = upstreamFailure(err(code));
    assert.equal(f.error.code, error, code);
    assert.equal(f.kind, kind, code);
    assert.match(f.error.detail ?? "", new RegExp(code));
  }
});

test("response headers lose hop-by-hop ones and those named in Connection", () => {
  assert.deepEqual(responseHeaders({
    "content-type": "application/json", "transfer-encoding": "chunked", connection: "keep-alive, x-hop", "keep-alive": "timeout=5",
    "x-hop": "1", "audit-id": "a", "set-cookie": ["a=1", "b=2"],
  }), { "content-type": "application/json", "audit-id": "a", "set-cookie": ["a=1", "b=2"] });
});
