import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { PassThrough } from "node:stream";
import { terminalPrompt } from "../../../src/login/prompt.ts";
import { isKubewardError } from "../../../src/errors.ts";

function setup() {
  const input = new PassThrough();
  let stderr = "";
  return { input, prompt: terminalPrompt(input, (t) => { stderr += t; }), stderr: () => stderr };
}

test("a line is read from the input; the question goes to stderr", async () => {
  const { input, prompt, stderr } = setup();
  const answer = prompt.line("Enter the code: ", AbortSignal.timeout(5_000));
  input.write("  abc123 \n");
  assert.equal(await answer, "abc123");
  assert.equal(stderr(), "Enter the code: ");
});

test("a secret: the question, then a newline once answered", async () => {
  const { input, prompt, stderr } = setup();
  const answer = prompt.secret("Password for jane: ", AbortSignal.timeout(5_000));
  input.write("hunter2\n");
  assert.equal(await answer, "hunter2");
  assert.equal(stderr(), "Password for jane: \n");
});

test("input that ends first: login_needs_terminal", async () => {
  const { input, prompt } = setup();
  const answer = prompt.line("Enter the code: ", AbortSignal.timeout(5_000));
  input.end();
  await assert.rejects(answer, (e) => isKubewardError(e, "login_needs_terminal"));
});

test("the timeout aborts the question", async () => {
  const { prompt } = setup();
  await assert.rejects(prompt.line("Enter the code: ", AbortSignal.timeout(50)), (e: Error) => e.name === "TimeoutError");
});

test("on a real terminal (a pty from util-linux script) the typed password is not echoed", async () => {
  const program = `import { terminalPrompt } from ${JSON.stringify(new URL("../../../src/login/prompt.ts", import.meta.url).href)};
const p = terminalPrompt(process.stdin, (t) => process.stderr.write(t));
const v = await p.secret("Password: ", AbortSignal.timeout(5000));
process.stderr.write("[got " + v.length + " characters]\\n");
process.exit(0);`;
  const child = spawn("script", ["-qfec", `${process.execPath} --input-type=module -e '${program.replaceAll("'", "'\\''")}'`, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    if (out.includes("Password: ") && !child.stdin.writableEnded) child.stdin.end("hunter2\r");
  });
  const [code] = await once(child, "close");
  assert.equal(code, 0, out);
  assert.match(out, /Password: /);
  assert.match(out, /\[got 7 characters\]/);
  assert.doesNotMatch(out, /hunter2/);
});
