import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../../src/cli/run.ts";

function io(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: "", stderr: "" };
  return {
    out,
    io: {
      stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t), env,
      shutdownSignal: () => Promise.resolve("SIGTERM"),
    },
  };
}

test("kubeward serve --help prints its flags", async () => {
  const { out, io: cli } = io();
  assert.equal(await run(["serve", "--help"], cli), 0);
  assert.match(out.stdout, /--config FILE/);
  assert.match(out.stdout, /--state-dir DIR/);
});

test("a bad config file exits 2 with one line per problem, before anything is created", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "serve-cli-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "kubeward.yaml");
  await writeFile(file, `stateDir: ${join(dir, "state")}\nissuer: { colour: red }\nclients: [{ id: a, name: A, secretEnv: NOPE }]\n`);
  const { out, io: cli } = io({ HOME: dir });
  assert.equal(await run(["serve", "--config", file], cli), 2);
  assert.equal(out.stderr, "kubeward: issuer.colour: unknown field\n");
  assert.equal(out.stdout, "");
  assert.equal(existsSync(join(dir, "state")), false);
});

test("an unknown flag exits 2 naming it", async () => {
  const { out, io: cli } = io();
  assert.equal(await run(["serve", "--port=1"], cli), 2);
  assert.match(out.stderr, /--port/);
});
