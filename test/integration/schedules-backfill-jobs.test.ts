import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, completeRun, createSchedule, describeSchedule, eventually, expectNoRun, expectRunning, fail, getRun, iso, runId, setNow, succeed, T } from "./schedule-helpers.ts";

const M = 60_000;

/** Backfill jobs across decisions: the fire a job's next batch follows, and job ids across a delete. */
describe("backfill jobs", () => {
  it("a job whose waiting fires are all dropped at once (BUFFER_ALL, then a PATCH to SKIP) starts its next batch with last_timestamp null, not a dropped fire", async () => {
    const t0 = T("2027-05-07T12:00:00.000Z");
    const sid = uid("backfill-chain-drop");
    const queue = uid("q-bf-chain");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "BUFFER_ALL", task_queue: queue });
    await alarmAt(sid, t0 + M); // 12:01 runs and stays open
    const live = runId(sid, t0 + M);
    await expectRunning(live);
    const from = T("2027-05-07T06:00:00Z");
    setNow(t0 + M + 5_000);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + 149 * M) })).body).toEqual({ backfill_id: 1, fires: 150 });
    // The first batch waits: 06:00 … 07:39, each following the one before it.
    await alarmAt(sid, t0 + M + 6_000);
    expect((await describeSchedule(sid)).buffered).toBe(100);
    // SKIP drops all hundred in one decision (oldest first): none of them ever runs.
    const patched = await api("PATCH", `/v1/workflows/schedules/${sid}`, { overlap: "SKIP" });
    expect(patched.body.counters).toMatchObject({ fired: 1, skipped_overlap: 100 });
    await completeRun(queue, live, succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
    // The second batch: 07:40 starts (no run open), the rest are skipped. No backfilled fire ran before it.
    await alarmAt(sid, t0 + M + 7_000);
    const first = await expectRunning(runId(sid, from + 100 * M, ":backfill-1"));
    expect(first.schedule).toMatchObject({ timestamp: iso(from + 100 * M), last_timestamp: null });
  }, 60_000);

  it("a schedule that goes dead (on_failure: dead) drops its waiting backfilled fires as skipped_overlap; the job goes on, its next batch following the last of its fires that ran", async () => {
    const t0 = T("2027-05-10T12:00:00.000Z");
    const sid = uid("backfill-dead");
    const queue = uid("q-bf-dead");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "BUFFER_ALL", on_failure: "dead", task_queue: queue });
    const from = T("2027-05-10T06:00:00Z");
    const bf = (m: number) => runId(sid, from + m * M, ":backfill-1");
    expect((await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + 149 * M) })).body).toEqual({ backfill_id: 1, fires: 150 });
    await alarmAt(sid, t0 + 1_000);
    expect(await describeSchedule(sid)).toMatchObject({ running: [bf(0)], buffered: 99 });
    await completeRun(queue, bf(0), fail());
    await eventually(async () => expect((await describeSchedule(sid)).status).toBe("dead"));
    // 06:01 … 07:39 are dropped, each skipped by overlap (counted, with its action), and never run.
    const d = await describeSchedule(sid);
    expect(d).toMatchObject({ buffered: 0, counters: { fired: 1, failed: 1, skipped_overlap: 99 } });
    expect(d.recent_actions[0]).toMatchObject({ kind: "backfill", nominal: iso(from + 99 * M), outcome: "skipped_overlap" });
    // The job goes on while the schedule is dead (as backfills run while it is paused): 07:40's
    // window starts at 06:00, the last of its fires that ran, not at 07:39, which never ran.
    await alarmAt(sid, t0 + 2_000);
    const next = await expectRunning(bf(100));
    expect(next.schedule).toMatchObject({ timestamp: iso(from + 100 * M), last_timestamp: iso(from) });
    await expectNoRun(bf(99));
  }, 60_000);

  it("an alarm decides at most 100 backfilled fires over all jobs, oldest job first; a job's waiting fire dropped by its next batch is not that batch's last_timestamp (CANCEL_OTHER)", async () => {
    const t0 = T("2027-05-08T12:00:00.000Z");
    const sid = uid("backfill-two-jobs");
    const queue = uid("q-bf-two");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "CANCEL_OTHER", task_queue: queue });
    await alarmAt(sid, t0 + M);
    const live = runId(sid, t0 + M);
    await expectRunning(live);
    const a = T("2027-05-08T06:00:00Z");
    const b = T("2027-05-08T00:00:00Z");
    const backfill = (from: number, fires: number) => api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + (fires - 1) * M) });
    expect((await backfill(a, 40)).body).toEqual({ backfill_id: 1, fires: 40 });
    expect((await backfill(b, 80)).body).toEqual({ backfill_id: 2, fires: 80 });
    // Alarm 1 decides 100 fires: job 1's 40 (06:39 waits), then job 2's first 60 (00:59 waits, in
    // place of 06:39). Job 2's last 20 wait for the next alarm.
    await alarmAt(sid, t0 + M);
    let d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 1, skipped_overlap: 99 });
    expect(d.buffered).toBe(1);
    // Alarm 2: job 2's last 20: 01:19 waits, in place of 00:59, which never runs.
    await alarmAt(sid, t0 + M);
    d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 1, skipped_overlap: 119 });
    await completeRun(queue, live, succeed());
    // No fire of job 2 ran before 01:19 (00:59 was dropped), so its last_timestamp is null.
    const last = await expectRunning(runId(sid, b + 79 * M, ":backfill-2"));
    expect(last.schedule).toMatchObject({ timestamp: iso(b + 79 * M), last_timestamp: null });
    await expectNoRun(runId(sid, b + 59 * M, ":backfill-2"));
    await expectNoRun(runId(sid, a + 39 * M, ":backfill-1"));
  }, 60_000);

  it("a schedule deleted and created again under the same id numbers its backfills on (no run id of the old one's is reused) and forgets its request_ids; a request_id retried with another range gets the first answer", async () => {
    const t0 = T("2027-05-09T12:00:00.000Z");
    const sid = uid("backfill-recreate");
    const queue = uid("q-bf-recreate");
    const create = () => createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "ALLOW_ALL", task_queue: queue });
    const body = { start_at: iso(t0 - 2 * M), end_at: iso(t0 - M), request_id: "refill" };
    setNow(t0);
    await create();
    expect((await api("POST", `/v1/workflows/schedules/${sid}/backfill`, body)).body).toEqual({ backfill_id: 1, fires: 2 });
    // Its request_id sent again with another range: the first answer, nothing queued (as a trigger's retry, whatever its input).
    const other = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { ...body, start_at: iso(t0 - 10 * M), overlap: "SKIP" });
    expect([other.status, other.body]).toEqual([202, { backfill_id: 1, fires: 2 }]);
    await alarmAt(sid, t0);
    await expectNoRun(runId(sid, t0 - 10 * M, ":backfill-1"));
    const old = runId(sid, t0 - M, ":backfill-1");
    await expectRunning(old);
    await completeRun(queue, runId(sid, t0 - 2 * M, ":backfill-1"), succeed());
    await completeRun(queue, old, succeed());
    expect((await api("DELETE", `/v1/workflows/schedules/${sid}`)).status).toBe(204);

    setNow(t0 + 5_000);
    await create();
    // The same request_id on the new schedule is a new backfill, numbered after the deleted one's.
    expect((await api("POST", `/v1/workflows/schedules/${sid}/backfill`, body)).body).toEqual({ backfill_id: 2, fires: 2 });
    await alarmAt(sid, t0 + 5_000);
    expect((await expectRunning(runId(sid, t0 - M, ":backfill-2"))).status).toBe("running");
    expect((await getRun(old)).body.status).toBe("completed");
  }, 60_000);
});
