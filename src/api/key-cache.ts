import type { Principal } from "./auth.ts";
import { IsolateCache } from "./isolate-cache.ts";

/**
 * How long an isolate trusts an API key's D1 row it has read before it reads it again. Without it
 * every request pays a D1 read (a round trip to the database's primary when deployed, ~1-3 ms
 * locally); a worker process makes several requests per task. The bound is what a revocation
 * costs: the isolate that revokes a key forgets it at once, any other isolate refuses it at most
 * this long later.
 */
export const KEY_CACHE_TTL_MS = 10_000;

/**
 * Key id → who it is and the peppered hash of its secret (the secret itself is never kept: every
 * request's secret is hashed and compared, as without the cache). Frozen: requests share it.
 */
export const keyCache = new IsolateCache<{ principal: Readonly<Principal>; secretHash: string }>(KEY_CACHE_TTL_MS, 1_000);
