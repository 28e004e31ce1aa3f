import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { Problems } from "../../../src/config/errors.ts";
import { readConfigFile } from "../../../src/config/file.ts";
import { rbacOptions } from "../../../src/cli/rbac.ts";
import { proxyClusterRole, proxyClusterRoleBinding } from "../../../src/deploy/rbac.ts";

const DIR = join(import.meta.dirname, "..", "..", "..", "deploy", "manifests");
type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: Record<string, unknown> };

function docs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((d) => d.toJS() as Obj);
}

describe("deploy/manifests", () => {
  test("proxy-rbac.yaml is exactly what kubeward rbac generates from config.yaml", async () => {
    const problems = new Problems();
    const options = await rbacOptions(["--config", join(DIR, "config.yaml"), "--user", "kubeward-proxy"], problems);
    assert.deepEqual(problems.list, []);
    assert.ok(options);
    assert.deepEqual(docs("proxy-rbac.yaml"), [proxyClusterRole(options), proxyClusterRoleBinding(options)]);
  });

  test("config.yaml is a valid proxy config file", async () => {
    const problems = new Problems();
    assert.ok(await readConfigFile(join(DIR, "config.yaml"), problems), JSON.stringify(problems.list));
  });

  test("the kustomization lists every manifest in the folder", () => {
    const k = parse(readFileSync(join(DIR, "kustomization.yaml"), "utf8")) as { resources: string[]; configMapGenerator: { files: string[] }[] };
    const listed = [...k.resources, ...k.configMapGenerator.flatMap((g) => g.files)].sort();
    const present = readdirSync(DIR).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort();
    assert.deepEqual(listed, present);
  });

  test("the proxy runs non-root, read-only, without capabilities, probed on the readiness port", () => {
    const [deployment] = docs("deployment.yaml");
    const pod = (deployment?.spec?.["template"] as { spec: Record<string, any> }).spec;
    const c = pod["containers"][0];
    assert.equal(pod["securityContext"].runAsNonRoot, true);
    assert.equal(pod["securityContext"].seccompProfile.type, "RuntimeDefault");
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
    assert.equal(c.readinessProbe.httpGet.path, "/ready");
    const probePort = c.ports.find((p: { name: string }) => p.name === c.readinessProbe.httpGet.port);
    const config = parse(readFileSync(join(DIR, "config.yaml"), "utf8")) as { readinessProbePort: number; securePort: number };
    assert.equal(probePort.containerPort, config.readinessProbePort);
    assert.equal(c.ports.find((p: { name: string }) => p.name === "https").containerPort, config.securePort);
  });
});
