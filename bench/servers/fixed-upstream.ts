/**
 * A fixed-response HTTPS stand-in for kube-apiserver, run as its own process,
 * so a benchmark measures the proxy and not the upstream: one small
 * ConfigMap, a list of 500, watches that send one event and stay open, and
 * "ok" health endpoints. It checks no credentials. Like kube-apiserver it
 * offers HTTP/2 and HTTP/1.1 by ALPN.
 * Usage: node fixed-upstream.ts <port> <cert.pem> <key.pem>
 */
import { createSecureServer } from "node:http2";
import { readFileSync } from "node:fs";

const [port, certFile, keyFile] = process.argv.slice(2);
if (port === undefined || certFile === undefined || keyFile === undefined) throw new Error("usage: fixed-upstream.ts <port> <cert> <key>");

/** A ConfigMap of about 400 bytes, like a small real object. */
function configMap(name: string, rv: number): Record<string, unknown> {
  return {
    kind: "ConfigMap", apiVersion: "v1",
    metadata: { name, namespace: "default", uid: `0b5c7f0e-1d2a-4c3b-9e8f-${String(rv).padStart(12, "0")}`, resourceVersion: String(rv), creationTimestamp: "2026-01-01T00:00:00Z" },
    data: { "app.properties": "color=blue\nsize=medium\nreplicas=3\n", owner: "team-a" },
  };
}

const SMALL = Buffer.from(JSON.stringify(configMap("small", 1)));
const LIST = Buffer.from(JSON.stringify({
  kind: "ConfigMapList", apiVersion: "v1", metadata: { resourceVersion: "600" },
  items: Array.from({ length: 500 }, (_, i) => configMap(`cm-${i}`, 100 + i)),
}));
const EVENT = Buffer.from(`${JSON.stringify({ type: "ADDED", object: configMap("small", 1) })}\n`);
const OK = Buffer.from("ok");
const JSON_HEADERS = { "content-type": "application/json" };

const server = createSecureServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), allowHTTP1: true }, (req, res) => {
  const url = req.url ?? "/";
  if (url.includes("watch=1") || url.includes("watch=true")) {
    // No length: chunked over HTTP/1.1, an open stream over HTTP/2.
    res.writeHead(200, JSON_HEADERS);
    res.write(EVENT);
    return;
  }
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const body = path === "/readyz" || path === "/healthz" || path === "/livez" ? OK
    : path === "/api/v1/namespaces/default/configmaps" ? LIST : SMALL;
  res.writeHead(200, { ...JSON_HEADERS, "content-length": body.length });
  res.end(body);
});
server.maxConnections = 20_000;
server.listen(Number(port), "127.0.0.1", 1024);
