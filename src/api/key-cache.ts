import type { Principal } from "./auth.ts";

/**
 * How long an isolate trusts an API key's D1 row it has read before it reads it again. Without it
 * every request pays a D1 read (a round trip to the database's primary when deployed, ~1-3 ms
 * locally); a worker process makes several requests per task. The bound is what a revocation
 * costs: the isolate that revokes a key forgets it at once (see {@link forgetKey}), any other
 * isolate refuses it at most this long later.
 */
export const KEY_CACHE_TTL_MS = 10_000;

/** Keys remembered per isolate; the one verified longest ago is dropped first beyond this. */
const MAX_KEYS = 1_000;

/**
 * Key id → who it is, the peppered hash of its secret (the secret itself is never kept: every
 * request's secret is hashed and compared, as without the cache) and until when that holds.
 */
const verified = new Map<string, { principal: Readonly<Principal>; secretHash: string; until: number }>();

/** Bumped by every {@link forgetKey}: a verification that saw a revocation start after it began is not remembered. */
let revocations = 0;

/** A key's cached row, verified less than {@link KEY_CACHE_TTL_MS} ago, else null. */
export function cachedKey(keyId: string, now: number): { principal: Readonly<Principal>; secretHash: string } | null {
  const hit = verified.get(keyId);
  if (!hit) return null;
  // An entry from "the future" (a test moved the clock back) is not trusted either.
  if (now < hit.until && now >= hit.until - KEY_CACHE_TTL_MS) return hit;
  verified.delete(keyId);
  return null;
}

/** Taken before a key's D1 row is read; {@link rememberKey} needs it to tell whether a revocation came in between. */
export function verificationMark(): number {
  return revocations;
}

/**
 * Remembers a key whose D1 row was read (not revoked) and whose secret matched, unless a key was
 * revoked in this isolate since `mark` was taken: that row may be older than the revocation.
 */
export function rememberKey(keyId: string, principal: Principal, secretHash: string, now: number, mark: number): void {
  if (mark !== revocations) return;
  verified.delete(keyId);
  verified.set(keyId, { principal: Object.freeze({ ...principal }), secretHash, until: now + KEY_CACHE_TTL_MS });
  if (verified.size > MAX_KEYS) verified.delete(verified.keys().next().value!);
}

/** A key was revoked: this isolate refuses it from the next request on. */
export function forgetKey(keyId: string): void {
  revocations++;
  verified.delete(keyId);
}
