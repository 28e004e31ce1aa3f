/**
 * What a heap dump of the real `kubeward proxy` shows while watches and an
 * exec session are open through it: the user, never the bearer token the
 * stream was opened with, over HTTP/1.1 (where Node keeps a request's headers
 * until its response ends or its upgraded connection closes) and HTTP/2.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import type { ClientRequest } from "node:http";
import { request } from "node:https";
import { connect, type ClientHttp2Session } from "node:http2";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { stopKubectl, waitForOutput } from "../../fixtures/cluster/streams.ts";
import { startTestIssuer, type TestIssuer } from "../../tools/test-issuer.ts";
import { startProxy, type RunningProxy } from "../support/proxy.ts";
import { grantRules, revokeRules } from "../support/kubectl.ts";

const cluster = useCluster();
const WATCH = "/api/v1/namespaces/default/configmaps?watch=1";
const POD = "heap-e2e";

/** Opens an HTTP/1.1 watch; resolves once its response headers arrived. */
async function watchHttp1(proxy: RunningProxy, token: string): Promise<{ close(): void }> {
  const req: ClientRequest = request(`${proxy.url}${WATCH}`, { ca: proxy.caPem, agent: false, headers: { authorization: `Bearer ${token}` } });
  const status = await new Promise<number>((resolve, reject) => {
    req.once("response", (res) => resolve(res.statusCode ?? 0)).once("error", reject).end();
  });
  assert.equal(status, 200);
  return { close: () => req.destroy() };
}

/** Opens an HTTP/2 watch; resolves once its response headers arrived. */
async function watchHttp2(proxy: RunningProxy, token: string): Promise<{ close(): void }> {
  const session: ClientHttp2Session = connect(proxy.url, { ca: proxy.caPem });
  const stream = session.request({ ":path": WATCH, authorization: `Bearer ${token}` });
  const status = await new Promise<number>((resolve, reject) => {
    stream.once("response", (head) => resolve(Number(head[":status"]))).once("error", reject);
  });
  assert.equal(status, 200);
  return { close: () => session.destroy() };
}

/** Has the proxy write a heap snapshot (--heapsnapshot-signal) into `dir` and returns its text. */
async function heapSnapshot(proxy: RunningProxy, dir: string): Promise<string> {
  for (const f of readdirSync(dir)) rmSync(join(dir, f));
  process.kill(proxy.pid, "SIGUSR2");
  const deadline = Date.now() + 60_000;
  let last = -1;
  while (Date.now() < deadline) {
    await sleep(250);
    const file = readdirSync(dir).find((f) => f.endsWith(".heapsnapshot"));
    if (file === undefined) continue;
    const size = statSync(join(dir, file)).size;
    if (size === last) {
      const text = readFileSync(join(dir, file), "utf8");
      if (text.trimEnd().endsWith("]}")) return text;
    }
    last = size;
  }
  throw new Error("no complete heap snapshot within 60 s");
}

/** The dump names the open stream's user (so it was taken with the stream open) and holds no part of its token. */
function assertUserWithoutToken(snapshot: string, user: string, token: string): void {
  assert.ok(snapshot.includes(user), "the open stream's user is in the dump");
  const [, claims, signature] = token.split(".") as [string, string, string];
  assert.ok(!snapshot.includes(signature), "the token's signature is in the dump");
  assert.ok(!snapshot.includes(claims), "the token's claims are in the dump");
}

describe("a heap dump of kubeward proxy with open watches", () => {
  let issuer: TestIssuer;
  let proxy: RunningProxy;
  let dumps: string;
  before(async () => {
    dumps = mkdtempSync(join(tmpdir(), "kubeward-e2e-heap-"));
    issuer = await startTestIssuer();
    proxy = await startProxy(cluster, {
      issuerUrl: issuer.url, clientId: issuer.audience, issuerCaPem: issuer.caPem,
      env: { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${dumps}` },
    });
    await grantRules(cluster, "heap-e2e", `${issuer.url}#heap-watcher`, [
      { apiGroups: [""], resources: ["configmaps"], verbs: ["list", "watch"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["get"] },
      { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] },
    ]);
    await cluster.createPod(POD);
  });
  after(async () => {
    await revokeRules(cluster, "heap-e2e");
    await proxy?.stop();
    await issuer?.stop();
    rmSync(dumps, { recursive: true, force: true });
  });

  for (const [protocol, open] of [["HTTP/1.1", watchHttp1], ["HTTP/2", watchHttp2]] as const) {
    test(`over ${protocol}: names the user, holds no bearer token`, async () => {
      const token = issuer.mint({ sub: "heap-watcher" });
      const watch = await open(proxy, token);
      try {
        assertUserWithoutToken(await heapSnapshot(proxy, dumps), `${issuer.url}#heap-watcher`, token);
      } finally {
        watch.close();
      }
    });
  }

  test("during kubectl exec -i (a WebSocket upgrade): names the user, holds no bearer token", async () => {
    const token = issuer.mint({ sub: "heap-watcher" });
    const exec = cluster.spawnKubectlAs(proxy.kubeconfigFor("heap-exec", token), ["exec", "-i", POD, "--", "cat"]);
    try {
      const echoed = waitForOutput(exec.stdout, /heap-ping/);
      exec.stdin.write("heap-ping\n");
      await echoed;
      assertUserWithoutToken(await heapSnapshot(proxy, dumps), `${issuer.url}#heap-watcher`, token);
    } finally {
      await stopKubectl(exec);
    }
  });
});
