import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { initialState, runClosed, startExtra, tick, type ScheduleState } from "../../../src/core/schedule/machine.ts";
import { compileSpec } from "../../../src/core/spec.ts";
import { withOverlap } from "./schedule-support.ts";


const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const HOUR = 3_600_000;

function ctx(policy: Partial<SchedulePolicy>, now: number) {
  const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *" }), { createdAt: T0 });
  return { spec, scheduleId: "s", policy: { ...DEFAULT_SCHEDULE_POLICY, ...policy }, now };
}

describe("schedule machine: retries and overlap", () => {
  it("holds a due retry while another run is open instead of letting SKIP drop it, and starts it when the slot frees", () => {
    const policy = { retry_max: 1, retry_delay_seconds: 60, on_failure: "dead" as const };
    let s: ScheduleState = initialState(T0, false, "");
    // 01:00 fires and fails; a retry is due at 01:01.
    let t = tick(ctx(policy, T0 + HOUR), s);
    expect(t.start.map((x) => x.runId)).toEqual(["s:2027-01-04T01:00:00.000Z"]);
    t = runClosed(ctx(policy, T0 + HOUR + 1000), t.state, "s:2027-01-04T01:00:00.000Z", "failed", "boom");
    expect(t.state.retry?.at).toBe(T0 + HOUR + 1000 + 60_000);
    // 02:00 fires before the retry could run (the retry was not yet due at 01:01 because the alarm was late).
    s = { ...t.state, retry: { ...t.state.retry!, at: T0 + 2 * HOUR } };
    t = tick(ctx(policy, T0 + 2 * HOUR), { ...s, running: [{ runId: "other", fire: { nominal: 0, actual: 0, kind: "trigger" } }] });
    expect(t.state.retry).not.toBeNull();
    expect(t.state.counters.skipped_overlap).toBe(1); // the 02:00 fire, not the retry
    expect(t.nextAlarm).not.toBe(T0 + 2 * HOUR); // a held retry does not spin the alarm
    t = runClosed(ctx(policy, T0 + 2 * HOUR + 5), t.state, "other", "completed", null);
    expect(t.start.map((x) => x.runId)).toEqual(["s:2027-01-04T01:00:00.000Z:retry-1"]);
  });

  it("each start carries its payload's last_timestamp: the last scheduled fire before it, and a retry keeps its original's", () => {
    const policy = { overlap: "ALLOW_ALL" as const, retry_max: 1, retry_delay_seconds: 60 };
    let t = tick(ctx(policy, T0 + 2 * HOUR), initialState(T0, false, ""));
    // 01:00 and 02:00 due together (catch-up): the first has none, the second has 01:00.
    expect(t.start.map((x) => [x.runId, x.last])).toEqual([
      ["s:2027-01-04T01:00:00.000Z", null],
      ["s:2027-01-04T02:00:00.000Z", T0 + HOUR],
    ]);
    // A trigger reports the last scheduled fire and does not become it.
    const trig = startExtra(ctx(policy, T0 + 2 * HOUR + 1), t.state, withOverlap([{ nominal: T0 + 2 * HOUR + 1, actual: T0 + 2 * HOUR + 1, kind: "trigger", requestId: "x" }], "ALLOW_ALL"));
    expect(trig.start[0]!.last).toBe(T0 + 2 * HOUR);
    // 01:00 fails after 02:00 started: its retry re-runs 01:00's window (last null), not 02:00's.
    t = runClosed(ctx(policy, T0 + 2 * HOUR + 2), trig.state, "s:2027-01-04T01:00:00.000Z", "failed", "boom");
    expect(t.state.retry).toMatchObject({ nominal: T0 + HOUR, last: null });
    t = tick(ctx(policy, T0 + 2 * HOUR + 2 + 60_000), t.state);
    expect(t.start.map((x) => [x.runId, x.last])).toEqual([["s:2027-01-04T01:00:00.000Z:retry-1", null]]);
    // A backfilled fire (even one ahead of now) is not the last scheduled fire either.
    const bf = startExtra(ctx(policy, T0 + 2 * HOUR + 3), t.state, withOverlap([{ nominal: T0 + 30 * HOUR, actual: T0 + 30 * HOUR, kind: "backfill", last: null }], "ALLOW_ALL"));
    expect(bf.state.lastNominal).toBe(T0 + 2 * HOUR);
    t = { ...t, state: bf.state };
    // 03:00 follows 02:00 (a retry re-runs an earlier fire; it is not the last fire).
    t = tick(ctx(policy, T0 + 3 * HOUR), t.state);
    expect(t.start.map((x) => [x.runId, x.last])).toEqual([["s:2027-01-04T03:00:00.000Z", T0 + 2 * HOUR]]);
  });

  it("a backfilled fire's last_timestamp is the backfill's fire before it that overlap did not skip", () => {
    const bf = (h: number, last?: number | null) => ({ nominal: T0 + h * HOUR, actual: T0 + h * HOUR, kind: "backfill" as const, ...(last !== undefined ? { last } : {}) });
    const s = initialState(T0 + 100 * HOUR, false, "");
    const busy: ScheduleState = { ...s, running: [{ runId: "other", fire: { nominal: 0, actual: 0, kind: "trigger" } }] };
    // SKIP with nothing open: 01:00 starts, 02:00-04:00 are skipped; the batch began after the backfill's 00:00.
    const skip = startExtra(ctx({}, T0 + 100 * HOUR), s, withOverlap([bf(1, T0), bf(2, T0), bf(3, T0), bf(4, T0)], "SKIP"));
    expect(skip.start.map((x) => [x.fire.nominal, x.last])).toEqual([[T0 + HOUR, T0]]);
    // BUFFER_ONE with a run open: 01:00 waits, 02:00 and 03:00 are skipped; the one waiting keeps its own last.
    const one = startExtra(ctx({}, T0 + 100 * HOUR), busy, withOverlap([bf(1, null), bf(2, null), bf(3, null)], "BUFFER_ONE"));
    expect(one.state.buffer.map((f) => [f.nominal, f.last])).toEqual([[T0 + HOUR, null]]);
    // BUFFER_ONE with nothing open: 01:00 starts, 02:00 waits (after 01:00), 03:00 is skipped.
    const free = startExtra(ctx({}, T0 + 100 * HOUR), s, withOverlap([bf(1, null), bf(2, null), bf(3, null)], "BUFFER_ONE"));
    expect(free.start.map((x) => [x.fire.nominal, x.last])).toEqual([[T0 + HOUR, null]]);
    expect(free.state.buffer.map((f) => [f.nominal, f.last])).toEqual([[T0 + 2 * HOUR, T0 + HOUR]]);
    // CANCEL_OTHER with nothing open starts only the newest: its last is the batch's own start of chain.
    const cancel = startExtra(ctx({}, T0 + 100 * HOUR), s, withOverlap([bf(1, T0), bf(2, T0), bf(3, T0)], "CANCEL_OTHER"));
    expect(cancel.start.map((x) => [x.fire.nominal, x.last])).toEqual([[T0 + 3 * HOUR, T0]]);
    // CANCEL_OTHER across batches with a run still open: the first batch's newest waits; the next
    // batch drops it for its own newest, which then follows what the dropped one followed.
    const first = startExtra(ctx({}, T0 + 100 * HOUR), busy, withOverlap([bf(1, null), bf(2, null), bf(3, null)], "CANCEL_OTHER"));
    expect(first.state.buffer.map((f) => [f.nominal, f.last])).toEqual([[T0 + 3 * HOUR, null]]);
    const second = startExtra(ctx({}, T0 + 100 * HOUR), first.state, withOverlap([bf(4, T0 + 3 * HOUR), bf(5, T0 + 3 * HOUR), bf(6, T0 + 3 * HOUR)], "CANCEL_OTHER"));
    expect(second.state.buffer.map((f) => [f.nominal, f.last])).toEqual([[T0 + 6 * HOUR, null]]);
    // ALLOW_ALL: each follows the one before it.
    const all = startExtra(ctx({}, T0 + 100 * HOUR), s, withOverlap([bf(1, null), bf(2, null), bf(3, null)], "ALLOW_ALL"));
    expect(all.start.map((x) => x.last)).toEqual([null, T0 + HOUR, T0 + 2 * HOUR]);
  });

  it("a backfilled fire left waiting when a policy change drops the fires before it follows what they followed", () => {
    const bf = (h: number) => ({ nominal: T0 + h * HOUR, actual: T0 + h * HOUR, kind: "backfill" as const, backfillId: 1, last: null });
    const s = initialState(T0 + 100 * HOUR, false, "");
    const busy: ScheduleState = { ...s, running: [{ runId: "other", fire: { nominal: 0, actual: 0, kind: "trigger" } }] };
    // BUFFER_ALL (the schedule's): all three wait, each following the one before it.
    const waiting = startExtra(ctx({ overlap: "BUFFER_ALL" }, T0 + 100 * HOUR), busy, [bf(1), bf(2), bf(3)]);
    expect(waiting.state.buffer.map((f) => [f.nominal, f.last])).toEqual([[T0 + HOUR, null], [T0 + 2 * HOUR, T0 + HOUR], [T0 + 3 * HOUR, T0 + 2 * HOUR]]);
    // A PATCH to CANCEL_OTHER: the next decision keeps only 03:00; 01:00 and 02:00 never run, so 03:00 follows nothing.
    const t = tick(ctx({ overlap: "CANCEL_OTHER" }, T0 + 100 * HOUR), waiting.state);
    expect(t.outcomes.filter((o) => o.kind === "skipped_overlap").map((o) => o.fire?.nominal)).toEqual([T0 + HOUR, T0 + 2 * HOUR]);
    expect(t.state.buffer.map((f) => [f.nominal, f.last])).toEqual([[T0 + 3 * HOUR, null]]);
    expect(t.outcomes.filter((o) => o.kind === "buffered")).toEqual([]); // it waited already: no new action
    // TERMINATE_OTHER starts it at once, with the same last_timestamp.
    const now = tick(ctx({ overlap: "TERMINATE_OTHER" }, T0 + 100 * HOUR), waiting.state);
    expect(now.start.map((x) => [x.fire.nominal, x.last])).toEqual([[T0 + 3 * HOUR, null]]);
  });

  it("a run recorded before runs kept last_timestamp: its retry's comes from the start, not a null that reads as a first run", () => {
    const policy = { retry_max: 1, retry_delay_seconds: 60 };
    const old: ScheduleState = { ...initialState(T0, false, ""), lastProcessed: T0 + HOUR, lastNominal: T0 + HOUR, running: [{ runId: "s:2027-01-04T01:00:00.000Z", fire: { nominal: T0 + HOUR, actual: T0 + HOUR, kind: "scheduled" } }] };
    const t = runClosed(ctx(policy, T0 + HOUR + 1000), old, "s:2027-01-04T01:00:00.000Z", "failed", "boom");
    expect(t.state.retry).not.toHaveProperty("last");
    const r = tick(ctx(policy, T0 + HOUR + 61_000), t.state);
    expect(r.start.map((x) => [x.runId, x.last])).toEqual([["s:2027-01-04T01:00:00.000Z:retry-1", T0 + HOUR]]);
  });

  it("a close notice delivered twice changes nothing the second time (no second failure, no second retry)", () => {
    const policy = { retry_max: 1, retry_delay_seconds: 60 };
    const t = tick(ctx(policy, T0 + HOUR), initialState(T0, false, ""));
    const once = runClosed(ctx(policy, T0 + HOUR + 1000), t.state, "s:2027-01-04T01:00:00.000Z", "failed", "boom");
    const twice = runClosed(ctx(policy, T0 + HOUR + 2000), once.state, "s:2027-01-04T01:00:00.000Z", "failed", "boom");
    expect(once.known).toBe(true);
    expect(twice.known).toBe(false);
    expect(twice.state).toBe(once.state);
    expect(twice.state.counters.failed).toBe(1);
    expect(twice.state.retry).toMatchObject({ retry: 1, at: T0 + HOUR + 1000 + 60_000 });
  });

  it("CANCEL_OTHER asks an open run to cancel once: later fires waiting for its slot do not ask again", () => {
    const policy = { overlap: "CANCEL_OTHER" as const };
    let t = tick(ctx(policy, T0 + HOUR), initialState(T0, false, ""));
    const first = "s:2027-01-04T01:00:00.000Z";
    expect(t.start.map((x) => x.runId)).toEqual([first]);
    t = tick(ctx(policy, T0 + 2 * HOUR), t.state);
    expect(t.cancel).toEqual([first]);
    expect(t.outcomes.filter((o) => o.kind === "cancel_requested")).toHaveLength(1);
    // 03:00 comes before the run has closed: it takes 02:00's place, and the run is not asked again.
    t = tick(ctx(policy, T0 + 3 * HOUR), t.state);
    expect(t.state.buffer.map((f) => f.nominal)).toEqual([T0 + 3 * HOUR]);
    expect(t.cancel).toEqual([]);
    expect(t.outcomes.map((o) => o.kind)).toEqual(["skipped_overlap", "buffered"]);
    t = runClosed(ctx(policy, T0 + 3 * HOUR + 5), t.state, first, "cancelled", null);
    expect(t.start.map((x) => x.runId)).toEqual(["s:2027-01-04T03:00:00.000Z"]);
    // The new run has not been asked: the next fire asks it.
    t = tick(ctx(policy, T0 + 4 * HOUR), t.state);
    expect(t.cancel).toEqual(["s:2027-01-04T03:00:00.000Z"]);
  });

  it("current_retry goes back to 0 when a retry run is cancelled or terminated: no retry follows it", () => {
    for (const status of ["cancelled", "terminated"]) {
      const policy = { retry_max: 3, retry_delay_seconds: 60 };
      let t = tick(ctx(policy, T0 + HOUR), initialState(T0, false, ""));
      t = runClosed(ctx(policy, T0 + HOUR + 1), t.state, "s:2027-01-04T01:00:00.000Z", "failed", "boom");
      t = tick(ctx(policy, T0 + HOUR + 1 + 60_000), t.state);
      expect(t.start.map((x) => x.runId)).toEqual(["s:2027-01-04T01:00:00.000Z:retry-1"]);
      expect(t.state.currentRetry).toBe(1);
      t = runClosed(ctx(policy, T0 + HOUR + 2 + 60_000), t.state, "s:2027-01-04T01:00:00.000Z:retry-1", status, null);
      expect(t.state.retry, status).toBeNull();
      expect(t.state.currentRetry, status).toBe(0);
    }
  });

  it("current_retry goes back to 0 when the overlap policy terminates a retry run (a TERMINATE_OTHER trigger): its close notice is not the schedule's any more", () => {
    const spec = compileSpec(ScheduleSpecInput.parse({ at: new Date(T0 + HOUR).toISOString() }), { createdAt: T0 });
    const c = (now: number) => ({ spec, scheduleId: "s", policy: { ...DEFAULT_SCHEDULE_POLICY, retry_max: 3, retry_delay_seconds: 60 }, now });
    let t = tick(c(T0 + HOUR), initialState(T0, false, ""));
    t = runClosed(c(T0 + HOUR + 1), t.state, "s:2027-01-04T01:00:00.000Z", "failed", "boom");
    t = tick(c(T0 + HOUR + 1 + 60_000), t.state);
    expect(t.start.map((x) => x.runId)).toEqual(["s:2027-01-04T01:00:00.000Z:retry-1"]);
    expect(t.state.currentRetry).toBe(1);
    const now = T0 + HOUR + 2 * 60_000;
    const trig = startExtra(c(now), t.state, withOverlap([{ nominal: now, actual: now, kind: "trigger" as const, requestId: "r", timed: true as const }], "TERMINATE_OTHER"));
    expect(trig.terminate).toEqual(["s:2027-01-04T01:00:00.000Z:retry-1"]);
    expect(trig.state.currentRetry).toBe(0);
    // The one-shot has nothing left once the trigger's run closes: completed, with no retry under way.
    const closed = runClosed(c(now + 1), trig.state, trig.start[0]!.runId, "completed", null);
    expect(closed.state).toMatchObject({ status: "completed", retry: null, currentRetry: 0 });
  });

  it("a paused schedule's CANCEL_OTHER trigger after a fire waiting under a schedule policy changed to TERMINATE_OTHER waits for the run it asks to cancel", () => {
    const bf = { nominal: T0 - HOUR, actual: T0 - HOUR, kind: "backfill" as const, backfillId: 1, last: null };
    const paused: ScheduleState = { ...initialState(T0, true, "paused"), running: [{ runId: "s:2027-01-03T23:00:00.000Z:backfill-1", fire: bf }] };
    // A trigger without its own policy waits (BUFFER_ALL); then the policy becomes TERMINATE_OTHER (paused: nothing is decided).
    const now = T0 + 60_000;
    let t = startExtra(ctx({ overlap: "BUFFER_ALL" }, now), paused, [{ nominal: now, actual: now, kind: "trigger", requestId: "t1", timed: true }]);
    expect(t.state.buffer).toHaveLength(1);
    const t2 = { nominal: now + 1, actual: now + 1, kind: "trigger" as const, requestId: "t2", timed: true as const, overlap: "CANCEL_OTHER" as const };
    t = startExtra(ctx({ overlap: "TERMINATE_OTHER" }, now + 1), t.state, [t2]);
    expect(t.terminate).toEqual([]);
    expect(t.cancel).toEqual(["s:2027-01-03T23:00:00.000Z:backfill-1"]);
    expect(t.state.buffer.map((f) => f.requestId)).toEqual(["t2"]);
    // The run closes as cancelled: the trigger starts in its slot.
    const closed = runClosed(ctx({ overlap: "TERMINATE_OTHER" }, now + 2), t.state, "s:2027-01-03T23:00:00.000Z:backfill-1", "cancelled", null);
    expect(closed.start.map((x) => x.fire.requestId)).toEqual(["t2"]);
  });

  it("BUFFER_ALL keeps at most 1,000 fires waiting; the ones past the cap are skipped and counted", () => {
    const running: ScheduleState["running"] = [{ runId: "open", fire: { nominal: T0, actual: T0, kind: "scheduled" } }];
    const waiting = Array.from({ length: 999 }, (_, i) => ({ nominal: T0 + (i + 1) * HOUR, actual: T0 + (i + 1) * HOUR, kind: "backfill" as const }));
    const s: ScheduleState = { ...initialState(T0, false, ""), running, buffer: waiting };
    const more = [2000, 2001, 2002].map((h) => ({ nominal: T0 + h * HOUR, actual: T0 + h * HOUR, kind: "backfill" as const }));
    const t = startExtra(ctx({ overlap: "BUFFER_ALL" }, T0 + 1), s, withOverlap(more, "BUFFER_ALL"));
    expect(t.start).toEqual([]);
    expect(t.state.buffer).toHaveLength(1_000);
    expect(t.state.buffer.at(-1)).toBe(more[0]);
    expect(t.state.counters.skipped_overlap).toBe(2);
  });

  it("does not start the same trigger request twice", () => {
    const s = initialState(T0, false, "");
    const fire = { nominal: T0 + 5, actual: T0 + 5, kind: "trigger" as const, requestId: "r1" };
    const first = startExtra(ctx({ overlap: "ALLOW_ALL" }, T0 + 5), s, withOverlap([fire], "ALLOW_ALL"));
    const second = startExtra(ctx({ overlap: "ALLOW_ALL" }, T0 + 6), first.state, withOverlap([{ ...fire }], "ALLOW_ALL"));
    expect(first.start).toHaveLength(1);
    expect(second.start).toHaveLength(0);
    expect(second.state.running).toHaveLength(1);
  });

  it("a started run keeps no trigger input in the state (its start carries it): the state stays small", () => {
    const fire = { nominal: T0 + 5, actual: T0 + 5, kind: "trigger" as const, requestId: "big", input: { blob: "x".repeat(200_000) } };
    const t = startExtra(ctx({ overlap: "ALLOW_ALL" }, T0 + 5), initialState(T0, false, ""), withOverlap([fire], "ALLOW_ALL"));
    expect(t.start[0]!.fire.input).toEqual(fire.input);
    expect(t.state.running[0]!.fire).toEqual({ nominal: T0 + 5, actual: T0 + 5, kind: "trigger", requestId: "big" });
    expect(JSON.stringify(t.state).length).toBeLessThan(1_000);
  });

  it("ALLOW_ALL tracks at most 1,000 open runs: fires past the cap are skipped and counted, and a due retry waits for a slot", () => {
    const running: ScheduleState["running"] = Array.from({ length: 998 }, (_, i) => ({ runId: `open-${i}`, fire: { nominal: T0, actual: T0, kind: "trigger" as const, requestId: String(i) } }));
    const s: ScheduleState = { ...initialState(T0, false, ""), running };
    const fires = [3, 2, 1].map((h) => ({ nominal: T0 - h * HOUR, actual: T0 - h * HOUR, kind: "backfill" as const }));
    const t = startExtra(ctx({ overlap: "ALLOW_ALL" }, T0 + 1), s, withOverlap(fires, "ALLOW_ALL"));
    expect(t.start.map((x) => x.fire.nominal)).toEqual([T0 - 3 * HOUR, T0 - 2 * HOUR]);
    expect(t.state.running).toHaveLength(1_000);
    expect(t.state.counters).toMatchObject({ fired: 2, skipped_overlap: 1 });
    expect(t.outcomes.filter((o) => o.kind === "skipped_overlap").map((o) => o.fire?.nominal)).toEqual([T0 - HOUR]);
    // At the cap a due retry is held (not dropped), and starts once a run closes.
    const policy = { overlap: "ALLOW_ALL" as const, retry_max: 1, retry_delay_seconds: 60 };
    const retry = { nominal: T0, actual: T0, kind: "retry" as const, retry: 1, at: T0 + 10 };
    const held = tick(ctx(policy, T0 + 20), { ...t.state, lastProcessed: T0 + 20, retry });
    expect(held.start).toEqual([]);
    expect(held.state.retry).toEqual(retry);
    const freed = runClosed(ctx(policy, T0 + 30), held.state, "open-0", "completed", null);
    expect(freed.start.map((x) => x.runId)).toEqual(["s:2027-01-04T00:00:00.000Z:retry-1"]);
  });

  for (const overlap of ["CANCEL_OTHER", "TERMINATE_OTHER"] as const) {
    it(`${overlap}: a due retry beside a scheduled fire is not dropped; it runs after that fire's run, and on_failure applies to it`, () => {
      const policy = { overlap, retry_max: 1, retry_delay_seconds: 90, on_failure: "pause" as const };
      // 01:00 fails at 01:00:30; its retry is due at 01:02:00, while 02:00 is not yet due.
      let t = tick(ctx(policy, T0 + HOUR), initialState(T0, false, ""));
      t = runClosed(ctx(policy, T0 + HOUR + 30_000), t.state, "s:2027-01-04T01:00:00.000Z", "failed", "boom");
      expect(t.state.retry).toMatchObject({ retry: 1, at: T0 + HOUR + 120_000 });
      // The alarm is late: at 02:00:05 the retry and the 02:00 fire are due together.
      t = tick(ctx(policy, T0 + 2 * HOUR + 5_000), t.state);
      expect(t.start.map((x) => x.runId)).toEqual(["s:2027-01-04T02:00:00.000Z"]);
      expect(t.state.retry).toMatchObject({ retry: 1 });
      expect(t.state.counters.skipped_overlap).toBe(0);
      // 02:00 completes: the retry starts; it fails, and on_failure pauses the schedule.
      t = runClosed(ctx(policy, T0 + 2 * HOUR + 60_000), t.state, "s:2027-01-04T02:00:00.000Z", "completed", null);
      expect(t.start.map((x) => x.runId)).toEqual(["s:2027-01-04T01:00:00.000Z:retry-1"]);
      t = runClosed(ctx(policy, T0 + 2 * HOUR + 90_000), t.state, "s:2027-01-04T01:00:00.000Z:retry-1", "failed", "boom again");
      expect(t.state.status).toBe("paused");
    });
  }
});
