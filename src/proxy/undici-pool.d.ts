/**
 * undici's Pool by its own file: the package index also loads fetch,
 * WebSocket, the cache and the mocks, ~5 MB of resident memory the proxy
 * never uses. undici ships types for its index only.
 */
declare module "undici/lib/dispatcher/pool.js" {
  import type { Pool } from "undici";

  const PoolClass: typeof Pool;
  export default PoolClass;
}
