import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type SchedulePolicy } from "@sundial/sdk/protocol";
import { adoptPrepared, initialState, runClosed, SKIPPED_CATCHUP, skipPrepared, tick, type ScheduleState } from "../../../src/core/schedule/machine.ts";
import { planPrepare, prepareAt, settleAt, settlePrepared } from "../../../src/core/schedule/prepare.ts";
import { compileSpec } from "../../../src/core/spec.ts";

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const HOUR = 3_600_000;
const AHEAD = 60_000;
const FIRE = T0 + HOUR;
const RUN = "s:2027-01-04T01:00:00.000Z";

function ctx(policy: Partial<SchedulePolicy>, now: number, jitter?: string) {
  const spec = compileSpec(ScheduleSpecInput.parse({ cron: "0 * * * *", ...(jitter ? { jitter_seconds: jitter } : {}) }), { createdAt: T0 });
  return { spec, scheduleId: "s", policy: { ...DEFAULT_SCHEDULE_POLICY, ...policy }, now };
}

const open = (s: ScheduleState): ScheduleState => ({ ...s, running: [{ runId: "other", fire: { nominal: T0, actual: T0, kind: "trigger" } }] });

describe("prepared starts: when", () => {
  it("prepares in [fire - ahead, fire - ahead/2), spread by schedule id, and waits until then", () => {
    const ats = ["a", "b", "c", "d", "e", "f", "g", "h"].map((id) => prepareAt(id, FIRE, AHEAD));
    for (const at of ats) {
      expect(at).toBeGreaterThanOrEqual(FIRE - AHEAD);
      expect(at).toBeLessThan(FIRE - AHEAD / 2);
    }
    expect(new Set(ats).size).toBeGreaterThan(4);
    const at = prepareAt("s", FIRE, AHEAD);
    expect(planPrepare(ctx({}, at - 1), initialState(T0, false, ""), AHEAD, false)).toEqual({ kind: "wait", at });
    expect(planPrepare(ctx({}, at), initialState(T0, false, ""), AHEAD, false)).toEqual({ kind: "prepare", run: { runId: RUN, nominal: FIRE, actual: FIRE } });
  });

  it("records a prepared fire 1-5 s after it, spread by schedule id", () => {
    const ats = ["a", "b", "c", "d", "e", "f", "g", "h"].map((id) => settleAt(id, FIRE) - FIRE);
    for (const d of ats) {
      expect(d).toBeGreaterThanOrEqual(1_000);
      expect(d).toBeLessThan(5_000);
    }
    expect(new Set(ats).size).toBeGreaterThan(4);
  });

  it("prepares the jittered instant: the run id is the nominal time's, the start is the actual one", () => {
    const c = ctx({}, FIRE - 1, "30s");
    const d = planPrepare(c, initialState(T0, false, ""), AHEAD, false);
    expect(d.kind).toBe("prepare");
    if (d.kind !== "prepare") return;
    expect(d.run.runId).toBe(RUN);
    expect(d.run.actual).toBeGreaterThanOrEqual(FIRE);
    expect(d.run.actual).toBeLessThan(FIRE + 30_000);
  });

  it("prepares nothing whose start could still change: paused, already prepared, buffer, retry, backfill, an open run unless ALLOW_ALL; nor with preparing off or the fire already due", () => {
    const now = FIRE - 1;
    const s = initialState(T0, false, "");
    const none = { kind: "none" };
    expect(planPrepare(ctx({}, now), { ...s, status: "paused" }, AHEAD, false)).toEqual(none);
    expect(planPrepare(ctx({}, now), { ...s, prepared: { runId: RUN, nominal: FIRE, actual: FIRE } }, AHEAD, false)).toEqual(none);
    expect(planPrepare(ctx({}, now), { ...s, buffer: [{ nominal: T0, actual: T0, kind: "scheduled" }] }, AHEAD, false)).toEqual(none);
    expect(planPrepare(ctx({}, now), { ...s, retry: { nominal: T0, actual: T0, kind: "retry", retry: 1, at: FIRE + 5 } }, AHEAD, false)).toEqual(none);
    expect(planPrepare(ctx({}, now), s, AHEAD, true)).toEqual(none);
    for (const overlap of ["SKIP", "BUFFER_ONE", "BUFFER_ALL", "CANCEL_OTHER", "TERMINATE_OTHER"] as const) {
      expect(planPrepare(ctx({ overlap }, now), open(s), AHEAD, false)).toEqual(none);
    }
    expect(planPrepare(ctx({ overlap: "ALLOW_ALL" }, now), open(s), AHEAD, false).kind).toBe("prepare");
    expect(planPrepare(ctx({}, now), s, 0, false)).toEqual(none);
    expect(planPrepare(ctx({}, FIRE), s, AHEAD, false)).toEqual(none);
  });
});

