import { afterEach, describe, expect, it, vi } from "vitest";
import { exceedsPayloadLimit, LIMITS, schedulesPerNamespaceLimit } from "../../../src/core/limits.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("schedulesPerNamespaceLimit (SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE)", () => {
  it.each([
    ["5000", 5000],
    [" 25 ", 25],
    ["1", 1],
    ["2000000", 2_000_000],
    [undefined, LIMITS.schedulesPerNamespace],
    ["", LIMITS.schedulesPerNamespace],
  ])("%j → %d, silently", (raw, want) => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(schedulesPerNamespaceLimit(raw)).toBe(want);
    expect(warn).not.toHaveBeenCalled();
  });

  it.each(["0", "-5", "10k", "1e3", "2.5", "0x10", "NaN", "Infinity", "99999999999999999999"])("%j is malformed: the default, with one warning", (raw) => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    expect(schedulesPerNamespaceLimit(raw)).toBe(LIMITS.schedulesPerNamespace);
    expect(schedulesPerNamespaceLimit(raw)).toBe(LIMITS.schedulesPerNamespace);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain("SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE");
  });
});

describe("exceedsPayloadLimit (UTF-8 bytes of the JSON, LIMITS.maxPayloadBytes)", () => {
  const max = LIMITS.maxPayloadBytes;
  const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;
  it.each([
    ["nothing", undefined],
    ["null", null],
    ["ASCII, exactly at the limit", "a".repeat(max - 2)],
    ["two-byte characters, exactly at the limit", "é".repeat((max - 2) / 2)],
    ["three-byte characters, exactly at the limit", `${"€".repeat((max - 2 - 1) / 3)}a`],
    ["short enough to skip encoding", "€".repeat(Math.floor(max / 9))],
  ])("%s: within", (_name, value) => {
    expect(value === undefined || bytes(value) <= max).toBe(true);
    expect(exceedsPayloadLimit(value)).toBe(false);
  });
  it.each([
    ["ASCII, one byte over", "a".repeat(max - 1)],
    ["two-byte characters, one byte over", `${"é".repeat((max - 2) / 2)}a`],
    ["three-byte characters, fewer characters than the limit", "€".repeat(Math.ceil(max / 3))],
    ["longer than the limit in characters", "a".repeat(max + 10)],
    ["an object", { rows: Array.from({ length: 30_000 }, (_, i) => ({ i })) }],
  ])("%s: over", (_name, value) => {
    expect(bytes(value)).toBeGreaterThan(max);
    expect(exceedsPayloadLimit(value)).toBe(true);
  });
});
