import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput } from "@sundial/sdk/protocol";
import { LIMITS } from "../../../src/core/limits.ts";
import { initialState } from "../../../src/core/schedule/machine.ts";
import { compileSpec } from "../../../src/core/spec.ts";
import { nextScheduleAlarm } from "../../../src/objects/schedule-plan.ts";
import type { ScheduleRow } from "../../../src/objects/schedule-store.ts";

// nextScheduleAlarm (src/objects/schedule-plan.ts): a pending backfill wakes the schedule at once,
// unless it is waiting for runs to close (LIMITS.runningCap): then their close notices wake it, and
// the alarm must not ring back to back meanwhile.

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const spec = ScheduleSpecInput.parse({ cron: "0 9 * * *" });

function row(running: number): ScheduleRow {
  const open = Array.from({ length: running }, (_, i) => ({ runId: `r${i}`, fire: { nominal: T0, actual: T0, kind: "backfill" as const } }));
  return {
    namespace: "ns", schedule_id: "s", workflow: "w", key: "global", source: "api", spec, policy: { ...DEFAULT_SCHEDULE_POLICY, overlap: "ALLOW_ALL" },
    input: null, task_queue: "q", execution_timeout: null, version: 1, created_at: T0, updated_at: T0, spec_origin: T0,
    state: { ...initialState(T0, false, ""), running: open },
  };
}

describe("nextScheduleAlarm with a pending backfill", () => {
  const compiled = compileSpec(spec, { createdAt: T0 });
  it("wakes at once while the schedule can start more runs", () => {
    expect(nextScheduleAlarm(row(LIMITS.runningCap - 1), compiled, null, [{ overlap: "" }], 0, T0 + 1)).toBe(T0 + 1);
  });
  it("does not spin while the schedule tracks as many open runs as it may: the next thing to do is the next fire", () => {
    expect(nextScheduleAlarm(row(LIMITS.runningCap), compiled, null, [{ overlap: "" }], 0, T0 + 1)).toBe(T0 + 9 * 3_600_000);
  });
});

describe("nextScheduleAlarm with a backfill and a buffer half full", () => {
  const compiled = compileSpec(spec, { createdAt: T0 });
  const full = (): ScheduleRow => {
    const r = row(0);
    const waiting = Array.from({ length: LIMITS.bufferCap / 2 }, (_, i) => ({ nominal: T0 + i, actual: T0 + i, kind: "scheduled" as const }));
    return { ...r, state: { ...r.state, status: "paused", buffer: waiting } };
  };
  it("wakes at once for a backfill whose fires never wait in the buffer (ALLOW_ALL, SKIP)", () => {
    expect(nextScheduleAlarm(full(), compiled, null, [{ overlap: "ALLOW_ALL" }], 0, T0 + 1)).toBe(T0 + 1);
    expect(nextScheduleAlarm(full(), compiled, null, [{ overlap: "BUFFER_ALL" }, { overlap: "SKIP" }], 0, T0 + 1)).toBe(T0 + 1);
  });
  it("does not for one under BUFFER_ALL, nor for one following a BUFFER_ALL schedule's policy", () => {
    expect(nextScheduleAlarm(full(), compiled, null, [{ overlap: "BUFFER_ALL" }], 0, T0 + 1)).toBeNull();
    const r = full();
    expect(nextScheduleAlarm({ ...r, policy: { ...r.policy, overlap: "BUFFER_ALL" } }, compiled, null, [{ overlap: "" }], 0, T0 + 1)).toBeNull();
  });
});

describe("nextScheduleAlarm with a due retry and a run open", () => {
  const compiled = compileSpec(spec, { createdAt: T0 });
  const retry = { nominal: T0, actual: T0, kind: "retry" as const, retry: 1, at: T0 + 60_000 };
  const withRetry = (r: typeof retry & { missable?: true }): ScheduleRow => {
    const base = row(1);
    return { ...base, policy: { ...base.policy, overlap: "SKIP" }, state: { ...base.state, retry: r } };
  };
  it("one found due, waiting for the slot, wakes nobody (the run's close does)", () => {
    expect(nextScheduleAlarm(withRetry(retry), compiled, null, [], 0, T0 + 120_000)).toBe(T0 + 9 * 3_600_000);
  });
  it("one not yet found due rings at once, to be found in time (a trigger took the slot before its alarm ran)", () => {
    expect(nextScheduleAlarm(withRetry({ ...retry, missable: true }), compiled, null, [], 0, T0 + 120_000)).toBe(T0 + 60_000);
  });
});
