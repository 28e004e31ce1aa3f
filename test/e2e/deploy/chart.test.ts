/**
 * The Helm chart: helm lint with the default and full values and with wrong
 * ones; the rendered objects accepted by a real kube-apiserver (server-side
 * dry run); its ClusterRole the same as `kubeward rbac` for the same values.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { Problems } from "../../../src/config/errors.ts";
import { readConfigFile } from "../../../src/config/file.ts";
import { DEFAULT_RBAC_OPTIONS, proxyClusterRole } from "../../../src/deploy/rbac.ts";
import { CHART, FULL_VALUES, helm, only, renderChart, type Obj } from "./tools.ts";

const cluster = useCluster();
const NS = `kubeward-chart-${process.pid}`;
/** Kinds whose CRDs (cert-manager, Prometheus Operator) the test cluster does not have. */
const CRD_KINDS = new Set(["Certificate", "ServiceMonitor"]);

describe("helm lint", () => {
  test("passes with the default values and with ci/full-values.yaml", async () => {
    for (const args of [[], ["-f", FULL_VALUES]]) {
      const r = await helm("lint", CHART, "--strict", ...args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  test("refuses wrong values, naming each path", async () => {
    const r = await helm("lint", CHART, "--set", "proxy.oidc.issuerURL=http://idp.example", "--set", "proxy.replicaCount=2",
      "--set", "proxy.podAntiAffinity=always", "--set", "proxy.oidc.signingAlgs={HS256}", "--set", "proxy.securePort=70000");
    assert.notEqual(r.code, 0);
    const out = r.stdout + r.stderr;
    assert.match(out, /at '\/proxy\/oidc\/issuerURL': 'http:\/\/idp.example' does not match pattern/);
    assert.match(out, /at '\/proxy': additional properties 'replicaCount' not allowed/);
    assert.match(out, /at '\/proxy\/podAntiAffinity': value must be one of 'soft', 'hard', 'none'/);
    assert.match(out, /at '\/proxy\/oidc\/signingAlgs\/0': value must be one of 'RS256'/);
    assert.match(out, /at '\/proxy\/securePort': maximum: got 70,000, want 65,535/);
  });

  test("refuses cert-manager without an issuer, and an issuer config given twice", async () => {
    const cm = await helm("template", "kubeward", CHART, "--set", "proxy.tls.certManager.enabled=true");
    assert.notEqual(cm.code, 0);
    assert.match(cm.stderr, /proxy\.tls\.certManager\.issuerRef\.name is required/);
    const twice = await helm("template", "kubeward", CHART, "-f", FULL_VALUES, "--set", "issuer.existingConfigSecret=issuer-config");
    assert.notEqual(twice.code, 0);
    assert.match(twice.stderr, /set either issuer\.config or issuer\.existingConfigSecret, not both/);
  });
});

describe("the rendered chart on a real kube-apiserver", () => {
  before(async () => {
    const r = await cluster.kubectlAs(cluster.adminKubeconfig, ["create", "namespace", NS]);
    assert.equal(r.code, 0, r.stderr);
  });
  // Without a controller-manager the namespace never finishes deleting; it is empty and only marked.
  after(() => cluster.kubectlAs(cluster.adminKubeconfig, ["delete", "namespace", NS, "--wait=false"]));

  async function dryRun(objects: readonly Obj[]): Promise<string> {
    const input = objects.filter((o) => !CRD_KINDS.has(o.kind)).map((o) => JSON.stringify(o)).join("\n");
    const r = await cluster.kubectlAs(cluster.adminKubeconfig, ["apply", "--dry-run=server", "-o", "name", "-f", "-"], { input });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  }

  test("the default values: the proxy's objects pass a server-side dry run", async () => {
    const { objects } = await renderChart(NS);
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
      "ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "PodDisruptionBudget", "Service", "ServiceAccount",
    ]);
    const out = await dryRun(objects);
    assert.match(out, /deployment\.apps\/kubeward-proxy/);
    assert.match(out, /clusterrole\.rbac\.authorization\.k8s\.io\/kubeward-proxy/);
  });

  test("the full values: every object passes a server-side dry run; the CRD objects are well-formed", async () => {
    const { objects } = await renderChart(NS, "-f", FULL_VALUES);
    const kinds = new Set(objects.map((o) => o.kind));
    for (const k of ["NetworkPolicy", "Certificate", "ServiceMonitor", "Deployment", "Service"]) assert.ok(kinds.has(k), k);
    const out = await dryRun(objects);
    assert.match(out, /networkpolicy\.networking\.k8s\.io\/kubeward-proxy/);
    assert.match(out, /deployment\.apps\/kubeward-issuer/);
    const cert = only(objects, "Certificate") as Obj & { spec: { secretName: string; dnsNames: string[]; issuerRef: { name: string } } };
    assert.equal(cert.apiVersion, "cert-manager.io/v1");
    assert.equal(cert.spec.secretName, "kubeward-proxy-tls");
    assert.deepEqual(cert.spec.dnsNames, ["kubeward.example.com", "kubeward-proxy", `kubeward-proxy.${NS}.svc`]);
    const sm = only(objects, "ServiceMonitor") as Obj & { spec: { endpoints: { port: string }[] } };
    assert.equal(sm.apiVersion, "monitoring.coreos.com/v1");
    assert.deepEqual(sm.spec.endpoints.map((e) => e.port), ["metrics"]);
  });

  test("either part alone: only the issuer", async () => {
    const { objects } = await renderChart(NS, "--set", "proxy.enabled=false", "--set", "issuer.enabled=true", "--set", "issuer.existingConfigSecret=issuer-config");
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), ["Deployment/kubeward-issuer", "Service/kubeward-issuer"]);
    await dryRun(objects);
  });
});

