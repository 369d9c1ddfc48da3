import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { initialState, runClosed, tick, type ScheduleState, type Transition } from "../../../src/core/schedule/machine.ts";
import { repeatRuns, runsLeft } from "../../../src/core/schedule/repeat-runs.ts";
import { compileSpec } from "../../../src/core/spec.ts";
import { changesNothing, patchedRow, upsertedRow } from "../../../src/objects/schedule-rows.ts";
import type { ScheduleRow } from "../../../src/objects/schedule-store.ts";

// A spec change counts repeat_count afresh (README "Time semantics"): fires of the old spec still
// waiting in the buffer then run, as they did before runs were counted, but use none of the new
// spec's runs.

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const HOUR = 3_600_000;
const at = (ms: number) => `s:${new Date(ms).toISOString()}`;
const policy: SchedulePolicy = { ...DEFAULT_SCHEDULE_POLICY, overlap: "BUFFER_ALL" };
const hourly = ScheduleSpecInput.parse({ cron: "0 * * * *", repeat_count: 5 });
const halfPast = ScheduleSpecInput.parse({ cron: "30 * * * *", repeat_count: 1 });

function row(state: ScheduleState): ScheduleRow {
  return { namespace: "default", schedule_id: "s", workflow: "wf", key: "k", source: "api", spec: hourly, policy, input: null, task_queue: "q", execution_timeout: null, version: 1, created_at: T0, updated_at: T0, spec_origin: T0, state };
}

/** 01:00 runs; 02:00 and 03:00 wait for it (BUFFER_ALL). */
function busy(): ScheduleState {
  const spec = compileSpec(hourly, { createdAt: T0 });
  let t = tick({ spec, scheduleId: "s", policy, now: T0 + HOUR }, initialState(T0, false, ""));
  t = tick({ spec, scheduleId: "s", policy, now: T0 + 2 * HOUR }, t.state);
  t = tick({ spec, scheduleId: "s", policy, now: T0 + 3 * HOUR }, t.state);
  expect(t.state.buffer.map((f) => f.nominal)).toEqual([T0 + 2 * HOUR, T0 + 3 * HOUR]);
  return t.state;
}

describe("repeat_count after a spec change", () => {
  it("a create with the same spec keeps the plan: the runs counted, and the waiting fires count as before", () => {
    const before = busy();
    const kept = upsertedRow({ namespace: "default", schedule_id: "s", workflow: "wf", key: "k", source: "code", spec: hourly, policy, input: null, task_queue: "q", execution_timeout: undefined, paused: false, note: "" }, row(before), T0 + 4 * HOUR);
    const spec = compileSpec(hourly, { createdAt: kept.spec_origin });
    expect(kept.state).toEqual(before);
    expect([repeatRuns(spec, kept.state), runsLeft(spec, kept.state)]).toEqual([1, 2]);
  });


  const changes: [string, (r: ScheduleRow, now: number) => ScheduleRow][] = [
    ["PATCH", (r, now) => patchedRow(r, { spec: halfPast }, now)],
    ["a create with another spec (upsert)", (r, now) => upsertedRow({ namespace: "default", schedule_id: "s", workflow: "wf", key: "k", source: "api", spec: halfPast, policy, input: null, task_queue: "q", execution_timeout: undefined, paused: false, note: "" }, r, now)],
  ];
  for (const [name, change] of changes) {
    it(`${name}: the old spec's waiting fires run, and the new spec still has its one run`, () => {
      const now = T0 + 3 * HOUR + 10 * 60_000;
      const changed = change(row(busy()), now);
      const spec = compileSpec(halfPast, { createdAt: changed.spec_origin });
      const ctx = (n: number) => ({ spec, scheduleId: "s", policy, now: n });
      expect(runsLeft(spec, changed.state)).toBe(1);
      let t: Transition = runClosed(ctx(now + 1), changed.state, at(T0 + HOUR), "completed", null);
      expect(t.start.map((x) => x.runId)).toEqual([at(T0 + 2 * HOUR)]);
      t = runClosed(ctx(now + 2), t.state, at(T0 + 2 * HOUR), "completed", null);
      expect(t.start.map((x) => x.runId)).toEqual([at(T0 + 3 * HOUR)]);
      t = runClosed(ctx(now + 3), t.state, at(T0 + 3 * HOUR), "completed", null);
      expect(repeatRuns(spec, t.state)).toBe(0);
      expect(t.state.status).toBe("active");
      expect(t.nextAlarm).toBe(T0 + 3.5 * HOUR);
      t = tick(ctx(T0 + 3.5 * HOUR), t.state);
      expect(t.start.map((x) => x.runId)).toEqual([at(T0 + 3.5 * HOUR)]);
      expect(repeatRuns(spec, t.state)).toBe(1);
    });
  }
});

describe("a PATCH that changes nothing", () => {
  const stored = (p: Partial<SchedulePolicy>): ScheduleRow => ({ ...row(initialState(T0, false, "")), policy: { ...policy, ...p } });

  it("a policy PATCH of only overlap is a change; the policy as describe shows it (its catch-up window clamped) is none", () => {
    const r = stored({ catchup_window_seconds: 5 });
    // The API merges a PATCH into the policy describe shows, whose window is clamped to 10 s.
    const shown = { ...r.policy, catchup_window_seconds: 10 };
    expect(changesNothing(r, { policy: shown })).toBe(true);
    expect(changesNothing(r, { policy: { ...shown, overlap: "SKIP" } })).toBe(false);
    expect(changesNothing(r, { policy: { ...shown, catchup_window_seconds: 60 } })).toBe(false);
  });
});
