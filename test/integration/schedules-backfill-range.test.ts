import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, createSchedule, describeSchedule, expectAlarm, expectNoRun, expectRunning, iso, runId, setNow, T } from "./schedule-helpers.ts";

const backfill = (sid: string, body: Record<string, unknown>) => api("POST", `/v1/workflows/schedules/${sid}/backfill`, body);
const backfillActions = async (sid: string): Promise<string[]> =>
  (await describeSchedule(sid)).recent_actions.filter((a: { kind: string; nominal: string | null }) => a.kind === "backfill" && a.nominal === null).map((a: { outcome: string }) => a.outcome);

/** A backfill's range as README states it: start_at ≤ fire ≤ end_at, at most 10 years, and a request_id retry answered first. */
describe("backfill range", () => {
  it("a range longer than 10 calendar years is a 422 limit_exceeded naming end_at and writes nothing; exactly 10 years is accepted", async () => {
    const t0 = T("2027-06-01T12:00:00.000Z");
    const sid = uid("backfill-10y");
    setNow(t0);
    // New Year's midnight, once a year.
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "0 0 1 1 *", task_queue: uid("q-bf-10y") });
    for (const [start, end] of [
      ["2000-01-01T00:00:00Z", "2020-01-01T00:00:00Z"], // 20 years
      ["2010-01-01T00:00:00Z", "2020-01-06T00:00:00Z"], // 10 years and 5 days: 3,657 days, under ten 366-day years
      ["2010-01-01T00:00:00Z", "2020-01-01T00:00:00.001Z"], // 1 ms past 10 years
    ]) {
      const r = await backfill(sid, { start_at: start, end_at: end });
      expect(r.status, `${start} … ${end}: ${JSON.stringify(r.body)}`).toBe(422);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body).toMatchObject({ code: "limit_exceeded", field: "end_at" });
      expect(r.body.detail).toMatch(/10 years/);
    }
    expect(await backfillActions(sid)).toEqual([]);
    await expectAlarm(sid, t0 + 180 * 86_400_000);
    // 2010-01-01 … 2020-01-01, both ends included: exactly 10 years, 11 fires.
    const atLimit = await backfill(sid, { start_at: "2010-01-01T00:00:00Z", end_at: "2020-01-01T00:00:00Z" });
    expect([atLimit.status, atLimit.body]).toEqual([202, { backfill_id: 1, fires: 11 }]);
  });

  it("a one-instant range (start_at = end_at) on a fire backfills that fire; on no fire it is a 409 empty_backfill; end before start stays a 422 naming end_at", async () => {
    const t0 = T("2027-06-02T12:00:00.000Z");
    const sid = uid("backfill-instant");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "0 * * * *", overlap: "ALLOW_ALL", task_queue: uid("q-bf-instant") });
    const at = T("2027-06-02T09:00:00Z");
    const one = await backfill(sid, { start_at: iso(at), end_at: iso(at) });
    expect([one.status, one.body]).toEqual([202, { backfill_id: 1, fires: 1 }]);
    await alarmAt(sid, t0);
    await expectRunning(runId(sid, at, ":backfill-1"));
    await expectNoRun(runId(sid, at + 3_600_000, ":backfill-1"));

    const none = await backfill(sid, { start_at: "2027-06-02T09:30:00Z", end_at: "2027-06-02T09:30:00Z" });
    expect([none.status, none.body.code, none.body.field]).toEqual([409, "empty_backfill", "start_at"]);
    const reversed = await backfill(sid, { start_at: "2027-06-02T09:00:00.001Z", end_at: "2027-06-02T09:00:00Z" });
    expect([reversed.status, reversed.body.code, reversed.body.field]).toEqual([422, "validation_failed", "end_at"]);
    expect(await backfillActions(sid)).toEqual(["backfill 1 of 1 fires queued (runs {nominal}:backfill-1)"]);
  });

  it("a request_id sent again gets the first answer and queues nothing whatever range it names: reversed, empty, or past the limits", async () => {
    const t0 = T("2027-06-05T12:00:00.000Z");
    const sid = uid("backfill-reqid-range");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "0 * * * *", overlap: "ALLOW_ALL", task_queue: uid("q-bf-reqid") });
    const first = await backfill(sid, { start_at: "2027-06-05T06:00:00Z", end_at: "2027-06-05T09:00:00Z", request_id: "r1" });
    expect([first.status, first.body]).toEqual([202, { backfill_id: 1, fires: 4 }]);
    for (const [start_at, end_at] of [
      ["2027-06-05T09:00:00Z", "2027-06-05T06:00:00Z"], // reversed
      ["2027-06-05T06:10:00Z", "2027-06-05T06:20:00Z"], // no fire
      ["2000-01-01T00:00:00Z", "2027-06-05T06:00:00Z"], // longer than 10 years
      ["2027-01-01T00:00:00Z", "2027-06-05T06:00:00Z"], // fine, but another range
    ]) {
      const again = await backfill(sid, { start_at, end_at, request_id: "r1" });
      expect([again.status, again.body], `${start_at} … ${end_at}`).toEqual([202, { backfill_id: 1, fires: 4 }]);
    }
    // A body that is not a backfill request at all is still refused, retry or not.
    const malformed = await backfill(sid, { start_at: "yesterday", end_at: "2027-06-05T06:00:00Z", request_id: "r1" });
    expect([malformed.status, malformed.body.field]).toEqual([422, "start_at"]);
    expect(await backfillActions(sid)).toEqual(["backfill 1 of 4 fires queued (runs {nominal}:backfill-1)"]);
    // A new request_id with a reversed range is checked as any request.
    const fresh = await backfill(sid, { start_at: "2027-06-05T09:00:00Z", end_at: "2027-06-05T06:00:00Z", request_id: "r2" });
    expect([fresh.status, fresh.body.field]).toEqual([422, "end_at"]);
  });

  it("describe lists the backfills under way with what is left of each; past 100 under way one more is a 422 limit_exceeded that writes nothing", async () => {
    const t0 = T("2027-06-05T12:00:00.000Z");
    const sid = uid("backfill-pending");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "ALLOW_ALL", task_queue: uid("q-bf-pending") });
    const from = T("2027-06-05T06:00:00Z");
    expect((await backfill(sid, { start_at: iso(from), end_at: iso(from + 149 * 60_000), overlap: "SKIP" })).status).toBe(202);
    expect((await describeSchedule(sid)).backfills).toEqual([{ backfill_id: 1, next_fire: iso(from), end_at: iso(from + 149 * 60_000), overlap: "SKIP" }]);
    // One alarm decides 100 fires (the first runs, SKIP skips the others): the rest starts at 07:40.
    await alarmAt(sid, t0 + 1_000);
    expect((await describeSchedule(sid)).backfills).toEqual([{ backfill_id: 1, next_fire: iso(from + 100 * 60_000), end_at: iso(from + 149 * 60_000), overlap: "SKIP" }]);
    await alarmAt(sid, t0 + 2_000);
    expect((await describeSchedule(sid)).backfills).toEqual([]);
    // 100 one-fire backfills under way (no alarm runs between them), then one more.
    for (let i = 0; i < 100; i++) {
      const at = iso(from + i * 60_000);
      const r = await backfill(sid, { start_at: at, end_at: at });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
    }
    const d = await describeSchedule(sid);
    expect(d.backfills).toHaveLength(100);
    expect(d.backfills[0]).toMatchObject({ backfill_id: 2, next_fire: iso(from), end_at: iso(from), overlap: null });
    const over = await backfill(sid, { start_at: iso(from), end_at: iso(from + 60_000), request_id: "one-too-many" });
    expect(over.status, JSON.stringify(over.body)).toBe(422);
    expect(over.headers.get("content-type")).toContain("application/problem+json");
    expect(over.body).toMatchObject({ code: "limit_exceeded" });
    expect(over.body.detail).toMatch(/100 backfills under way/);
    const after = await describeSchedule(sid);
    expect(after.backfills).toHaveLength(100);
    expect(after.version).toBe(d.version);
    expect(after.recent_actions).toEqual(d.recent_actions);
    // Once they are done, a backfill goes through again (the refused request_id was not remembered).
    // (An alarm decides 100 fires over all backfills: the last one's goes in the next.)
    await alarmAt(sid, t0 + 3_000);
    await alarmAt(sid, t0 + 4_000);
    expect((await describeSchedule(sid)).backfills).toEqual([]);
    expect((await backfill(sid, { start_at: iso(from), end_at: iso(from + 60_000), request_id: "one-too-many" })).body).toEqual({ backfill_id: 102, fires: 2 });
  }, 60_000);

  it("a range reaching into the future starts those fires now, as Temporal's backfill does; the schedule still fires them at their time", async () => {
    const t0 = T("2027-06-06T12:30:00.000Z");
    const sid = uid("backfill-future");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "0 * * * *", overlap: "ALLOW_ALL", task_queue: uid("q-bf-future") });
    const r = await backfill(sid, { start_at: "2027-06-06T12:00:00Z", end_at: "2027-06-06T14:00:00Z" });
    expect([r.status, r.body]).toEqual([202, { backfill_id: 1, fires: 3 }]);
    await alarmAt(sid, t0 + 1_000);
    for (const h of ["12", "13", "14"]) await expectRunning(runId(sid, T(`2027-06-06T${h}:00:00Z`), ":backfill-1"));
    expect((await describeSchedule(sid)).backfills).toEqual([]);
    // 13:00 comes: the schedule's own fire runs as well.
    await alarmAt(sid, T("2027-06-06T13:00:00.000Z"));
    await expectRunning(runId(sid, T("2027-06-06T13:00:00Z")));
  });
});

