import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";
import {
  alarmAt,
  completeRun,
  createSchedule,
  describeSchedule,
  eventually,
  expectAlarm,
  expectNoRun,
  expectRunning,
  fail,
  getRun,
  iso,
  runId,
  setNow,
  succeed,
} from "./schedule-helpers.ts";

const S = 1_000;
const M = 60_000;

/** A Pipelit-shaped schedule created at t0: every 600 s, first fire 10 minutes after creation. */
async function pipelit(t0: number, extra: Record<string, unknown>) {
  const sid = uid("fail");
  const queue = uid("q-fail");
  setNow(t0);
  const created = await createSchedule({ schedule_id: sid, workflow: "pipelit-wf", key: sid, interval_seconds: 600, task_queue: queue, ...extra });
  return { sid, queue, created, fire: (n: number) => t0 + n * 600 * S };
}

describe("retries and on_failure", () => {
  it("retry_max 2, on_failure dead: retry-1 after the interval, retry-2 after twice that, then dead and no more fires", async () => {
    const t0 = Date.parse("2027-04-01T00:00:00.000Z");
    const { sid, queue, fire } = await pipelit(t0, { retry_max: 2, on_failure: "dead" });
    const first = runId(sid, fire(1));
    await expectAlarm(sid, fire(1));
    await alarmAt(sid, fire(1));
    const firstPayload = (await getRun(first)).body.schedule;
    expect(firstPayload).toMatchObject({ timestamp: iso(fire(1)), actual_timestamp: iso(fire(1)), upcoming: iso(fire(2)) });
    await completeRun(queue, first, fail("boom"));
    let d = await eventually(async () => {
      const s = await describeSchedule(sid);
      expect(s.counters.failed).toBe(1);
      return s;
    });
    expect(d).toMatchObject({ status: "active", current_retry: 1, running: [] });
    // retry_delay defaults to the interval: retry-1 is due 600 s after the failure, not a second earlier.
    await expectAlarm(sid, fire(1) + 600 * S);
    await alarmAt(sid, fire(1) + 599 * S);
    await expectNoRun(`${first}:retry-1`);
    await alarmAt(sid, fire(2));
    const r1 = await expectRunning(`${first}:retry-1`);
    // A retry re-fires the same nominal time, with the same last_timestamp as the run it retries
    // (the same window of time to process again: here the schedule's first fire, so null).
    expect(r1.schedule).toMatchObject({ timestamp: iso(fire(1)), last_timestamp: null });
    // The whole payload is the run's it retries (README): its actual time and its upcoming fire too.
    expect(r1.schedule).toEqual(firstPayload);
    // The fire due at the same instant is skipped (SKIP: the retry holds the slot).
    await expectNoRun(runId(sid, fire(2)));

    await completeRun(queue, `${first}:retry-1`, fail("boom again"));
    await eventually(async () => expect((await describeSchedule(sid)).current_retry).toBe(2));
    // retry-2 waits 2 x 600 s (fire(4)); the next nominal fire (fire(3)) runs as usual meanwhile.
    await expectAlarm(sid, fire(3));
    await alarmAt(sid, fire(3));
    await completeRun(queue, runId(sid, fire(3)), succeed());
    d = await eventually(async () => {
      const s = await describeSchedule(sid);
      expect(s.running).toEqual([]);
      return s;
    });
    // A fire that succeeds while another fire's retry is pending does not reset that retry count.
    expect(d.current_retry).toBe(2);
    await expectAlarm(sid, fire(4));
    await alarmAt(sid, fire(4) - S);
    await expectNoRun(`${first}:retry-2`);
    await alarmAt(sid, fire(4));
    const r2 = await expectRunning(`${first}:retry-2`);
    // Not fire(3), which started meanwhile and is later than the fire being retried.
    expect(r2.schedule).toMatchObject({ timestamp: iso(fire(1)), last_timestamp: null });
    expect(r2.schedule).toEqual(firstPayload);
    // The next fire's last_timestamp is the last scheduled fire started (retries re-run an earlier one).
    expect((await getRun(runId(sid, fire(3)))).body.schedule.last_timestamp).toBe(iso(fire(1)));

    await completeRun(queue, `${first}:retry-2`, fail("still broken"));
    d = await eventually(async () => {
      const s = await describeSchedule(sid);
      expect(s.status).toBe("dead");
      return s;
    });
    expect(d.note).toContain(`${first}:retry-2 failed: still broken`);
    expect(d.counters).toMatchObject({ failed: 3 });
    expect(d.next_fire_times).toEqual([]);
    await expectAlarm(sid, null);
    expect(await alarmAt(sid, fire(6))).toBe(false);
    await expectNoRun(runId(sid, fire(5)));
    // Dead is final: it cannot be paused.
    expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, {})).status).toBe(409);
  });

  it.each([
    ["on_failure: pause", { on_failure: "pause" }],
    ["pause_on_failure: true (Temporal's alias)", { pause_on_failure: true }],
  ])("%s pauses the schedule with a note naming the failed run; resume continues", async (_name, policy) => {
    const t0 = Date.parse("2027-04-02T00:00:00.000Z");
    const { sid, queue, created, fire } = await pipelit(t0, policy);
    expect(created.policy.on_failure).toBe("pause");
    await alarmAt(sid, fire(1));
    await completeRun(queue, runId(sid, fire(1)), fail("disk full"));
    const d = await eventually(async () => {
      const s = await describeSchedule(sid);
      expect(s.status).toBe("paused");
      return s;
    });
    expect(d.note).toBe(`paused after run ${runId(sid, fire(1))} failed: disk full`);
    expect(d.counters.failed).toBe(1);
    await expectAlarm(sid, null);

    setNow(fire(1) + 5 * M);
    const resumed = await api("POST", `/v1/workflows/schedules/${sid}/resume`, {});
    expect(resumed.body.status).toBe("active");
    await expectAlarm(sid, fire(2));
  });

  it("an explicit retry_delay_seconds doubles after each failed retry and is capped at 10 times itself", async () => {
    const t0 = Date.parse("2027-04-10T08:00:00.000Z");
    const sid = uid("fail-delay");
    const queue = uid("q-fail-delay");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "pipelit-wf", key: sid, cron: "0 9 * * *", task_queue: queue, retry_max: 6, retry_delay_seconds: 30, on_failure: "dead" });
    const fire = t0 + 60 * M;
    const first = runId(sid, fire);
    await alarmAt(sid, fire);
    await completeRun(queue, first, fail("down"));
    // 30 s, doubling: 60, 120, 240; then 300 (10 x 30) twice. Each delay counts from the failure.
    let at = fire;
    for (const [n, delay] of [30, 60, 120, 240, 300, 300].entries()) {
      await eventually(async () => expect((await describeSchedule(sid)).current_retry).toBe(n + 1));
      await expectAlarm(sid, at + delay * S);
      at += delay * S;
      await alarmAt(sid, at);
      await completeRun(queue, `${first}:retry-${n + 1}`, fail("still down"));
    }
    await eventually(async () => expect((await describeSchedule(sid)).status).toBe("dead"));
  });

  it("the list shows Pipelit's progress per schedule: next run time (jitter applied), current repeat and retry", async () => {
    const t0 = Date.parse("2027-04-05T00:00:00.000Z");
    const { sid, queue, fire } = await pipelit(t0, { retry_max: 2, jitter_seconds: 30 });
    const listed = async () => {
      const r = await api("GET", `/v1/workflows/schedules?key=${encodeURIComponent(sid)}`);
      expect(r.status).toBe(200);
      expect(r.body.schedules).toHaveLength(1);
      return r.body.schedules[0];
    };
    const d0 = await describeSchedule(sid);
    const runAt = Date.parse(d0.next_run_at);
    expect(runAt).toBeGreaterThanOrEqual(fire(1));
    expect(runAt).toBeLessThan(fire(1) + 30 * S);
    await eventually(async () => expect(await listed()).toMatchObject({ next_fire_at: iso(fire(1)), next_run_at: d0.next_run_at, current_repeat: 0, current_retry: 0 }));

    await alarmAt(sid, runAt);
    const first = runId(sid, fire(1));
    await expectRunning(first);
    await eventually(async () => expect(await listed()).toMatchObject({ next_fire_at: iso(fire(2)), last_fire_at: iso(fire(1)), current_repeat: 1, current_retry: 0 }));
    expect((await listed()).next_run_at).toBe((await describeSchedule(sid)).next_run_at);
    await completeRun(queue, first, fail("boom"));
    await eventually(async () => expect(await listed()).toMatchObject({ current_repeat: 1, current_retry: 1 }));
  });

  it("on_failure continue (the default) keeps firing after a failure", async () => {
    const t0 = Date.parse("2027-04-03T00:00:00.000Z");
    const { sid, queue, fire } = await pipelit(t0, {});
    await alarmAt(sid, fire(1));
    await completeRun(queue, runId(sid, fire(1)), fail());
    await eventually(async () => expect((await describeSchedule(sid)).counters.failed).toBe(1));
    expect((await describeSchedule(sid)).status).toBe("active");
    await expectAlarm(sid, fire(2));
    await alarmAt(sid, fire(2));
    await expectRunning(runId(sid, fire(2)));
  });
});