describe("the chart's proxy", () => {
  test("its ClusterRole is what kubeward rbac generates, for the default and the full values", async () => {
    const defaults = await renderChart("kubeward");
    assert.deepEqual(only(defaults.objects, "ClusterRole")["rules"], proxyClusterRole({ ...DEFAULT_RBAC_OPTIONS, clientIpExtra: true })["rules"]);
    const full = await renderChart("kubeward", "-f", FULL_VALUES);
    const values = parse(await readFile(FULL_VALUES, "utf8")) as { proxy: { extraUserHeaders: Record<string, unknown>; clientExtraKeys: string[] } };
    const expected = proxyClusterRole({
      ...DEFAULT_RBAC_OPTIONS, clientIpExtra: true,
      extraUserHeaderKeys: Object.keys(values.proxy.extraUserHeaders), clientExtraKeys: values.proxy.clientExtraKeys,
    });
    assert.deepEqual(only(full.objects, "ClusterRole")["rules"], expected["rules"]);
  });

  test("its config file is one kubeward proxy accepts, and the pod runs restricted", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kubeward-chart-"));
    try {
      for (const args of [[], ["-f", FULL_VALUES]]) {
        const { objects } = await renderChart("kubeward", ...args);
        const file = join(dir, "config.yaml");
        await writeFile(file, (only(objects, "ConfigMap", "kubeward-proxy")["data"] as Record<string, string>)["config.yaml"] ?? "");
        const problems = new Problems();
        assert.ok(await readConfigFile(file, problems), JSON.stringify(problems.list));
        const spec = (only(objects, "Deployment", "kubeward-proxy")["spec"] as { template: { spec: Record<string, any> } }).template.spec;
        assert.equal(spec["securityContext"].runAsNonRoot, true);
        assert.equal(spec["securityContext"].seccompProfile.type, "RuntimeDefault");
        const c = spec["containers"][0];
        assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
        assert.equal(c.readinessProbe.httpGet.path, "/ready");
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
