/**
 * What a user scraping kubeward proxy's metrics sees after many watches
 * opened and closed: the old generation V8 grew for them is given back once
 * the proxy is idle (src/cli/memory-reducer.ts), not held until V8's 100 s
 * watchdog or the next major collection. In trial runs: about 8 s after they
 * closed; without the workaround still 13.2 MB (6.9 before, 11.9 with the
 * watches) 20 s after. 800 watches: since an open watch holds no promise
 * chain (src/proxy/stages/forward.ts), 400 grew the old generation by only
 * 2.2 MB, at the edge of the 2 MB the check needs to see a burst. Opened a
 * connection's 100 at a time: kube-apiserver's API priority and fairness
 * seats and queues only so many of one user's requests at once, and answered
 * 429 to 2,000 opened together, and once to 400.
 */
import { test, describe, before, after } from "node:test";
import { connect, type ClientHttp2Session } from "node:http2";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { freePort } from "../../fixtures/cluster/wait.ts";
import { assertOldGenerationGivenBack, oldGenerationMb } from "../../tools/old-generation.ts";
import { startTestIssuer, type TestIssuer } from "../../tools/test-issuer.ts";
import { startProxy, type RunningProxy } from "../support/proxy.ts";
import { grantRules, revokeRules } from "../support/kubectl.ts";

const cluster = useCluster();
const WATCHES = 800;
const PER_CONNECTION = 100;

/** Opens `WATCHES` HTTP/2 watches through the proxy, one connection's at a time; resolves once all answered, with a function that closes them. */
async function openWatches(proxy: RunningProxy, token: string): Promise<() => void> {
  const sessions: ClientHttp2Session[] = [];
  const close = () => { for (const s of sessions) s.destroy(); };
  try {
    while (sessions.length * PER_CONNECTION < WATCHES) {
      const session = connect(proxy.url, { ca: proxy.caPem });
      sessions.push(session);
      const opened: Promise<void>[] = [];
      for (let i = 0; i < PER_CONNECTION; i++) {
        const stream = session.request({ ":path": "/api/v1/namespaces/default/configmaps?watch=1", authorization: `Bearer ${token}` });
        stream.resume();
        opened.push(new Promise((resolve, reject) => {
          stream.once("response", (head) => (head[":status"] === 200 ? resolve() : reject(new Error(`watch answered ${head[":status"]}`)))).once("error", reject);
        }));
      }
      await Promise.all(opened);
    }
  } catch (error) {
    close();
    throw error;
  }
  return close;
}

describe("kubeward proxy's memory after many watches", () => {
  let issuer: TestIssuer;
  let proxy: RunningProxy;
  let metricsUrl: string;
  before(async () => {
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    issuer = await startTestIssuer();
    proxy = await startProxy(cluster, {
      issuerUrl: issuer.url, clientId: issuer.audience, issuerCaPem: issuer.caPem,
      args: [`--metrics-serving-address=127.0.0.1:${metricsPort}`],
    });
    await grantRules(cluster, "memory-e2e", `${issuer.url}#memory-watcher`, [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list", "watch"] }]);
  });
  after(async () => {
    await revokeRules(cluster, "memory-e2e");
    await proxy?.stop();
    await issuer?.stop();
  });

  test(`the old generation ${WATCHES} watches grew is given back within 20 s of their closing`, async () => {
    const before = await oldGenerationMb(metricsUrl);
    const close = await openWatches(proxy, issuer.mint({ sub: "memory-watcher" }));
    close();
    await assertOldGenerationGivenBack(metricsUrl, before, "watches", 20_000);
  });
});
