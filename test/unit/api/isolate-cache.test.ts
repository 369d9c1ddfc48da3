import { describe, expect, it } from "vitest";
import { IsolateCache } from "../../../src/api/isolate-cache.ts";

// The rules of src/api/isolate-cache.ts (API keys and workflow registrations use it) that a request
// cannot reach on purpose: races, a clock moved back, the size bound. test/integration/key-cache
// and registration-cache cover the rest through the Worker.

const T = Date.parse("2027-05-01T08:00:00.000Z");
const TTL = 10_000;

describe("IsolateCache", () => {
  it("holds a value for the TTL, then forgets it", () => {
    const c = new IsolateCache<string>(TTL, 10);
    c.set("k", "v", T, c.mark());
    expect(c.get("k", T + TTL - 1)).toBe("v");
    expect(c.get("k", T + TTL)).toBeUndefined();
    // Gone for good: an earlier clock does not bring it back.
    expect(c.get("k", T)).toBeUndefined();
  });

  it("does not trust an entry remembered 'in the future' (the clock was moved back)", () => {
    const c = new IsolateCache<string>(TTL, 10);
    c.set("k", "v", T, c.mark());
    expect(c.get("k", T - 1)).toBeUndefined();
  });

  it("does not remember a row read before a change this isolate made while it was read", () => {
    const c = new IsolateCache<string>(TTL, 10);
    const mark = c.mark();
    c.forget("other"); // any row changed in between: the row read may predate it
    c.set("k", "old", T, mark);
    expect(c.get("k", T)).toBeUndefined();
    c.set("k", "new", T, c.mark());
    expect(c.get("k", T)).toBe("new");
  });

  it("forgets a changed row at once", () => {
    const c = new IsolateCache<string>(TTL, 10);
    c.set("k", "v", T, c.mark());
    c.forget("k");
    expect(c.get("k", T)).toBeUndefined();
  });

  it("keeps at most its bound, dropping the entry remembered longest ago", () => {
    const c = new IsolateCache<number>(TTL, 1_000);
    for (let i = 0; i <= 1_000; i++) c.set(`k${i}`, i, T, c.mark());
    expect(c.get("k0", T)).toBeUndefined();
    expect(Array.from({ length: 1_000 }, (_, i) => c.get(`k${i + 1}`, T)).every((v, i) => v === i + 1)).toBe(true);
  });

  it("hands out frozen values: requests share them", () => {
    const c = new IsolateCache<{ n: number }>(TTL, 10);
    c.set("k", { n: 1 }, T, c.mark());
    expect(Object.isFrozen(c.get("k", T))).toBe(true);
  });
});
