/**
 * A real Dex (the binary scripts/fixtures/build.sh builds) serving HTTPS on
 * 127.0.0.1 with in-memory storage, one static user and one client allowed
 * the password grant; and that grant, for an ID token.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { request } from "node:https";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createCertificateAuthority, issueCertificate } from "../../../src/pki/certificates.ts";
import { binaries, requireBinaries } from "../../fixtures/cluster/binaries.ts";
import { withParentDeathSignal } from "../../fixtures/cluster/process.ts";
import { freePort } from "../../fixtures/cluster/wait.ts";

/** bcrypt of "password", the hash in Dex's own examples/config-dev.yaml. */
const PASSWORD_HASH = "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W";

/** The static user and the client, as configured. */
export const DEX_USER = { email: "jane@example.com", password: "password", username: "jane" } as const;
export const DEX_CLIENT = { id: "kubeward", secret: "kubeward-e2e-secret" } as const;

/** A running Dex. */
export interface Dex {
  /** https://127.0.0.1:<port>/dex */
  readonly issuer: string;
  /** PEM of the CA that signed Dex's serving certificate. */
  readonly caPem: string;
  /** An ID token for `username`/`password` by the password grant (scope openid email profile). */
  passwordGrant(username: string, password: string): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/** Starts Dex and resolves once its discovery document answers. */
export async function startDex(): Promise<Dex> {
  const bin = binaries().dex;
  requireBinaries([[bin, "dex"]]);
  const dir = mkdtempSync(join(tmpdir(), "kubeward-e2e-dex-"));
  const ca = await createCertificateAuthority("kubeward-e2e-dex-ca");
  const leaf = await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1"], usage: "server" });
  writeFileSync(join(dir, "tls.crt"), leaf.certPem);
  writeFileSync(join(dir, "tls.key"), leaf.keyPem, { mode: 0o600 });
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}/dex`;
  const config = {
    issuer,
    storage: { type: "memory" },
    web: { https: `127.0.0.1:${port}`, tlsCert: join(dir, "tls.crt"), tlsKey: join(dir, "tls.key") },
    oauth2: { passwordConnector: "local", skipApprovalScreen: true },
    enablePasswordDB: true,
    staticPasswords: [{ email: DEX_USER.email, hash: PASSWORD_HASH, username: DEX_USER.username, userID: "08a8684b-db88-4b73-90a9-3cd1661f5466" }],
    staticClients: [{ id: DEX_CLIENT.id, secret: DEX_CLIENT.secret, name: "kubeward e2e", redirectURIs: ["http://127.0.0.1:8000/callback"] }],
  };
  writeFileSync(join(dir, "dex.yaml"), JSON.stringify(config));
  const [cmd, argv] = withParentDeathSignal(bin, ["serve", join(dir, "dex.yaml")]);
  const child = spawn(cmd, argv, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (log += d));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const post = (path: string, form: Record<string, string>) => httpsJson(`${issuer}${path}`, ca.certPem, form);
  for (let i = 0; i < 300; i++) {
    const up = await httpsJson(`${issuer}/.well-known/openid-configuration`, ca.certPem).then((r) => r.status === 200, () => false);
    if (up) {
      return {
        issuer, caPem: ca.certPem, stop,
        passwordGrant: (username, password) => post("/token", { grant_type: "password", username, password, scope: "openid email profile" }),
      };
    }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  await stop();
  throw new Error(`dex did not start: ${log}`);
}

/** GET (or POST a form with the client's basic credentials) over HTTPS trusting `caPem`; the JSON answer. */
function httpsJson(url: string, caPem: string, form?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = form === undefined ? undefined : new URLSearchParams(form).toString();
  const headers: Record<string, string> = body === undefined ? {} : {
    "content-type": "application/x-www-form-urlencoded",
    authorization: `Basic ${Buffer.from(`${DEX_CLIENT.id}:${DEX_CLIENT.secret}`).toString("base64")}`,
  };
  return new Promise((resolve, reject) => {
    const req = request(url, { method: body === undefined ? "GET" : "POST", ca: caPem, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: { raw: text } });
        }
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}