describe("prepared starts: settling", () => {
  const prepared = { runId: RUN, nominal: FIRE, actual: FIRE };

  it("the fire's tick adopts the prepared run: an ordinary running run, started once, nothing to start again or withdraw", () => {
    const s: ScheduleState = { ...initialState(T0, false, ""), prepared };
    const t = tick(ctx({}, FIRE), s);
    expect(t.start).toEqual([]); // it exists already: no second start call
    expect(t.outcomes).toEqual([{ kind: "started", fire: { nominal: FIRE, actual: FIRE, kind: "scheduled" }, runId: RUN }]);
    expect(t.state.counters.fired).toBe(1);
    const settled = settlePrepared(t.state, t.start.map((x) => x.runId));
    expect(settled).toMatchObject({ withdraw: null, state: { prepared: null } });
    expect(settled.state.running.map((r) => r.runId)).toEqual([RUN]);
  });

  it("a fire handled without starting the prepared run, or a schedule no longer active, withdraws it", () => {
    const s: ScheduleState = { ...initialState(T0, false, ""), prepared };
    expect(settlePrepared({ ...s, lastProcessed: FIRE }, [])).toMatchObject({ withdraw: RUN, state: { prepared: null } });
    expect(settlePrepared({ ...s, status: "paused" }, [])).toMatchObject({ withdraw: RUN, state: { prepared: null } });
    expect(settlePrepared(s, [])).toEqual({ state: s, withdraw: null });
  });

  it("a run a worker began before it could be withdrawn is adopted once as a started fire", () => {
    const s = initialState(T0, false, "");
    const a = adoptPrepared(s, prepared);
    expect(a.running).toEqual([{ runId: RUN, fire: { nominal: FIRE, actual: FIRE, kind: "scheduled" }, last: null, lastNominalBefore: null }]);
    expect(a).toMatchObject({ lastNominal: FIRE, lastProcessed: FIRE, counters: { fired: 1 } });
    expect(adoptPrepared(a, prepared)).toBe(a);
    // The fire is not planned again afterwards.
    expect(tick(ctx({}, FIRE + 5), a).start).toEqual([]);
  });

  it("the alarm adopts a prepared run whose time has come, even past the catch-up window (its run decides): started once, only later fires skipped", () => {
    const s: ScheduleState = { ...initialState(T0, false, ""), prepared };
    // An outage: the alarm comes 2 h 30 min after the prepared fire, with a 10 s window.
    const t = tick(ctx({ catchup_window_seconds: 10 }, FIRE + 2.5 * HOUR), s);
    expect(t.start).toEqual([]); // the run exists: nothing to start
    expect(t.state.prepared).toBeNull();
    expect(t.state.running.map((r) => r.runId)).toEqual([RUN]);
    expect(t.state.counters).toMatchObject({ fired: 1, skipped_catchup: 2 }); // FIRE + 1 h, FIRE + 2 h
    expect(t.outcomes.map((o) => o.kind)).toEqual(["started", "skipped_catchup"]);
    // Before its time it is left alone.
    expect(tick(ctx({}, FIRE - 1), s).state.prepared).toEqual(prepared);
  });

  it("a prepared run its first lease found late moves from fired to skipped_catchup and frees its slot; a buffered fire then starts", () => {
    const adopted = tick(ctx({ catchup_window_seconds: 10, overlap: "BUFFER_ONE" }, FIRE + 2.5 * HOUR), { ...initialState(T0, false, ""), prepared }).state;
    // A fire buffered behind it (BUFFER_ONE): buffered fires wait for the slot, not for the window.
    const waiting = { ...adopted, buffer: [{ nominal: FIRE + 2 * HOUR, actual: FIRE + 2 * HOUR, kind: "scheduled" as const }] };
    const c = ctx({ catchup_window_seconds: 10, overlap: "BUFFER_ONE", retry_max: 3, on_failure: "dead" }, FIRE + 2.5 * HOUR + 5);
    const t = runClosed(c, waiting, RUN, SKIPPED_CATCHUP, null);
    expect(t.known).toBe(true);
    expect(t.state.counters).toMatchObject({ fired: 1, skipped_catchup: 3, failed: 0 }); // -1 +1 fired: the buffered fire started
    expect(t.state).toMatchObject({ status: "active", retry: null, buffer: [] });
    expect(t.start.map((x) => x.fire.nominal)).toEqual([FIRE + 2 * HOUR]);
    expect(t.state.running.map((r) => r.runId)).not.toContain(RUN);
    // Its fire is not the last that started any more: last_timestamp goes back to what it was before it.
    expect(adopted.lastNominal).toBe(FIRE);
    const alone = runClosed(c, { ...adopted, lastNominal: FIRE, running: adopted.running.map((r) => ({ ...r, lastNominalBefore: FIRE - HOUR })) }, RUN, SKIPPED_CATCHUP, null);
    expect(alone.state.lastNominal).toBe(FIRE - HOUR);
    // Delivered twice: the second notice finds no such run and changes nothing.
    expect(runClosed(c, t.state, RUN, SKIPPED_CATCHUP, null)).toMatchObject({ known: false, state: t.state });
  });

  it("a prepared run skipped before the schedule recorded it is handled as a skipped fire: not planned again", () => {
    const s: ScheduleState = { ...initialState(T0, false, ""), prepared };
    const k = skipPrepared(s, prepared);
    expect(k).toMatchObject({ prepared: null, lastProcessed: FIRE, lastNominal: null, running: [], counters: { fired: 0, skipped_catchup: 1 } });
    const t = tick(ctx({ catchup_window_seconds: 10 }, FIRE + 20_000), k);
    expect(t.start).toEqual([]);
    expect(t.state.counters).toMatchObject({ fired: 0, skipped_catchup: 1 });
  });
});
