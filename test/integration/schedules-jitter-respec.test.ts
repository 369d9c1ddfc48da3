import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, alarmOf, createSchedule, describeSchedule, expectAlarm, expectNoRun, expectRunning, runId, setNow, T } from "./schedule-helpers.ts";

// A spec change (PATCH, or a create that upserts a new spec) re-plans from now, in nominal time.
// A fire of the old spec whose nominal time has passed and whose jittered actual time has not is
// the old spec's fire, merely delayed: it still starts, once, at its actual time. Paused by the
// same change, it is any fire of a paused schedule: a resume before its time runs it, one after
// passes it over.

const HOUR = 3_600_000;

/** An hourly schedule with 30 min of jitter created at t0, whose 01:00 fire is jittered by at least a minute. */
async function jittered(prefix: string, t0: number): Promise<{ sid: string; nominal: number; actual: number }> {
  for (let i = 0; ; i++) {
    const sid = uid(prefix);
    setNow(t0);
    const d = await createSchedule({ schedule_id: sid, workflow: "jr-wf", key: sid, cron: "0 * * * *", jitter_seconds: 1800, task_queue: uid("q-jr") });
    const { nominal, actual } = d.next_fire_times[0];
    if (T(actual) - T(nominal) >= 60_000 || i === 5) return { sid, nominal: T(nominal), actual: T(actual) };
  }
}

describe("a spec change while a fire waits on its jitter", () => {
  it("PATCH: the old spec's fire still starts at its actual time, once, and the new spec goes on from there", async () => {
    const { sid, nominal, actual } = await jittered("jr-patch", T("2027-10-04T00:10:00.000Z"));
    expect(nominal).toBe(T("2027-10-04T01:00:00.000Z"));
    // The schedule prepares the run ahead of its time, as it does.
    const prepare = (await alarmOf(sid))!;
    if (prepare < actual) await alarmAt(sid, prepare);
    const during = nominal + Math.floor((actual - nominal) / 2);
    setNow(during);
    const r = await api("PATCH", `/v1/workflows/schedules/${sid}`, { cron: "30 9 * * *" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.next_fire_times[0]).toEqual({ nominal: new Date(nominal).toISOString(), actual: new Date(actual).toISOString() });
    expect(r.body.next_fire_times[1].nominal).toBe("2027-10-04T09:30:00.000Z");
    await expectAlarm(sid, actual);
    await alarmAt(sid, actual);
    expect((await expectRunning(runId(sid, nominal))).status).toBe("running");
    const d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 1, skipped_overlap: 0, skipped_catchup: 0 });
    expect(d.current_repeat).toBe(0);
    expect(d.next_fire_times[0].nominal).toBe("2027-10-04T09:30:00.000Z");
    // Once: the next alarm is the new spec's fire, and starts nothing before it.
    const next = (await alarmOf(sid))!;
    expect(next).toBeGreaterThan(actual);
    expect(next).toBeLessThanOrEqual(T(d.next_fire_times[0].actual));
  });

  it("its payload is the old spec's (its zone), and upcoming is the new spec's first fire", async () => {
    const { sid, nominal, actual } = await jittered("jr-zone", T("2027-10-07T00:10:00.000Z"));
    setNow(nominal + Math.floor((actual - nominal) / 2));
    const r = await api("PATCH", `/v1/workflows/schedules/${sid}`, { cron: "30 9 * * *", timezone: "Asia/Tokyo" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await alarmAt(sid, actual);
    const run = await expectRunning(runId(sid, nominal));
    expect(run.schedule).toMatchObject({ timestamp: new Date(nominal).toISOString(), actual_timestamp: new Date(actual).toISOString(), timezone: "UTC", upcoming: "2027-10-08T00:30:00.000Z" });
  });

  it("a create that changes the spec and pauses: the fire does not start while paused; a resume before its actual time runs it", async () => {
    const { sid, nominal, actual } = await jittered("jr-pause", T("2027-10-05T00:10:00.000Z"));
    setNow(nominal + 1);
    const up = await api("POST", "/v1/workflows/schedules", { schedule_id: sid, workflow: "jr-wf", key: sid, cron: "30 9 * * *", jitter_seconds: 1800, paused: true, task_queue: uid("q-jr") });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body.status).toBe("paused");
    setNow(nominal + 2);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/resume`, {})).status).toBe(200);
    await expectAlarm(sid, actual);
    await alarmAt(sid, actual);
    await expectRunning(runId(sid, nominal));
    expect((await describeSchedule(sid)).counters.fired).toBe(1);
  });

  it("a create that changes the spec and pauses: a resume after its actual time passes it over, as any fire due while paused", async () => {
    const { sid, nominal, actual } = await jittered("jr-pause-late", T("2027-10-06T00:10:00.000Z"));
    setNow(nominal + 1);
    expect((await api("POST", "/v1/workflows/schedules", { schedule_id: sid, workflow: "jr-wf", key: sid, cron: "30 9 * * *", jitter_seconds: 1800, paused: true, task_queue: uid("q-jr") })).status).toBe(200);
    await alarmAt(sid, actual);
    await expectNoRun(runId(sid, nominal));
    setNow(actual + 1);
    const resumed = await api("POST", `/v1/workflows/schedules/${sid}/resume`, {});
    expect(resumed.status).toBe(200);
    expect(resumed.body.recent_actions[0].outcome).toBe("resumed; 1 fire due while paused not run");
    expect(resumed.body.next_fire_times[0].nominal).toBe("2027-10-06T09:30:00.000Z");
    await alarmAt(sid, actual + 2);
    await expectNoRun(runId(sid, nominal));
    expect((await describeSchedule(sid)).counters.fired).toBe(0);
  });
});
