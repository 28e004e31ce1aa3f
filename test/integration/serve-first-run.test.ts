/**
 * The zero-config first run of `kubeward serve` (no --config, HOME of its
 * own, no kubeconfig): the issuer serves, the proxy says in one line why it
 * is disabled, the admin password is shown exactly once, the state
 * directory is owner-only, and SIGTERM stops it cleanly.
 */
import { test } from "node:test";
import { once } from "node:events";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childEnv, startServe, type ServeChild } from "./serve-child.ts";

const ISSUER = /kubeward serve: issuer at (https:\S+)/;
const PASSWORD_LINE = /^Initial admin password for admin@kubeward\.local .*: \S+$/gm;

test("a zero-config first run shows the admin password once, disables the proxy in one line, and keeps its state owner-only", { timeout: 90_000 }, async (t) => {
  const home = await mkdtemp(join(tmpdir(), "kubeward-home-"));
  const children: ServeChild[] = [];
  t.after(async () => {
    for (const c of children) await c.kill9();
    await rm(home, { recursive: true, force: true });
  });
  const first = startServe([], childEnv(home));
  children.push(first);
  const issuerUrl = (await first.waitFor(ISSUER))[1] ?? "";
  await first.waitFor(/proxy disabled/);
  assert.equal(first.stdout().match(PASSWORD_LINE)?.length, 1, first.stdout());
  assert.match(first.stdout(), /^kubeward serve: proxy disabled: no kubeconfig .*\.kube\/config does not exist\)$/m);
  const password = first.stdout().match(/^Initial admin password[^\n]*: (\S+)$/m)?.[1] ?? "";
  assert.ok(password.length >= 16, "a long random password");
  assert.ok(!first.stderr().includes(password), "the password is not logged");
  assert.match(issuerUrl, /^https:\/\/127\.0\.0\.1:\d+$/);

  const state = join(home, ".local", "state", "kubeward");
  assert.equal((await stat(state)).mode & 0o777, 0o700);
  for (const name of await readdir(state)) {
    if (name.endsWith(".crt")) continue;
    assert.equal((await stat(join(state, name))).mode & 0o777, 0o600, `${name} is owner-only`);
  }
  assert.deepEqual((await readdir(state)).filter((n) => n.endsWith(".key")).sort(), ["ca.key", "issuer.key", "proxy.key"]);

  await first.kill9();
  const second = startServe([], childEnv(home));
  children.push(second);
  await second.waitFor(/proxy disabled/);
  assert.doesNotMatch(second.stdout(), /password/i);

  const exited = once(second.process, "exit");
  second.process.kill("SIGTERM");
  assert.deepEqual(await exited, [0, null], "SIGTERM drains and exits 0");
  assert.match(second.stderr(), /"msg":"stopped"/);
});
