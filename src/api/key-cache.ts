import type { Principal } from "./auth.ts";

/**
 * How long an isolate trusts an API key it has verified before it reads the key's D1 row again.
 * Without it every request pays a D1 read (a round trip to the database's primary when deployed,
 * ~1-3 ms locally) and a hash; a worker process makes several requests per task. The bound is what
 * a revocation costs: the isolate that revokes a key forgets it at once (see {@link forgetKey}),
 * any other isolate refuses it at most this long later.
 */
export const KEY_CACHE_TTL_MS = 10_000;

/** Keys remembered per isolate; the oldest is dropped first beyond this. */
const MAX_KEYS = 1_000;

/** Presented key (`<key_id>.<secret>`) → who it is and until when that holds. Only verified keys. */
const verified = new Map<string, { principal: Readonly<Principal>; until: number }>();

/** The principal of a key verified less than {@link KEY_CACHE_TTL_MS} ago, else null. */
export function cachedPrincipal(key: string, now: number): Readonly<Principal> | null {
  const hit = verified.get(key);
  if (!hit) return null;
  if (now < hit.until && now >= hit.until - KEY_CACHE_TTL_MS) return hit.principal;
  verified.delete(key);
  return null;
}

/** Remembers a key that just passed the full check (D1 row, secret hash, not revoked). */
export function rememberPrincipal(key: string, principal: Principal, now: number): void {
  verified.delete(key);
  verified.set(key, { principal: Object.freeze({ ...principal }), until: now + KEY_CACHE_TTL_MS });
  if (verified.size > MAX_KEYS) verified.delete(verified.keys().next().value!);
}

/** A key was revoked: this isolate refuses it from the next request on. */
export function forgetKey(keyId: string): void {
  for (const key of verified.keys()) if (key.slice(0, key.indexOf(".")) === keyId) verified.delete(key);
}
