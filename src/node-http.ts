/**
 * node:http's functions, taken from its CommonJS module object.
 *
 * An ES module `import … from "node:http"` builds the module's namespace,
 * which reads every export, and reading `WebSocket`, `CloseEvent` or
 * `MessageEvent` loads and compiles Node's bundled undici, which kubeward
 * never calls: 2.7 MB of the idle proxy's resident memory (74.7 → 72.0 MB,
 * measured). Import the values from here, and types from "node:http" with
 * `import type`.
 */
export const { createServer, request, STATUS_CODES } = process.getBuiltinModule("node:http");
