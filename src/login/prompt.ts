/**
 * Questions on the terminal: the pasted authorization code and the password.
 * Questions go to stderr; a password is not echoed when the input is a TTY.
 */
import { createInterface } from "node:readline";
import { Writable, type Readable } from "node:stream";
import { KubewardError } from "../errors.ts";

/** Asks the user for a line of text. */
export interface Prompt {
  line(question: string, signal: AbortSignal): Promise<string>;
  secret(question: string, signal: AbortSignal): Promise<string>;
}

/** A prompt reading `input` (kubectl hands the plugin its stdin in interactive mode) and writing to `stderr`. */
export function terminalPrompt(input: Readable & { isTTY?: boolean }, stderr: (text: string) => void): Prompt {
  const ask = (question: string, hidden: boolean, signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      let muted = false;
      const output = new Writable({ write: (chunk: Buffer, _enc, done) => { if (!muted) stderr(chunk.toString()); done(); } });
      const rl = createInterface({ input, output, terminal: input.isTTY === true, signal });
      rl.question(question, (answer) => {
        resolve(answer.trim());
        if (hidden) stderr("\n");
        rl.close();
      });
      muted = hidden && input.isTTY === true;
      rl.once("close", () => reject(signal.aborted ? signal.reason : new KubewardError("login_needs_terminal", "the input ended before an answer")));
    });
  return { line: (q, s) => ask(q, false, s), secret: (q, s) => ask(q, true, s) };
}
