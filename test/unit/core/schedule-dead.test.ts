import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { followDropped } from "../../../src/core/schedule/backfill-chain.ts";
import { initialState, runClosed, startExtra, type PendingFire } from "../../../src/core/schedule/machine.ts";
import { compileSpec } from "../../../src/core/spec.ts";

// A schedule that goes dead (on_failure: dead) drops every fire waiting in its buffer. Each is
// skipped by overlap: an outcome (its action), counted in skipped_overlap, so a backfill's next
// batch follows the last of its fires that was not dropped.

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const HOUR = 3_600_000;

function ctx(policy: Partial<SchedulePolicy>, now: number) {
  const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *" }), { createdAt: T0 });
  return { spec, scheduleId: "s", policy: { ...DEFAULT_SCHEDULE_POLICY, ...policy }, now };
}

describe("schedule machine: a schedule that goes dead", () => {
  const policy = { overlap: "BUFFER_ALL" as const, on_failure: "dead" as const, retry_max: 0 };
  const backfill = (h: number): PendingFire => ({ nominal: T0 - h * HOUR, actual: T0 - h * HOUR, kind: "backfill", backfillId: 1, last: null });
  const trigger: PendingFire = { nominal: T0 + 1, actual: T0 + 1, kind: "trigger", requestId: "r", timed: true };

  it("drops its waiting fires as skipped by overlap: one outcome each, counted", () => {
    const fires = [backfill(4), backfill(3), backfill(2)];
    let t = startExtra(ctx(policy, T0), initialState(T0, false, ""), fires);
    t = startExtra(ctx(policy, T0 + 1), t.state, [trigger]);
    expect(t.state.running.map((r) => r.fire.nominal)).toEqual([T0 - 4 * HOUR]);
    expect(t.state.buffer).toHaveLength(3);
    const closed = runClosed(ctx(policy, T0 + 2), t.state, "s:2027-01-03T20:00:00.000Z:backfill-1", "failed", "boom");
    expect(closed.state.status).toBe("dead");
    expect(closed.state.buffer).toEqual([]);
    expect(closed.state.counters).toMatchObject({ failed: 1, skipped_overlap: 3 });
    const skipped = closed.outcomes.filter((o) => o.kind === "skipped_overlap").map((o) => o.fire?.nominal);
    expect(skipped).toEqual([T0 - 3 * HOUR, T0 - 2 * HOUR, T0 + 1]);
    expect(closed.start).toEqual([]);
  });

  it("the backfill's next fire follows its last fire that ran, not a dropped one", () => {
    const fires = [backfill(4), backfill(3), backfill(2)];
    const t = startExtra(ctx(policy, T0), initialState(T0, false, ""), fires);
    const closed = runClosed(ctx(policy, T0 + 2), t.state, "s:2027-01-03T20:00:00.000Z:backfill-1", "failed", "boom");
    const dropped = closed.outcomes.flatMap((o) => (o.kind === "skipped_overlap" && o.fire ? [o.fire] : []));
    // The job last had 22:00 (its batch's last fire not skipped then): 23:00 now follows 20:00, the one that ran.
    expect(followDropped(dropped, 1, T0 - 2 * HOUR)).toBe(T0 - 4 * HOUR);
  });
});
