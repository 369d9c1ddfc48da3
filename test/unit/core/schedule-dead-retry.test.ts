import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { initialState, runClosed, startExtra, tick } from "../../../src/core/schedule/machine.ts";
import { compileSpec } from "../../../src/core/spec.ts";

// README "Failure": `dead` fires no more — its waiting retries go. Under ALLOW_ALL (or beside a
// trigger or backfill run) another run can still be open when the schedule goes dead; its failure
// afterwards must not queue a retry the dead schedule would never run (nor one a resume would run,
// when every retry waiting at the death was dropped).

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const M = 60_000;
const HOUR = 60 * M;

function ctx(policy: Partial<SchedulePolicy>, now: number) {
  const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *" }), { createdAt: T0 });
  return { spec, scheduleId: "s", policy: { ...DEFAULT_SCHEDULE_POLICY, ...policy }, now };
}

const id = (h: number) => `s:${new Date(T0 + h * HOUR).toISOString()}`;

describe("a run that fails once its schedule is dead", () => {
  it("queues no retry: the dead schedule fires no more", () => {
    const policy = { overlap: "ALLOW_ALL" as const, retry_max: 2, retry_delay_seconds: 60, on_failure: "dead" as const };
    // 01:00 and 02:00 caught up together, both open. A trigger fails: on_failure dead decides at once.
    let t = tick(ctx(policy, T0 + 2 * HOUR), initialState(T0, false, ""));
    expect(t.start.map((x) => x.runId)).toEqual([id(1), id(2)]);
    const now = T0 + 2 * HOUR + M;
    const trig = startExtra(ctx(policy, now), t.state, [{ nominal: now, actual: now, kind: "trigger", requestId: "manual", timed: true }]);
    t = runClosed(ctx(policy, now + 1), trig.state, trig.start[0]!.runId, "failed", "boom");
    expect(t.state.status).toBe("dead");
    // 01:00's run fails after that.
    t = runClosed(ctx(policy, now + 2), t.state, id(1), "failed", "boom");
    expect(t.state).toMatchObject({ status: "dead", retry: null, currentRetry: 0, counters: { failed: 2 } });
    expect(t.outcomes.some((o) => o.kind === "retry_scheduled")).toBe(false);
  });
});
