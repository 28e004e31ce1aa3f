/**
 * Merges named clusters, users and contexts into a kubeconfig file: other
 * entries, comments and the file's mode are kept, and the new file replaces
 * the old one by rename, so an interrupted write never loses data.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, basename } from "node:path";
import { Document, isMap, isSeq, parseDocument } from "yaml";
import { ConfigError } from "../config/errors.ts";

/** One cluster, user and context, all under their own names. */
export interface KubeconfigEntries {
  readonly cluster: { readonly name: string; readonly cluster: Record<string, unknown> };
  readonly user: { readonly name: string; readonly user: Record<string, unknown> };
  readonly context: { readonly name: string; readonly context: Record<string, unknown> };
  /** Make the context the current one. */
  readonly setCurrent: boolean;
}

const EMPTY = { apiVersion: "v1", kind: "Config", clusters: [], contexts: [], users: [], preferences: {} };

/**
 * The kubeconfig text `existing` becomes with `entries` merged in: an entry of
 * the same name is replaced, others stay as they were. `source` names the
 * file in errors.
 */
export function mergeKubeconfig(existing: string, entries: KubeconfigEntries, source: string): string {
  const doc = existing.trim() === "" ? new Document(EMPTY) : parseDocument(existing);
  const error = doc.errors[0];
  if (error !== undefined) throw bad(source, `is not valid YAML (${error.message.split("\n")[0] ?? ""})`);
  if (!isMap(doc.contents)) throw bad(source, "is not a kubeconfig (not a YAML mapping)");
  upsert(doc, "clusters", entries.cluster, source);
  upsert(doc, "users", entries.user, source);
  upsert(doc, "contexts", entries.context, source);
  if (entries.setCurrent) doc.set("current-context", entries.context.name);
  return doc.toString({ indentSeq: false });
}

function upsert(doc: Document, section: string, entry: { readonly name: string }, source: string): void {
  const node = doc.get(section, true);
  if (node === undefined || node === null || (!isSeq(node) && (node as { value?: unknown }).value === null)) {
    doc.set(section, doc.createNode([entry]));
    return;
  }
  if (!isSeq(node)) throw bad(source, `has a ${section} field that is not a list`);
  node.flow = false;
  const index = node.items.findIndex((item) => isMap(item) && item.get("name") === entry.name);
  if (index === -1) node.add(doc.createNode(entry));
  else node.set(index, doc.createNode(entry));
}

function bad(file: string, message: string): ConfigError {
  return new ConfigError([{ path: "--kubeconfig", message: `${file} ${message}` }]);
}

/**
 * Merges `entries` into the kubeconfig at `path` (created 0600 when missing,
 * in a 0700 directory). A symlink is followed, and the target's mode kept.
 */
export async function writeKubeconfig(path: string, entries: KubeconfigEntries): Promise<string> {
  const target = await realpath(path).catch(() => path);
  const existing = await readFile(target, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw bad(path, `cannot be read (${e.code ?? "error"})`);
  });
  const text = mergeKubeconfig(existing ?? "", entries, path);
  const mode = existing === undefined ? 0o600 : (await stat(target)).mode & 0o7777;
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temp, text, { mode: 0o600, flag: "wx" });
    await chmod(temp, mode);
    await rename(temp, target);
  } catch (e) {
    await rm(temp, { force: true });
    throw bad(path, `cannot be written (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return target;
}

/** A kubeconfig with only `entries`, current context set, for --print. */
export function standaloneKubeconfig(entries: KubeconfigEntries): string {
  return mergeKubeconfig("", { ...entries, setCurrent: true }, "-");
}
