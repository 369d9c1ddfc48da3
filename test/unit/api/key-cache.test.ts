import { describe, expect, it } from "vitest";
import { cachedKey, forgetKey, KEY_CACHE_TTL_MS, rememberKey, verificationMark } from "../../../src/api/key-cache.ts";

// The rules of src/api/key-cache.ts that a request cannot reach on purpose (races, a clock moved
// back, the size bound); test/integration/key-cache.test.ts covers the rest through the Worker.

const T = Date.parse("2027-05-01T08:00:00.000Z");
const who = (keyId: string) => ({ namespace: "ns", keyId, kind: "app" as const });
let n = 0;
const id = () => `unit-key-${++n}`;

describe("key cache", () => {
  it("holds a verified key for the TTL, then forgets it", () => {
    const k = id();
    rememberKey(k, who(k), "h", T, verificationMark());
    expect(cachedKey(k, T + KEY_CACHE_TTL_MS - 1)).toEqual({ principal: who(k), secretHash: "h", until: T + KEY_CACHE_TTL_MS });
    expect(cachedKey(k, T + KEY_CACHE_TTL_MS)).toBeNull();
    // Gone for good: an earlier clock does not bring it back.
    expect(cachedKey(k, T)).toBeNull();
  });

  it("does not trust an entry verified 'in the future' (the clock was moved back)", () => {
    const k = id();
    rememberKey(k, who(k), "h", T, verificationMark());
    expect(cachedKey(k, T - 1)).toBeNull();
  });

  it("does not remember a row read before a revocation that came in while it was verified", () => {
    const k = id();
    const mark = verificationMark();
    forgetKey(id()); // any key revoked in between: the row read may predate it
    rememberKey(k, who(k), "h", T, mark);
    expect(cachedKey(k, T)).toBeNull();
    rememberKey(k, who(k), "h", T, verificationMark());
    expect(cachedKey(k, T)).not.toBeNull();
  });

  it("forgets a revoked key at once", () => {
    const k = id();
    rememberKey(k, who(k), "h", T, verificationMark());
    forgetKey(k);
    expect(cachedKey(k, T)).toBeNull();
  });

  it("keeps at most 1,000 keys, dropping the one verified longest ago", () => {
    const first = id();
    rememberKey(first, who(first), "h", T, verificationMark());
    const rest = Array.from({ length: 1_000 }, () => id());
    for (const k of rest) rememberKey(k, who(k), "h", T, verificationMark());
    expect(cachedKey(first, T)).toBeNull();
    expect(rest.every((k) => cachedKey(k, T) !== null)).toBe(true);
  });

  it("hands out a frozen copy of the principal", () => {
    const k = id();
    const p = who(k);
    rememberKey(k, p, "h", T, verificationMark());
    const got = cachedKey(k, T)!.principal;
    expect(Object.isFrozen(got)).toBe(true);
    p.namespace = "changed";
    expect(got.namespace).toBe("ns");
  });
});
