/** Opens a URL in the user's browser: --browser-command, else xdg-open (open on macOS). */
import { spawn } from "node:child_process";

/** Opens `url`; resolves false when the command could not be started. */
export type OpenBrowser = (url: string) => Promise<boolean>;

/** The command that opens a URL on `platform` when --browser-command is not given. */
export function defaultBrowserCommand(platform: NodeJS.Platform): string {
  return platform === "darwin" ? "open" : "xdg-open";
}

/**
 * An opener that starts `command url` detached, with no stdio (stdout belongs
 * to the ExecCredential), and does not wait for it to end.
 */
export function browserOpener(command: string): OpenBrowser {
  return (url) =>
    new Promise((resolve) => {
      const child = spawn(command, [url], { stdio: "ignore", detached: true });
      child.once("error", () => resolve(false));
      child.once("spawn", () => {
        child.unref();
        resolve(true);
      });
    });
}
