import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULTS } from "../../../src/config/flag-table.ts";
import { shebangFlags } from "../../tools/kubeward-bin.ts";

// No container engine can pull base images here, so the image is checked by
// reading the Dockerfile: the properties a platform team would audit.
const REPO = join(import.meta.dirname, "..", "..", "..");

interface Instruction { readonly op: string; readonly args: string }
interface Stage { readonly from: string; readonly name?: string; readonly body: Instruction[] }

function stages(): Stage[] {
  const text = readFileSync(join(REPO, "Dockerfile"), "utf8").replace(/\\\n\s*/g, " ");
  const out: Stage[] = [];
  for (const line of text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))) {
    const [op = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (op.toUpperCase() === "FROM") {
      const [from = "", , name] = rest;
      out.push({ from, ...(name ? { name } : {}), body: [] });
    } else {
      out.at(-1)?.body.push({ op: op.toUpperCase(), args });
    }
  }
  return out;
}

/** The Node flags `kubeward` runs with: its shebang's, after `node`. */
const FLAGS = shebangFlags(join(REPO, "src", "cli", "main.ts"));

const all = stages();
const final = all.at(-1) as Stage;
const ops = (s: Stage, op: string) => s.body.filter((i) => i.op === op).map((i) => i.args);

describe("Dockerfile", () => {
  test("is multi-stage: built with Node 24, run on a distroless Node 24 image", () => {
    assert.ok(all.length >= 2);
    assert.match(all[0]?.from ?? "", /^node:24/);
    assert.match(final.from, /^gcr\.io\/distroless\/nodejs24-/);
  });

  test("runs as a non-root numeric user, with no shell step in the final stage", () => {
    const [user] = ops(final, "USER");
    assert.match(user ?? "", /^[1-9][0-9]*:[1-9][0-9]*$/);
    assert.deepEqual(ops(final, "RUN"), []);
    const entrypoint = JSON.parse(ops(final, "ENTRYPOINT")[0] ?? "[]") as string[];
    assert.deepEqual(entrypoint, ["/nodejs/bin/node", ...FLAGS, "/app/dist/cli/main.js"], "the Node flags of the executable's shebang");
    const bin = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { bin: Record<string, string> }).bin["kubeward"];
    assert.equal(bin, "dist/cli/main.js");
  });

  test("ships the bundled dist/ alone, with no node_modules", () => {
    assert.deepEqual(ops(final, "COPY"), ["--from=build /src/dist ./dist"]);
    const build = all.find((s) => s.name === "build");
    assert.ok(build, "a stage named build");
    assert.ok(ops(build, "RUN").includes("node scripts/build.ts"), "dist/ is built by scripts/build.ts, which fails if it needs node_modules");
  });

  test("the systemd unit runs node with the same flags as the shebang", () => {
    const unit = readFileSync(join(REPO, "deploy", "systemd", "kubeward-proxy.service"), "utf8");
    const exec = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? "";
    assert.ok(exec.startsWith(["/usr/bin/node", ...FLAGS, "/opt/kubeward/dist/cli/main.js"].join(" ")), exec);
    assert.ok(FLAGS.includes("--max-semi-space-size=8"), FLAGS.join(" "));
  });

  test("has a HEALTHCHECK on the readiness port's /ready", () => {
    const [check] = ops(final, "HEALTHCHECK");
    assert.ok(check?.includes(`http://127.0.0.1:${DEFAULTS.readinessProbePort}/ready`), check);
  });

  test("adds nothing from a URL, and every local COPY source exists", () => {
    for (const s of all) {
      assert.deepEqual(ops(s, "ADD"), []);
      for (const args of ops(s, "COPY").filter((a) => !a.startsWith("--from"))) {
        for (const src of args.split(/\s+/).slice(0, -1)) assert.ok(existsSync(join(REPO, src)), src);
      }
    }
  });

  test(".dockerignore keeps tests, secrets and local builds out of the build context", () => {
    const lines = readFileSync(join(REPO, ".dockerignore"), "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    assert.equal(lines[0], "**");
    const included = lines.filter((l) => l.startsWith("!"));
    for (const l of included) assert.ok(!/test|node_modules|dist|\.git|certs|\.key/.test(l), l);
  });
});
