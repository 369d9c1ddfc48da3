import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import type { ScheduleStore } from "../../src/objects/schedule-store.ts";
import { api, uid } from "./helpers.ts";
import {
  alarmAt,
  alarmOf,
  completeRun,
  createSchedule,
  describeSchedule,
  eventually,
  expectAlarm,
  expectNoRun,
  expectRunning,
  getRun,
  iso,
  runHistoryTypes,
  runId,
  scheduleObject,
  setNow,
  succeed,
  T,
} from "./schedule-helpers.ts";

const M = 60_000;

describe("backfill", () => {
  it("starts the fires of a past range with :backfill-N ids (N: the backfill job), in bounded batches of 100 per alarm", async () => {
    const t0 = T("2027-05-01T12:00:00.000Z");
    const sid = uid("backfill");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "ALLOW_ALL", task_queue: uid("q-bf") });
    const from = T("2027-05-01T06:00:00Z");
    const to = T("2027-05-01T09:00:00Z");
    const bf = (m: number) => runId(sid, from + m * M, ":backfill-1");

    const r = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(to) });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    // Every minute of 06:00 … 09:00, both ends included.
    expect(r.body).toEqual({ backfill_id: 1, fires: 181 });
    // Nothing starts in the request itself: the alarm does it, at once.
    await expectNoRun(bf(0));
    expect(await alarmOf(sid)).toBe(t0);

    await alarmAt(sid, t0);
    let d = await describeSchedule(sid);
    expect(d.counters.fired).toBe(100);
    expect((await getRun(bf(0))).body.status).toBe("running");
    expect((await getRun(bf(99))).body.status).toBe("running");
    await expectNoRun(bf(100));
    // More to do: the alarm is armed again for now, not for the next scheduled fire.
    expect(await alarmOf(sid)).toBe(t0);

    await alarmAt(sid, t0);
    d = await describeSchedule(sid);
    expect(d.counters.fired).toBe(181);
    const last = (await getRun(bf(180))).body;
    expect(last.status).toBe("running");
    expect(last.schedule).toMatchObject({ timestamp: iso(to), actual_timestamp: iso(t0), schedule_id: sid });
    // last_timestamp: the backfilled fire before it (null for the range's first), across batches too;
    // never the schedule's latest live fire, which is later than every backfilled one.
    expect((await getRun(bf(0))).body.schedule).toMatchObject({ timestamp: iso(from), last_timestamp: null });
    expect((await getRun(bf(1))).body.schedule.last_timestamp).toBe(iso(from));
    expect((await getRun(bf(100))).body.schedule).toMatchObject({ timestamp: iso(from + 100 * M), last_timestamp: iso(from + 99 * M) });
    expect(last.schedule.last_timestamp).toBe(iso(to - M));
    await expectNoRun(bf(181));
    // A backfill never starts the ordinary run for the same nominal time.
    await expectNoRun(runId(sid, from));
    // Done: back to the next scheduled fire.
    await expectAlarm(sid, t0 + M);
  }, 60_000);

  it("a backfilled run's last_timestamp is the backfilled fire before it, not the schedule's latest live fire", async () => {
    const t0 = T("2027-05-03T12:00:00.000Z");
    const sid = uid("backfill-last");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "ALLOW_ALL", task_queue: uid("q-bf") });
    await alarmAt(sid, t0 + M);
    expect((await getRun(runId(sid, t0 + M))).body.schedule.last_timestamp).toBeNull();
    const r = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(t0 - 3 * M), end_at: iso(t0 - M) });
    expect(r.body).toEqual({ backfill_id: 1, fires: 3 });
    await alarmAt(sid, t0 + M);
    const bf = (m: number) => runId(sid, t0 - m * M, ":backfill-1");
    expect((await getRun(bf(3))).body.schedule).toMatchObject({ timestamp: iso(t0 - 3 * M), last_timestamp: null });
    expect((await getRun(bf(2))).body.schedule).toMatchObject({ timestamp: iso(t0 - 2 * M), last_timestamp: iso(t0 - 3 * M) });
    expect((await getRun(bf(1))).body.schedule).toMatchObject({ timestamp: iso(t0 - M), last_timestamp: iso(t0 - 2 * M) });
    // The next live fire still follows the last live one: a backfill does not rewrite it.
    await alarmAt(sid, t0 + 2 * M);
    expect((await getRun(runId(sid, t0 + 2 * M))).body.schedule.last_timestamp).toBe(iso(t0 + M));
  });

  it("a backfilled run's last_timestamp skips over the fires its overlap policy skipped, across batches", async () => {
    const t0 = T("2027-05-04T12:00:00.000Z");
    const sid = uid("backfill-skip");
    const queue = uid("q-bf");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", task_queue: queue });
    const from = T("2027-05-04T06:00:00Z");
    const bf = (m: number) => runId(sid, from + m * M, ":backfill-1");
    // 150 minutes under SKIP: the first batch starts 06:00 and skips the other 99 (06:00 is still running).
    const r = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + 149 * M), overlap: "SKIP" });
    expect(r.body).toEqual({ backfill_id: 1, fires: 150 });
    await alarmAt(sid, t0);
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 1, skipped_overlap: 99 });
    expect((await getRun(bf(0))).body.schedule.last_timestamp).toBeNull();
    await completeRun(queue, bf(0), succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
    // The second batch starts 07:40: everything since 06:00 (the last backfilled run) is its window.
    await alarmAt(sid, t0);
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 2, skipped_overlap: 148 });
    expect((await getRun(bf(100))).body.schedule).toMatchObject({ timestamp: iso(from + 100 * M), last_timestamp: iso(from) });
  }, 60_000);

  it("a backfilled fire waiting under CANCEL_OTHER that a scheduled fire drops between two batches is not the next batch's last_timestamp", async () => {
    const t0 = T("2027-05-04T12:00:00.000Z");
    const sid = uid("backfill-drop");
    const queue = uid("q-bf");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "CANCEL_OTHER", task_queue: queue });
    const from = T("2027-05-04T06:00:00Z");
    const bf = (m: number) => runId(sid, from + m * M, ":backfill-1");
    setNow(t0 + M);
    await alarmAt(sid, t0 + M);
    const live = runId(sid, t0 + M);
    await expectRunning(live);
    await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + 149 * M) });
    // The first batch: 07:39 (the newest) waits for the 12:01 run to cancel, the rest are dropped.
    await alarmAt(sid, t0 + M);
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 1, skipped_overlap: 99 });
    // The 12:02 fire drops 07:39 before the second batch, which comes in the same alarm after it
    // and drops 12:02 in turn: 08:29 waits.
    setNow(t0 + 2 * M);
    await alarmAt(sid, t0 + 2 * M);
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 1, skipped_overlap: 150 });
    await completeRun(queue, live, succeed());
    // 08:29 starts: no backfilled fire before it ran (07:39 never did), so its last_timestamp is null.
    const last = await eventually(async () => {
      const r = await getRun(bf(149));
      expect(r.status).toBe(200);
      return r.body;
    });
    expect(last.schedule).toMatchObject({ timestamp: iso(from + 149 * M), last_timestamp: null });
    await expectNoRun(bf(99));
  }, 60_000);

  it("a backfill without overlap follows the schedule's policy as it is at each decision: its fires waiting under BUFFER_ALL are dropped by a PATCH to SKIP", async () => {
    const t0 = T("2027-05-05T12:00:00.000Z");
    const sid = uid("backfill-policy");
    const queue = uid("q-bf-pol");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", task_queue: queue, overlap: "BUFFER_ALL" });
    await alarmAt(sid, t0 + M); // 12:01 runs and stays open
    setNow(t0 + M + 5_000);
    const r = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(t0 - 3 * M), end_at: iso(t0 - M) });
    expect(r.body).toEqual({ backfill_id: 1, fires: 3 });
    await alarmAt(sid, t0 + M + 6_000);
    expect((await describeSchedule(sid)).buffered).toBe(3);
    const patched = await api("PATCH", `/v1/workflows/schedules/${sid}`, { overlap: "SKIP" });
    expect(patched.status).toBe(200);
    expect(patched.body.buffered).toBe(0);
    expect(patched.body.counters).toMatchObject({ fired: 1, skipped_overlap: 3 });
    await completeRun(queue, runId(sid, t0 + M), succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
    await expectNoRun(runId(sid, t0 - 3 * M, ":backfill-1"));
  });

  it("backfills an interval anchored at its creation on the interval's grid before it (Pipelit's shape)", async () => {
    const t0 = T("2027-05-03T10:17:00.000Z");
    const sid = uid("backfill-interval");
    setNow(t0);
    // Every hour from creation (first fire 11:17), with a 5-minute offset: the grid is …:22.
    const created = await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, intervals: [{ every: 3600, offset: 300 }], overlap: "ALLOW_ALL", task_queue: uid("q-bf") });
    expect(created.next_fire_times[0].nominal).toBe("2027-05-03T11:22:00.000Z");
    const r = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: "2027-05-03T06:00:00Z", end_at: "2027-05-03T09:30:00Z" });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body).toEqual({ backfill_id: 1, fires: 4 });
    await alarmAt(sid, t0);
    for (const h of ["06", "07", "08", "09"]) await getRun(`${sid}:2027-05-03T${h}:22:00.000Z:backfill-1`).then((g) => expect(g.status).toBe(200));
    // The live plan is unchanged: the next fire is still one interval (plus offset) after creation.
    expect((await describeSchedule(sid)).next_fire_times[0].nominal).toBe("2027-05-03T11:22:00.000Z");
  });

  it("each backfill runs its fires anew (a range backfilled again runs again, overlapping backfills are decided as any fires); a retried request_id queues nothing", async () => {
    const t0 = T("2027-05-06T12:00:00.000Z");
    const sid = uid("backfill-again");
    const queue = uid("q-bf-again");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "ALLOW_ALL", task_queue: queue });
    const range = { start_at: iso(t0 - 3 * M), end_at: iso(t0 - M) };
    const runs = (job: number) => [3, 2, 1].map((m) => runId(sid, t0 - m * M, `:backfill-${job}`));
    const backfill = (body: Record<string, unknown>) => api("POST", `/v1/workflows/schedules/${sid}/backfill`, body);

    expect((await backfill(range)).body).toEqual({ backfill_id: 1, fires: 3 });
    await alarmAt(sid, t0);
    for (const r of runs(1)) expect((await getRun(r)).body.status).toBe("running");
    // The same range again while those run: its own runs, under the schedule's ALLOW_ALL.
    expect((await backfill(range)).body).toEqual({ backfill_id: 2, fires: 3 });
    await alarmAt(sid, t0);
    for (const r of runs(2)) expect((await getRun(r)).body.status).toBe("running");
    // Under SKIP, a third is skipped by overlap: counted, not dropped unseen.
    expect((await backfill({ ...range, overlap: "SKIP" })).body).toEqual({ backfill_id: 3, fires: 3 });
    await alarmAt(sid, t0);
    for (const r of runs(3)) await expectNoRun(r);
    expect((await describeSchedule(sid)).counters).toMatchObject({ fired: 6, skipped_overlap: 3 });

    // Once the first runs closed, the range backfilled again runs again: new runs, not the closed ones' outcomes.
    for (const r of [...runs(1), ...runs(2)]) await completeRun(queue, r, succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
    const retried = { ...range, request_id: "refill-may-6" };
    expect((await backfill(retried)).body).toEqual({ backfill_id: 4, fires: 3 });
    // The same request sent again (a client retry) gets the first answer and queues nothing.
    expect((await backfill(retried)).body).toEqual({ backfill_id: 4, fires: 3 });
    await alarmAt(sid, t0);
    await alarmAt(sid, t0);
    for (const r of runs(4)) expect((await getRun(r)).body.status).toBe("running");
    await expectNoRun(runId(sid, t0 - 3 * M, ":backfill-5"));
    const d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 9, skipped_overlap: 3 });
    expect(d.recent_actions.filter((a: { kind: string; nominal: string | null }) => a.kind === "backfill" && a.nominal === null).map((a: { outcome: string }) => a.outcome)).toEqual(
      [4, 3, 2, 1].map((n) => `backfill ${n} of 3 fires queued (runs {nominal}:backfill-${n})`),
    );
  }, 60_000);

  it("rejects a range with no fire times (409) and end before start (422)", async () => {
    const t0 = T("2027-05-02T12:00:00.000Z");
    const sid = uid("backfill-empty");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "0 0 1 1 *", task_queue: uid("q-bf") });
    const empty = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: "2027-03-01T00:00:00Z", end_at: "2027-04-01T00:00:00Z" });
    expect(empty.status).toBe(409);
    expect(empty.body.code).toBe("empty_backfill");
    const reversed = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: "2027-04-01T00:00:00Z", end_at: "2027-03-01T00:00:00Z" });
    expect(reversed.status).toBe(422);
    expect(reversed.body.field).toBe("end_at");
    // Neither left anything behind: no backfill job or action, and the alarm still waits for the next fire.
    const d = await describeSchedule(sid);
    expect(d.recent_actions.filter((a: { kind: string }) => a.kind === "backfill")).toEqual([]);
    // The next fire (2028-01-01) is more than 180 days out: the alarm waits at most that long, then re-plans.
    await expectAlarm(sid, Math.min(T("2028-01-01T00:00:00Z"), t0 + 180 * 86_400_000));
  });

  it("a range of more than 100,000 fires is a 422 limit_exceeded naming end_at and writes nothing; 100,000 fires are accepted", async () => {
    const t0 = T("2027-05-05T12:00:00.000Z");
    const sid = uid("backfill-cap");
    setNow(t0);
    // Every second: 2 days of it are 172,800 fires.
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, intervals: [{ every: "1s" }], overlap: "ALLOW_ALL", task_queue: uid("q-bf") });
    const from = T("2027-05-01T00:00:00Z");
    const tooMany = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + 2 * 86_400_000) });
    expect(tooMany.status, JSON.stringify(tooMany.body)).toBe(422);
    expect(tooMany.headers.get("content-type")).toContain("application/problem+json");
    expect(tooMany.body).toMatchObject({ code: "limit_exceeded", field: "end_at" });
    expect(tooMany.body.detail).toContain("100000");
    expect(tooMany.body.detail).toMatch(/split/);
    // One fire past the cap (both ends are included) is refused too.
    const oneOver = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + 100_000 * 1000) });
    expect(oneOver.status, JSON.stringify(oneOver.body)).toBe(422);
    // Nothing was written: no backfill action, and the alarm still waits for the next live fire.
    expect((await describeSchedule(sid)).recent_actions.filter((a: { kind: string }) => a.kind === "backfill")).toEqual([]);
    await expectAlarm(sid, t0 + 1000);
    // Exactly the cap: accepted.
    const atCap = await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + 99_999 * 1000) });
    expect(atCap.status, JSON.stringify(atCap.body)).toBe(202);
    expect(atCap.body).toEqual({ backfill_id: 1, fires: 100_000 });
  }, 60_000);
});

