import { describe, expect, it } from "vitest";
import { scheduleRunId } from "../../../src/core/run-id.ts";
import { hash32, jitterOffset } from "../../../src/core/jitter.ts";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { upcoming, withoutRepeatBound } from "../../../src/core/fire-times.ts";
import { compileSpec } from "../../../src/core/spec.ts";

const HOUR = 3_600_000;

describe("scheduleRunId", () => {
  const nominal = Date.UTC(2026, 10, 22, 9);
  it.each<[Parameters<typeof scheduleRunId>[2], string]>([
    [undefined, "nightly:2026-11-22T09:00:00.000Z"],
    [{ kind: "scheduled" }, "nightly:2026-11-22T09:00:00.000Z"],
    [{ kind: "retry", retry: 2 }, "nightly:2026-11-22T09:00:00.000Z:retry-2"],
    [{ kind: "trigger", requestId: "req-1" }, "nightly:2026-11-22T09:00:00.000Z:trigger:req-1"],
    [{ kind: "backfill", job: 3 }, "nightly:2026-11-22T09:00:00.000Z:backfill-3"],
    // A backfilled fire queued before backfills were numbered (stored state) keeps its run id.
    [{ kind: "backfill" }, "nightly:2026-11-22T09:00:00.000Z:backfill"],
  ])("%j -> %s", (origin, expected) => {
    expect(scheduleRunId("nightly", nominal, origin)).toBe(expected);
  });

  it("keeps milliseconds and is the same for the same inputs", () => {
    expect(scheduleRunId("a", nominal + 123)).toBe("a:2026-11-22T09:00:00.123Z");
    expect(scheduleRunId("a", nominal)).toBe(scheduleRunId("a", nominal));
    expect(scheduleRunId("a", nominal)).not.toBe(scheduleRunId("b", nominal));
    expect(scheduleRunId("a", nominal)).not.toBe(scheduleRunId("a", nominal + 1));
  });

  it("a trigger's request id used again at another time names another run (it is remembered for 24 h only)", () => {
    const trigger = { kind: "trigger", requestId: "once" } as const;
    expect(scheduleRunId("a", nominal, trigger)).toBe(scheduleRunId("a", nominal, trigger));
    expect(scheduleRunId("a", nominal + 86_400_001, trigger)).not.toBe(scheduleRunId("a", nominal, trigger));
  });
});

describe("jitterOffset", () => {
  const nominal = Date.UTC(2026, 10, 22, 9); // 1795338000000

  it("is pinned: a changed hash would move every jittered fire of every schedule", () => {
    // Computed independently (FNV-1a 32 + murmur3 fmix32) outside this code base.
    expect(hash32("")).toBe(2_872_998_923);
    expect(hash32("a")).toBe(444_641_715);
    expect(hash32("nightly|1795338000000")).toBe(2_797_255_970);
    expect(jitterOffset("nightly", nominal, 60_000, null)).toBe(39_077);
  });

  it.each<[string, number, number, number | null, number]>([
    ["no jitter", nominal, 0, nominal + HOUR, 0],
    ["negative jitter", nominal, -5, nominal + HOUR, 0],
    ["next nominal 1 ms away", nominal, 60_000, nominal + 1, 0],
    ["1 ms of jitter", nominal, 1, null, 0],
  ])("%s -> %s", (_name, n, jitterMs, following, expected) => {
    expect(jitterOffset("s", n, jitterMs, following)).toBe(expected);
  });

  it("stays below min(jitter, gap to the next nominal) and spreads over that range", () => {
    const gap = 60_000;
    const values: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const n = nominal + i * gap;
      const j = jitterOffset("spread", n, HOUR, n + gap);
      expect(j).toBeGreaterThanOrEqual(0);
      expect(j).toBeLessThan(gap);
      expect(Number.isInteger(j)).toBe(true);
      values.push(j);
    }
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeGreaterThan(gap * 0.4);
    expect(mean).toBeLessThan(gap * 0.6);
    expect(values.filter((v) => v < gap / 10).length).toBeGreaterThan(100);
    expect(values.filter((v) => v >= gap * 0.9).length).toBeGreaterThan(100);
  });

  it("depends on the schedule id and the nominal time", () => {
    const byId = new Set(Array.from({ length: 50 }, (_, i) => jitterOffset(`id-${i}`, nominal, HOUR, null)));
    const byTime = new Set(Array.from({ length: 50 }, (_, i) => jitterOffset("id", nominal + i * HOUR, HOUR, null)));
    expect(byId.size).toBeGreaterThan(45);
    expect(byTime.size).toBeGreaterThan(45);
  });
});

describe("jitter with repeat_count", () => {
  // repeat_count limits the runs a schedule starts, not its fire times: the planner (and describe)
  // bounds the last run's jitter by the spec's next fire time. Preview, which lists the first
  // repeat_count fires, must show the same actual times, and never one past the next nominal time.
  it("the last allowed fire's jitter stops short of the spec's next fire time, as the planner's does", () => {
    const T0 = Date.UTC(2027, 7, 10);
    const spec = compileSpec(ScheduleSpecInput.parse({ cron: "*/10 * * * *", repeat_count: 3, jitter_seconds: "1h" }), { createdAt: T0 });
    for (const id of ["a", "b", "c", "d", "e", "f", "g", "h"]) {
      const previewed = upcoming(spec, id, T0, 3);
      expect(previewed.map((f) => f.nominal)).toEqual([1, 2, 3].map((k) => T0 + k * 600_000));
      expect(previewed).toEqual(upcoming(withoutRepeatBound(spec), id, T0, 3));
      expect(previewed[2]!.actual).toBeLessThan(T0 + 4 * 600_000);
    }
  });
});
