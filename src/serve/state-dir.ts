/**
 * The state directory: owner-only (0700), its private files 0600, written
 * whole (temp file, fsync, rename) so a kill never leaves half a key. Holds
 * the secret that signs cookies and seals connector data across restarts.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";

/** File names inside the state directory. */
export const STATE_FILES = {
  secretKeys: "secret-keys",
  caCert: "ca.crt",
  caKey: "ca.key",
  issuerCert: "issuer.crt",
  issuerKey: "issuer.key",
  proxyCert: "proxy.crt",
  proxyKey: "proxy.key",
} as const;

/** Creates the directory (and parents) and makes it owner-only. */
export async function ensureStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/** Writes `text` to `file` with `mode`, durably and atomically. */
export async function writeFileDurably(file: string, text: string, mode: number): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await open(temp, "w", mode);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(temp, mode);
  await rename(temp, file);
}

/** The file's text, or undefined when it does not exist. */
export async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/**
 * The issuer's secret keys (newest first, one a line), created on the first
 * start. Persisted so that logins in progress, cookies and sealed connector
 * data survive a restart.
 */
export async function loadSecretKeys(dir: string): Promise<string[]> {
  const file = join(dir, STATE_FILES.secretKeys);
  const keys = (await readIfPresent(file))?.split("\n").map((l) => l.trim()).filter((l) => l !== "") ?? [];
  if (keys.length > 0) return keys;
  const key = randomBytes(32).toString("base64url");
  await writeFileDurably(file, `${key}\n`, 0o600);
  return [key];
}

/** Ports picked because the defaults were taken, kept so the next start (and the URLs people saved) use them again. */
export interface RememberedPorts {
  readonly issuer?: number;
  readonly proxy?: number;
}

const PORTS_FILE = "ports.json";

/** The ports a previous start picked; none when the file is missing or unreadable. */
export async function loadRememberedPorts(dir: string): Promise<RememberedPorts> {
  const text = await readIfPresent(join(dir, PORTS_FILE));
  try {
    const data = JSON.parse(text ?? "{}") as Record<string, unknown>;
    const port = (v: unknown) => (Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536 ? { value: v as number } : undefined);
    const issuer = port(data["issuer"]);
    const proxy = port(data["proxy"]);
    return { ...(issuer ? { issuer: issuer.value } : {}), ...(proxy ? { proxy: proxy.value } : {}) };
  } catch {
    return {};
  }
}

/** Keeps the picked ports for the next start. */
export async function rememberPorts(dir: string, ports: RememberedPorts): Promise<void> {
  await writeFileDurably(join(dir, PORTS_FILE), `${JSON.stringify(ports)}\n`, 0o600);
}
