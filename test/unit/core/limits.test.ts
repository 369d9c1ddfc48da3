import { afterEach, describe, expect, it, vi } from "vitest";
import { LIMITS, schedulesPerNamespaceLimit } from "../../../src/core/limits.ts";

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
