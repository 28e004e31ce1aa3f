/** The memory backend passes the storage conformance suite. */
import { openMemoryStorage } from "../../../../src/issuer/storage/memory/memory-storage.ts";
import { storageConformance } from "../../../conformance/storage.ts";

storageConformance("memory", (deps) => openMemoryStorage({}, deps));