describe("at-least-once delivery", () => {
  it("an alarm delivered twice at the same instant starts exactly one run", async () => {
    const t0 = T("2027-05-03T00:00:00.000Z");
    const sid = uid("dup");
    const queue = uid("q-dup");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "dup-wf", key: sid, cron: "* * * * *", overlap: "ALLOW_ALL", task_queue: queue });
    const rid = runId(sid, t0 + M);
    setNow(t0 + M);
    const stub = scheduleObject(sid);
    await Promise.all([runDurableObjectAlarm(stub), runDurableObjectAlarm(stub)]);
    await runDurableObjectAlarm(stub);
    let d = await describeSchedule(sid);
    expect(d.counters.fired).toBe(1);
    expect(d.running).toEqual([rid]);
    expect((await runHistoryTypes(rid)).filter((t) => t === "execution_started")).toHaveLength(1);

    // The start itself delivered twice (an outbox entry sent, then the object reset before deleting
    // it): the run id makes the second start a no-op.
    const redeliver = async () =>
      runInDurableObject(stub, async (o) => {
        const payload = { runId: rid, payload: { timestamp: iso(t0 + M), schedule_id: sid }, input: null };
        (o as unknown as { store: ScheduleStore }).store.outbox.put(`start:${rid}`, payload, t0 + M);
      });
    await redeliver();
    await runDurableObjectAlarm(stub);
    expect((await runHistoryTypes(rid)).filter((t) => t === "execution_started")).toHaveLength(1);
    d = await describeSchedule(sid);
    expect(d.counters.fired).toBe(1);
    expect(d.running).toEqual([rid]);

    // …and once the run has closed, a late duplicate start neither restarts it nor confuses the schedule.
    await completeRun(queue, rid, succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
    await redeliver();
    await runDurableObjectAlarm(stub);
    expect((await getRun(rid)).body.status).toBe("completed");
    expect((await runHistoryTypes(rid)).filter((t) => t === "execution_started")).toHaveLength(1);
    d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 1, failed: 0 });
    expect(d.running).toEqual([]);
    await expectAlarm(sid, t0 + 2 * M);
  });
});