describe("repeat_count", () => {
  it("Pipelit's one-shot (interval_seconds 600, repeat_count 1) fires once, 10 minutes after creation, then completes", async () => {
    const t0 = Date.parse("2027-04-04T00:00:00.000Z");
    const { sid, queue, created, fire } = await pipelit(t0, { repeat_count: 1 });
    expect(created.next_fire_times.map((f: { nominal: string }) => f.nominal)).toEqual([iso(t0 + 10 * M)]);
    await expectAlarm(sid, t0 + 10 * M);
    await alarmAt(sid, t0 + 10 * M);
    await expectRunning(runId(sid, fire(1)));
    // Still active while its one run is open; nothing else is armed.
    expect((await describeSchedule(sid)).status).toBe("active");
    await expectAlarm(sid, null);
    await completeRun(queue, runId(sid, fire(1)), succeed());
    const d = await eventually(async () => {
      const s = await describeSchedule(sid);
      expect(s.status).toBe("completed");
      return s;
    });
    expect(d).toMatchObject({ current_repeat: 1, next_fire_times: [], next_run_at: null });
    await expectAlarm(sid, null);
    await eventually(async () => {
      const l = await api("GET", `/v1/workflows/schedules?key=${sid}`);
      expect(l.body.schedules[0]).toMatchObject({ schedule_id: sid, status: "completed", next_fire_at: null });
    });
  });

  it("repeat_count 3 on a cron spec: three runs, then completed once they have closed", async () => {
    const t0 = Date.parse("2027-04-05T00:00:00.000Z");
    const sid = uid("repeat");
    const queue = uid("q-rep");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "repeat-wf", key: sid, cron: "* * * * *", repeat_count: 3, overlap: "ALLOW_ALL", task_queue: queue });
    for (let m = 1; m <= 3; m++) await alarmAt(sid, t0 + m * M);
    await expectAlarm(sid, null);
    expect(await alarmAt(sid, t0 + 4 * M)).toBe(false);
    await expectNoRun(runId(sid, t0 + 4 * M));
    for (let m = 1; m <= 3; m++) {
      expect((await getRun(runId(sid, t0 + m * M))).body.status).toBe("running");
      await completeRun(queue, runId(sid, t0 + m * M), succeed());
    }
    await eventually(async () => expect((await describeSchedule(sid)).status).toBe("completed"));
    expect((await describeSchedule(sid)).counters.fired).toBe(3);
  });
});
