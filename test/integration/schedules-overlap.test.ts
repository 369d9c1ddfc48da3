import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { api } from "./helpers.ts";
import {
  alarmAt,
  completeRun,
  describeSchedule,
  eventually,
  expectNoRun,
  expectRunning,
  expectRunOutboxDrained,
  getRun,
  iso,
  runHistoryTypes,
  runId,
  setNow,
  succeed,
  T,
  minutely as minutelySchedule,
} from "./schedule-helpers.ts";

const M = 60_000;
const t0 = T("2027-01-04T00:00:00.000Z");

/** A minutely schedule created at t0 on its own task queue; no worker polls it, so runs stay open. */
const minutely = (overlap: string) => minutelySchedule("ov", "overlap-wf", overlap, t0);

describe("overlap policies with a slow run", () => {
  it("SKIP drops fires due while the run is open, counts them, and starts the next fire after it closes", async () => {
    const { sid, queue, run } = await minutely("SKIP");
    await alarmAt(sid, t0 + M);
    await expectRunning(run(1));
    await alarmAt(sid, t0 + 2 * M);
    await alarmAt(sid, t0 + 3 * M);
    await expectNoRun(run(2));
    await expectNoRun(run(3));
    const d = await describeSchedule(sid);
    expect(d.running).toEqual([run(1)]);
    expect(d.buffered).toBe(0);
    expect(d.counters).toMatchObject({ fired: 1, skipped_overlap: 2 });
    expect(d.recent_actions.filter((a: { outcome: string }) => a.outcome === "skipped_overlap").map((a: { nominal: string }) => a.nominal)).toEqual([iso(t0 + 3 * M), iso(t0 + 2 * M)]);

    await completeRun(queue, run(1), succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
    // Closing starts nothing (SKIP keeps no buffer); the next fire does.
    await expectNoRun(run(3));
    await alarmAt(sid, t0 + 4 * M);
    const r4 = await expectRunning(run(4));
    // last_timestamp is the last fire that ran (skipped ones never ran).
    expect(r4.schedule).toEqual({
      timestamp: iso(t0 + 4 * M),
      actual_timestamp: iso(t0 + 4 * M),
      last_timestamp: iso(t0 + M),
      timezone: "UTC",
      schedule_id: sid,
      key: sid,
      upcoming: iso(t0 + 5 * M),
    });
  });

  it("BUFFER_ONE keeps one fire waiting, drops later ones, and starts the buffered fire as soon as the run closes", async () => {
    const { sid, queue, run } = await minutely("BUFFER_ONE");
    await alarmAt(sid, t0 + M);
    await alarmAt(sid, t0 + 2 * M);
    await alarmAt(sid, t0 + 3 * M);
    let d = await describeSchedule(sid);
    expect(d.running).toEqual([run(1)]);
    expect(d.buffered).toBe(1);
    expect(d.counters).toMatchObject({ fired: 1, skipped_overlap: 1 });
    await expectNoRun(run(2));

    setNow(t0 + 3 * M + 10_000);
    await completeRun(queue, run(1), succeed());
    // The close notice reaches the schedule, which starts the buffered 00:02 fire at once (no alarm needed).
    const r2 = await expectRunning(run(2));
    expect(r2.schedule).toMatchObject({ timestamp: iso(t0 + 2 * M), last_timestamp: iso(t0 + M) });
    d = await describeSchedule(sid);
    expect(d.running).toEqual([run(2)]);
    expect(d.buffered).toBe(0);
    expect(d.counters).toMatchObject({ fired: 2, skipped_overlap: 1 });
    await expectNoRun(run(3));
  });

  it("BUFFER_ALL queues every fire and starts them one after another as runs close", async () => {
    const { sid, queue, run } = await minutely("BUFFER_ALL");
    for (let m = 1; m <= 3; m++) await alarmAt(sid, t0 + m * M);
    let d = await describeSchedule(sid);
    expect(d.running).toEqual([run(1)]);
    expect(d.buffered).toBe(2);

    await completeRun(queue, run(1), succeed());
    await expectRunning(run(2));
    await expectNoRun(run(3));
    await eventually(async () => expect((await describeSchedule(sid)).buffered).toBe(1));
    await completeRun(queue, run(2), succeed());
    await expectRunning(run(3));
    d = await eventually(async () => {
      const s = await describeSchedule(sid);
      expect(s.running).toEqual([run(3)]);
      return s;
    });
    expect(d.buffered).toBe(0);
    expect(d.counters).toMatchObject({ fired: 3, skipped_overlap: 0 });
  });

  it("CANCEL_OTHER requests cancellation of the open run and starts the newest fire once it has closed", async () => {
    const { sid, queue, run } = await minutely("CANCEL_OTHER");
    await alarmAt(sid, t0 + M);
    await alarmAt(sid, t0 + 2 * M);
    const r1 = (await getRun(run(1))).body;
    expect(r1.status).toBe("running");
    expect(r1.cancel_requested).toBe(true);
    await expectNoRun(run(2));
    // Another fire while the cancel is pending: the newest replaces the waiting one.
    await alarmAt(sid, t0 + 3 * M);
    let d = await describeSchedule(sid);
    expect(d.running).toEqual([run(1)]);
    expect(d.buffered).toBe(1);
    expect(d.counters).toMatchObject({ fired: 1, skipped_overlap: 1 });

    // The worker sees the cancel request in history and lets the workflow end as cancelled.
    await completeRun(queue, run(1), [{ type: "cancel_workflow" }]);
    expect((await getRun(run(1))).body.status).toBe("cancelled");
    expect(await runHistoryTypes(run(1))).toContain("execution_cancel_requested");
    const r3 = await expectRunning(run(3));
    expect(r3.status).toBe("running");
    await expectNoRun(run(2));
    d = await describeSchedule(sid);
    expect(d.running).toEqual([run(3)]);
    expect(d.buffered).toBe(0);
    // A cancellation the policy asked for is not a failure.
    expect(d.counters).toMatchObject({ fired: 2, failed: 0 });
  });

  it("TERMINATE_OTHER terminates the open run and starts the new fire at once", async () => {
    const { sid, queue, run } = await minutely("TERMINATE_OTHER");
    await alarmAt(sid, t0 + M);
    await alarmAt(sid, t0 + 2 * M);
    const r1 = (await getRun(run(1))).body;
    expect(r1.status).toBe("terminated");
    expect(r1.failure.message).toContain("TERMINATE_OTHER");
    expect((await getRun(run(2))).body.status).toBe("running");
    let d = await describeSchedule(sid);
    expect(d.running).toEqual([run(2)]);
    expect(d.counters).toMatchObject({ fired: 2, skipped_overlap: 0, failed: 0 });
    // The terminated run's own close notice arrives later and changes nothing.
    await expectRunOutboxDrained(run(1));
    d = await describeSchedule(sid);
    expect(d.running).toEqual([run(2)]);
    expect(d.counters.failed).toBe(0);
    // The terminated run's queued task is stale: the worker gets run 2's.
    await completeRun(queue, run(2), succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
  });

  it("ALLOW_ALL starts every fire while earlier runs are still open", async () => {
    const { sid, queue, run } = await minutely("ALLOW_ALL");
    for (let m = 1; m <= 3; m++) await alarmAt(sid, t0 + m * M);
    for (let m = 1; m <= 3; m++) expect((await getRun(run(m))).body.status).toBe("running");
    const d = await describeSchedule(sid);
    expect(d.running).toEqual([run(1), run(2), run(3)]);
    expect(d.counters).toMatchObject({ fired: 3, skipped_overlap: 0 });
    expect((await getRun(run(3))).body.schedule.last_timestamp).toBe(iso(t0 + 2 * M));
    for (let m = 1; m <= 3; m++) await completeRun(queue, run(m), succeed(m));
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
  });
});

describe("a trigger's or backfill's own overlap policy decides only its own fires", () => {
  it("a trigger under SKIP is dropped alone: the scheduled fire waiting under BUFFER_ONE still runs", async () => {
    const { sid, queue, run } = await minutely("BUFFER_ONE");
    await alarmAt(sid, t0 + M);
    await alarmAt(sid, t0 + 2 * M);
    expect((await describeSchedule(sid)).buffered).toBe(1);
    setNow(t0 + 2 * M + 5_000);
    const skipped = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "skip-me", overlap: "SKIP" });
    expect(skipped.body).toEqual({ run_id: "", started: false, outcome: "skipped_overlap" });
    const d = await describeSchedule(sid);
    expect(d.buffered).toBe(1);
    expect(d.counters).toMatchObject({ fired: 1, skipped_overlap: 1 });

    await completeRun(queue, run(1), succeed());
    await expectRunning(run(2));
    await expectNoRun(runId(sid, t0 + 2 * M + 5_000, ":trigger:skip-me"));
  });

  it("a trigger waiting under BUFFER_ONE is not dropped by the scheduled fires a SKIP schedule skips, and runs when the slot frees", async () => {
    const { sid, queue, run } = await minutely("SKIP");
    await alarmAt(sid, t0 + M);
    setNow(t0 + M + 5_000);
    const waiting = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { request_id: "after-it", overlap: "BUFFER_ONE" });
    expect(waiting.body).toEqual({ run_id: runId(sid, t0 + M + 5_000, ":trigger:after-it"), started: false, outcome: "buffered" });
    await alarmAt(sid, t0 + 2 * M);
    await alarmAt(sid, t0 + 3 * M);
    let d = await describeSchedule(sid);
    expect(d.buffered).toBe(1);
    expect(d.counters).toMatchObject({ fired: 1, skipped_overlap: 2 });
    await expectNoRun(run(2));

    setNow(t0 + 3 * M + 5_000);
    await completeRun(queue, run(1), succeed());
    await expectRunning(waiting.body.run_id);
    d = await describeSchedule(sid);
    expect(d.running).toEqual([waiting.body.run_id]);
    expect(d.buffered).toBe(0);
    expect(d.counters).toMatchObject({ fired: 2, skipped_overlap: 2 });
  });
});
