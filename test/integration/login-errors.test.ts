import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { startLoginWorld, type LoginWorld } from "../e2e/login/harness.ts";

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

describe("kubeward login failures a user meets: one line on stderr, nothing on stdout", () => {
  let world: LoginWorld;
  let busy: Server;
  before(async () => {
    world = await startLoginWorld();
    busy = createServer().listen(0, "127.0.0.1");
    await once(busy, "listening");
  });
  after(async () => { busy.close(); await world.close(); });

  const without = (prefix: string) => world.login.filter((f) => !f.startsWith(prefix));

  test("the issuer cannot be reached", async () => {
    const issuer = `https://127.0.0.1:${await closedPort()}`;
    const r = await world.run([...without("--oidc-issuer-url"), `--oidc-issuer-url=${issuer}`]);
    assert.deepEqual(r, { code: 1, stdout: "", stderr: `kubeward login: cannot reach the issuer ${issuer} (ECONNREFUSED)\n` });
  });

  test("the issuer's certificate is not trusted: the line names --certificate-authority", async () => {
    const r = await world.run(without("--certificate-authority"));
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`^kubeward login: the TLS certificate of the issuer ${world.provider.issuer} is not trusted \\(UNABLE_TO_VERIFY_LEAF_SIGNATURE\\); give its CA with --certificate-authority\\n$`));
  });

  test("a URL that is not an OIDC issuer", async () => {
    const issuer = `${world.provider.issuer}/not-here`;
    const r = await world.run([...without("--oidc-issuer-url"), `--oidc-issuer-url=${issuer}`]);
    assert.deepEqual(r, { code: 1, stdout: "", stderr: `kubeward login: ${issuer} did not answer as an OIDC issuer (unexpected HTTP response status code 404); check --oidc-issuer-url\n` });
  });

  test("no --listen-address can be bound", async () => {
    const port = (busy.address() as { port: number }).port;
    const r = await world.run([...without("--listen-address"), `--listen-address=127.0.0.1:${port}`]);
    assert.deepEqual(r, { code: 2, stdout: "", stderr: `kubeward login: --listen-address: no address could be bound: 127.0.0.1:${port} (EADDRINUSE)\n` });
  });

  test("the password grant with no --password when kubectl is not interactive", async () => {
    const env = { KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", spec: { interactive: false } }) };
    const r = await world.run([...world.login, "--username=jane"], env);
    assert.deepEqual(r, { code: 1, stdout: "", stderr: "kubeward login: the login needs a terminal to ask for input (give --password, or run kubectl on a terminal to be asked for it)\n" });
  });

  test("the password grant at an issuer that does not allow it: the issuer's refusal", async () => {
    const r = await world.run([...world.login, "--grant-type=password", "--username=jane", "--password=correct horse battery"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^kubeward login: the issuer refused the login \((unsupported_grant_type|unauthorized_client|invalid_request): [^\n]+\)\n$/);
  });
});
