import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, createSchedule, describeSchedule, eventually, getRun, iso, runId, setNow, T } from "./schedule-helpers.ts";

// The list's next_fire_at (the D1 index row a ScheduleObject writes) and describe's
// next_fire_times come from one function (core/catchup.ts pendingFires): the fire the schedule's
// planner acts on next. They used to be computed apart and disagreed.
const H = 3_600_000;

async function listed(sid: string) {
  const l = await api("GET", `/v1/workflows/schedules?key=${encodeURIComponent(sid)}`);
  expect(l.status).toBe(200);
  expect(l.body.schedules).toHaveLength(1);
  return l.body.schedules[0];
}

async function trigger(sid: string) {
  const r = await api("POST", `/v1/workflows/schedules/${encodeURIComponent(sid)}/trigger`, {});
  expect(r.status, JSON.stringify(r.body)).toBe(202);
}

describe("the listed next fire is describe's next fire", () => {
  it("a jittered fire whose nominal time has passed but actual time has not (with exclusions)", async () => {
    const t0 = T("2027-04-01T00:00:00.000Z");
    const sid = uid("next-jitter");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "next-wf", key: sid, cron: "0 * * * *", exclude: ["* 1 * * *"], jitter_seconds: 1_800, overlap: "ALLOW_ALL", task_queue: uid("q-next") });
    const [first] = (await describeSchedule(sid)).next_fire_times;
    expect(first.nominal).toBe(iso(t0 + 2 * H)); // 01:00 is excluded
    const nominal = T(first.nominal);
    const actual = T(first.actual);
    expect(actual - nominal).toBeGreaterThan(2);

    // Between the fire's nominal and actual time something else changes the schedule (a trigger): the index is rewritten.
    setNow(nominal + Math.floor((actual - nominal) / 2));
    await trigger(sid);
    const d = await describeSchedule(sid);
    expect(d.next_fire_times[0]).toEqual(first);
    expect(d.next_run_at).toBe(first.actual);
    await eventually(async () => expect(await listed(sid)).toMatchObject({ next_fire_at: first.nominal, next_run_at: first.actual }));
  });

  it("a fire due for catch-up whose alarm has not run yet: both show it, and the alarm starts it", async () => {
    const t0 = T("2027-04-02T00:00:00.000Z");
    const sid = uid("next-catchup");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "next-wf", key: sid, cron: "0 * * * *", catchup_window_seconds: "1h", overlap: "ALLOW_ALL", task_queue: uid("q-next") });

    // The platform was down from 00:00 to 03:30; the first thing after it is a trigger, before the alarm.
    setNow(t0 + 3.5 * H);
    await trigger(sid);
    const d = await describeSchedule(sid);
    // 01:00 and 02:00 are older than the hour's window; 03:00 is due and starts on the alarm.
    expect(d.next_fire_times.slice(0, 2).map((f: { nominal: string }) => f.nominal)).toEqual([iso(t0 + 3 * H), iso(t0 + 4 * H)]);
    await eventually(async () => expect(await listed(sid)).toMatchObject({ next_fire_at: iso(t0 + 3 * H), next_run_at: iso(t0 + 3 * H) }));

    await alarmAt(sid, t0 + 3.5 * H);
    expect((await getRun(runId(sid, t0 + 3 * H))).status).toBe(200);
    expect((await getRun(runId(sid, t0 + 2 * H))).status).toBe(404);
    expect((await describeSchedule(sid)).next_fire_times[0].nominal).toBe(iso(t0 + 4 * H));
    await eventually(async () => expect(await listed(sid)).toMatchObject({ next_fire_at: iso(t0 + 4 * H) }));
  });
});
