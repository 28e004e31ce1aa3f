/**
 * undici's Pool by its own file: the package index also loads fetch,
 * WebSocket, the cache and the mocks, which the proxy never uses (its idle
 * RSS 78 → 75 MB, ddb20b7). undici ships types for its index only.
 */
declare module "undici/lib/dispatcher/pool.js" {
  import type { Pool } from "undici";

  const PoolClass: typeof Pool;
  export default PoolClass;
}
