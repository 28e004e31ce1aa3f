/** The SQLite backend passes the storage conformance suite, each test on a new file. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { openSqliteStorage } from "../../../../src/issuer/storage/sqlite/sqlite-storage.ts";
import { storageConformance } from "../../../conformance/storage.ts";

const dir = mkdtempSync(join(tmpdir(), "kubeward-sqlite-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storageConformance("sqlite", (deps) => openSqliteStorage({ file: join(dir, `${++n}.db`) }, deps));
