/**
 * The README's path on a zero-config `kubeward serve`: run the printed
 * `kubeward kubeconfig` command, then the `kubeward login` it configures
 * (device flow, the initial admin's printed password typed into the issuer's
 * pages); the token it prints passes the proxy as the admin and its group.
 * kubeward runs from a copy of dist/ with no node_modules, as the image ships it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { formDriver, type Landing } from "./issuer-browserless.ts";
import { fetchTrusting } from "./issuer-harness.ts";
import { childEnv, serveWorkspace, upstreamKubeconfig } from "./serve-child.ts";
import { kubewardBinCopy } from "../tools/kubeward-bin.ts";

function form(page: Landing, pick: (fields: Record<string, string>) => boolean): { action: string; fields: Record<string, string> } {
  const found = page.forms.find((f) => pick(f.fields));
  assert.ok(found, `a matching form on ${page.url}: ${page.html.slice(0, 400)}`);
  return found;
}

/** Waits for `pattern` in the text `read` returns. */
async function waitText(read: () => string, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = read().match(pattern);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no ${String(pattern)} in:\n${read()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("zero-config serve: the printed kubeconfig command and kubeward login give a token the proxy maps to the admin", { timeout: 120_000 }, async (t) => {
  const { dir: home, upstream, start } = await serveWorkspace(t, "kubeward-readme-");
  await writeFile(join(home, "cluster.kubeconfig"), upstreamKubeconfig(upstream));
  const bin = await kubewardBinCopy(join(home, "kubeward"));
  const serve = start([], childEnv(home, { KUBECONFIG: join(home, "cluster.kubeconfig") }), bin);
  const command = (await serve.waitFor(/ kubeconfig ((?:[^\n]*\\\n)*[^\n]*)/))[1] ?? "";
  const password = (await serve.waitFor(/Initial admin password[^\n]*: (\S+)/))[1] ?? "";
  const issuerUrl = (await serve.waitFor(/issuer at (https:\S+)/))[1] ?? "";
  const proxyUrl = (await serve.waitFor(/proxy at (https:\S+)/))[1] ?? "";

  const userConfig = join(home, "user.kubeconfig");
  const args = command.replace(/\\\n/g, " ").trim().split(/\s+/);
  await promisify(execFile)("./node_modules/.bin/node", [bin, "kubeconfig", ...args, `--kubeconfig=${userConfig}`], { env: childEnv(home) });
  const exec = (parse(await readFile(userConfig, "utf8")) as { users: { user: { exec: { command: string; args: string[] } } }[] }).users[0]?.user.exec;
  assert.ok(exec, "the kubeconfig has an exec user");

  const login = spawn(exec.command, [...exec.args, "--grant-type=device-code", `--token-cache-dir=${join(home, "cache")}`], { env: childEnv(home), stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => void login.kill("SIGKILL"));
  let out = "";
  let err = "";
  login.stdout.on("data", (b: Buffer) => void (out += b.toString()));
  login.stderr.on("data", (b: Buffer) => void (err += b.toString()));
  const [, verification = "", userCode = ""] = await waitText(() => err, /visit (https:\S+) and enter the code (\S+)/);

  const d = formDriver(fetchTrusting(await readFile(join(home, ".local", "state", "kubeward", "ca.crt"), "utf8")), issuerUrl);
  const confirm = await d.post(...postOf(form(await d.get(verification), (f) => "user_code" in f), { user_code: userCode }));
  const loginPage = await d.post(...postOf(form(confirm, (f) => f["confirm"] === "yes")));
  const done = await d.post(...postOf(form(loginPage, (f) => "password" in f), { login: "admin@kubeward.local", password }));
  assert.match(done.html, /signed in/i);
  const [code] = await once(login, "exit");
  assert.equal(code, 0, err);
  const token = (JSON.parse(out) as { status: { token: string } }).status.token;

  const res = await fetchTrusting(await readFile(join(home, ".local", "state", "kubeward", "ca.crt"), "utf8"))(`${proxyUrl}/api/v1/namespaces`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, await res.text());
  const forwarded = upstream.requests.at(-1);
  assert.deepEqual(forwarded?.values("impersonate-user"), ["admin@kubeward.local"]);
  assert.ok(forwarded?.values("impersonate-group").includes("kubeward-admins"));
});

function postOf(f: { action: string; fields: Record<string, string> }, extra: Record<string, string> = {}): [string, Record<string, string>] {
  return [f.action, { ...f.fields, ...extra }];
}
