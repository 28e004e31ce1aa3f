/** Temporary files the config tests point flags at: a CA, serving and client key pairs, kubeconfigs. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCertificateAuthority, issueCertificate, type KeyPair } from "../../../src/pki/certificates.ts";

export interface Fixture {
  readonly dir: string;
  readonly caFile: string;
  readonly caPem: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** A key that belongs to no certificate here. */
  readonly otherKeyFile: string;
  readonly client: KeyPair;
  /** A kubeconfig whose user has a token. */
  readonly kubeconfig: string;
  /** Writes `name` in the fixture directory and returns its path. */
  write(name: string, text: string): Promise<string>;
  /** Flags that make a minimal valid configuration. */
  readonly baseFlags: readonly string[];
  cleanup(): Promise<void>;
}

/** Builds the fixture; call `cleanup` in `after`. */
export async function makeFixture(): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "kubeward-config-"));
  const write = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };
  const ca = await createCertificateAuthority("test CA");
  const serving = await issueCertificate(ca, { commonName: "proxy", hosts: ["127.0.0.1"], usage: "server" });
  const other = await issueCertificate(ca, { commonName: "other", usage: "server" });
  const client = await issueCertificate(ca, { commonName: "kubeward-proxy", usage: "client" });
  const caFile = await write("ca.crt", ca.certPem);
  const certFile = await write("tls.crt", serving.certPem);
  const keyFile = await write("tls.key", serving.keyPem);
  const otherKeyFile = await write("other.key", other.keyPem);
  const kubeconfig = await write("proxy.kubeconfig", kubeconfigText({ server: "https://10.0.0.1:6443", caData: ca.certPem, user: { token: "proxy-token" } }));
  const baseFlags = ["--oidc-issuer-url=https://idp.example.com", "--oidc-client-id=kubernetes", `--tls-cert-file=${certFile}`, `--tls-private-key-file=${keyFile}`, `--kubeconfig=${kubeconfig}`];
  return { dir, caFile, caPem: ca.certPem, certFile, keyFile, otherKeyFile, client, kubeconfig, write, baseFlags, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface KubeconfigSpec {
  readonly server: string;
  readonly caData?: string;
  readonly caFile?: string;
  readonly cluster?: Record<string, unknown>;
  readonly user: Record<string, unknown>;
  readonly currentContext?: string;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A one-context kubeconfig (context "main", cluster "c", user "proxy") as JSON, which is YAML. */
export function kubeconfigText(spec: KubeconfigSpec): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": spec.currentContext ?? "main",
    clusters: [{ name: "c", cluster: { server: spec.server, ...(spec.caData ? { "certificate-authority-data": b64(spec.caData) } : {}), ...(spec.caFile ? { "certificate-authority": spec.caFile } : {}), ...spec.cluster } }],
    users: [{ name: "proxy", user: spec.user }],
    contexts: [{ name: "main", context: { cluster: "c", user: "proxy" } }],
  });
}

export { b64 };
