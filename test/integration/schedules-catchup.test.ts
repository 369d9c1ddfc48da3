import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";
import {
  alarmAt,
  alarmOf,
  createSchedule,
  describeSchedule,
  eventually,
  expectAlarm,
  expectNoRun,
  getRun,
  iso,
  runId,
  setNow,
  completeRun,
  succeed,
  T,
} from "./schedule-helpers.ts";

const M = 60_000;
const H = 3_600_000;

async function hourly(t0: number, extra: Record<string, unknown>) {
  const sid = uid("catchup");
  setNow(t0);
  // ALLOW_ALL, so the overlap policy never hides a caught-up fire.
  await createSchedule({ schedule_id: sid, workflow: "catchup-wf", key: sid, cron: "0 * * * *", task_queue: uid("q-cu"), overlap: "ALLOW_ALL", ...extra });
  return sid;
}

describe("catch-up after an outage", () => {
  it("skips and counts fires older than now - catchup_window_seconds, and runs those within it", async () => {
    const t0 = T("2027-02-01T00:00:00.000Z");
    const sid = await hourly(t0, { catchup_window_seconds: "3h" });
    await expectAlarm(sid, t0 + H);

    // The platform was down: the 01:00 alarm is delivered at 10:00.
    await alarmAt(sid, t0 + 10 * H);
    for (let h = 1; h <= 6; h++) await expectNoRun(runId(sid, t0 + h * H));
    // 07:00 is exactly now - window: still within it.
    for (let h = 7; h <= 10; h++) expect((await getRun(runId(sid, t0 + h * H))).body.status).toBe("running");

    const d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 4, skipped_catchup: 6, skipped_overlap: 0 });
    expect(d.recent_actions.map((a: { outcome: string }) => a.outcome)).toContain("skipped 6 fires older than the catch-up window");
    expect(d.last_fire_at).toBe(new Date(t0 + 10 * H).toISOString());
    // The first caught-up run says which fire came before it (none ran before).
    expect((await getRun(runId(sid, t0 + 7 * H))).body.schedule).toMatchObject({ last_timestamp: null, actual_timestamp: new Date(t0 + 7 * H).toISOString() });
    expect((await getRun(runId(sid, t0 + 8 * H))).body.schedule.last_timestamp).toBe(new Date(t0 + 7 * H).toISOString());
    await expectAlarm(sid, t0 + 11 * H);
  });

  it("runs every missed fire when the outage is shorter than the window (default one day)", async () => {
    const t0 = T("2027-02-02T00:00:00.000Z");
    const sid = await hourly(t0, {});
    expect((await describeSchedule(sid)).policy.catchup_window_seconds).toBe(86_400);
    await alarmAt(sid, t0 + 5 * H + 30 * M);
    for (let h = 1; h <= 5; h++) expect((await getRun(runId(sid, t0 + h * H))).body.status).toBe("running");
    const d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 5, skipped_catchup: 0 });
    await expectAlarm(sid, t0 + 6 * H);
  });

  it("a window outside [10 s, 366 days] is clamped, and describe shows the window the schedule keeps, not the one sent", async () => {
    const t0 = T("2027-02-03T00:00:00.000Z");
    const short = await hourly(t0, { catchup_window_seconds: 1 });
    expect((await describeSchedule(short)).policy.catchup_window_seconds).toBe(10);
    // The clamped window is the one kept: a fire 10 s late still runs, one 11 s late would not.
    await alarmAt(short, t0 + H + 10_000);
    expect((await getRun(runId(short, t0 + H))).body.status).toBe("running");
    const long = await hourly(t0, { policy: { catchup_window_seconds: "3650d" } });
    expect((await describeSchedule(long)).policy.catchup_window_seconds).toBe(366 * 86_400);
    const patched = await api("PATCH", `/v1/workflows/schedules/${encodeURIComponent(long)}`, { catchup_window_seconds: 0 });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.policy.catchup_window_seconds).toBe(10);
  });

  it("works off a long outage in bounded batches of 100 starts per alarm", async () => {
    const t0 = T("2027-02-03T00:00:00.000Z");
    const sid = uid("catchup-batch");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "catchup-wf", key: sid, cron: "* * * * *", task_queue: uid("q-cu"), overlap: "ALLOW_ALL" });
    const now = t0 + 150 * M;
    await alarmAt(sid, now);
    let d = await describeSchedule(sid);
    expect(d.counters.fired).toBe(100);
    expect((await getRun(runId(sid, t0 + 100 * M))).status).toBe(200);
    await expectNoRun(runId(sid, t0 + 101 * M));
    // More is due already: the alarm is armed in the past (it fires at once), not at the next fire.
    const armed = await alarmOf(sid);
    expect(armed).not.toBeNull();
    expect(armed!).toBeLessThanOrEqual(now);

    await alarmAt(sid, now);
    d = await describeSchedule(sid);
    expect(d.counters.fired).toBe(150);
    expect((await getRun(runId(sid, t0 + 150 * M))).status).toBe(200);
    await expectAlarm(sid, t0 + 151 * M);
  }, 30_000);
});

describe("catch-up after a very long outage", () => {
  it("one alarm jumps over a month of fires too old for the window (counted 10000+) and starts those inside it", async () => {
    const t0 = T("2027-02-04T00:00:00.000Z");
    const sid = uid("catchup-jump");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "catchup-wf", key: sid, cron: "* * * * *", catchup_window_seconds: "10m", task_queue: uid("q-cu"), overlap: "ALLOW_ALL" });
    // Down for 30 days: 43,200 fires, all but the last 11 older than the 10-minute window.
    const now = t0 + 30 * 24 * H;
    await alarmAt(sid, now);
    const d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 11, skipped_catchup: 10_000 });
    expect(d.recent_actions.map((a: { outcome: string }) => a.outcome)).toContain("skipped 10000+ fires older than the catch-up window");
    await expectNoRun(runId(sid, now - 11 * M));
    for (const k of [10, 5, 0]) expect((await getRun(runId(sid, now - k * M))).status).toBe(200);
    await expectAlarm(sid, now + M);
  }, 30_000);
});

describe("DST days: the alarm is armed at the resolved instant", () => {
  async function daily(cron: string, timezone: string, createdAt: number) {
    const sid = uid("dst");
    setNow(createdAt);
    await createSchedule({ schedule_id: sid, workflow: "dst-wf", key: sid, cron, timezone, task_queue: uid("q-dst"), overlap: "ALLOW_ALL" });
    return sid;
  }
  const nominals = (d: { next_fire_times: { nominal: string }[] }, n: number) => d.next_fire_times.slice(0, n).map((f) => f.nominal);

  it("America/New_York spring-forward (2027-03-14): 02:30 does not exist and fires once at 03:30 EDT = 07:30Z", async () => {
    const sid = await daily("30 2 * * *", "America/New_York", T("2027-03-13T12:00:00Z"));
    expect(nominals(await describeSchedule(sid), 3)).toEqual(["2027-03-14T07:30:00.000Z", "2027-03-15T06:30:00.000Z", "2027-03-16T06:30:00.000Z"]);
    await expectAlarm(sid, T("2027-03-14T07:30:00Z"));
    await alarmAt(sid, T("2027-03-14T07:30:00Z"));
    const run = (await getRun(runId(sid, T("2027-03-14T07:30:00Z")))).body;
    expect(run.status).toBe("running");
    expect(run.schedule).toMatchObject({ timezone: "America/New_York", timestamp: "2027-03-14T07:30:00.000Z", upcoming: "2027-03-15T06:30:00.000Z" });
    // Once: a late re-delivery an hour later finds nothing more due that day.
    await alarmAt(sid, T("2027-03-14T08:30:00Z"));
    expect((await describeSchedule(sid)).counters.fired).toBe(1);
    await expectAlarm(sid, T("2027-03-15T06:30:00Z"));
  });

  it("America/New_York fall-back (2027-11-07): 01:30 happens twice and fires once, at the first occurrence (05:30Z)", async () => {
    const sid = await daily("30 1 * * *", "America/New_York", T("2027-11-06T12:00:00Z"));
    expect(nominals(await describeSchedule(sid), 2)).toEqual(["2027-11-07T05:30:00.000Z", "2027-11-08T06:30:00.000Z"]);
    await expectAlarm(sid, T("2027-11-07T05:30:00Z"));
    await alarmAt(sid, T("2027-11-07T05:30:00Z"));
    expect((await getRun(runId(sid, T("2027-11-07T05:30:00Z")))).body.status).toBe("running");
    await expectAlarm(sid, T("2027-11-08T06:30:00Z"));
    // At the second 01:30 (06:30Z) nothing fires.
    await alarmAt(sid, T("2027-11-07T06:30:00Z"));
    await expectNoRun(runId(sid, T("2027-11-07T06:30:00Z")));
    expect((await describeSchedule(sid)).counters.fired).toBe(1);
    await expectAlarm(sid, T("2027-11-08T06:30:00Z"));
  });

  it("Australia/Lord_Howe (2027-10-03): the 30-minute gap moves 02:15 to 02:45 local (+11:00)", async () => {
    const sid = await daily("15 2 * * *", "Australia/Lord_Howe", T("2027-10-02T00:00:00Z"));
    // 02:45 +11:00 on Oct 3 = 15:45Z on Oct 2; the next day is back to 02:15 +11:00 = 15:15Z.
    expect(nominals(await describeSchedule(sid), 2)).toEqual(["2027-10-02T15:45:00.000Z", "2027-10-03T15:15:00.000Z"]);
    await expectAlarm(sid, T("2027-10-02T15:45:00Z"));
    await alarmAt(sid, T("2027-10-02T15:45:00Z"));
    const run = (await getRun(runId(sid, T("2027-10-02T15:45:00Z")))).body;
    expect(run.status).toBe("running");
    expect(run.schedule.timezone).toBe("Australia/Lord_Howe");
    await expectAlarm(sid, T("2027-10-03T15:15:00Z"));
    await alarmAt(sid, T("2027-10-03T15:15:00Z"));
    expect((await getRun(runId(sid, T("2027-10-03T15:15:00Z")))).body.status).toBe("running");
    expect((await describeSchedule(sid)).counters.fired).toBe(2);
  });

  // The fall-back rule end to end, in a zone whose repeat is 30 minutes: Lord Howe goes from 02:00
  // +11 back to 01:30 +10:30 at 2027-04-03T15:00Z, so 01:30-01:59 happen twice. With the hour field
  // `*` both 01:30s are fires of their own (two runs, ids by their instants, the second's payload
  // naming the first); with a fixed hour only the first occurrence is.
  it("Australia/Lord_Howe fall-back (2027-04-04): `30 * * * *` runs both 01:30s, 30 minutes apart; `45 1 * * *` only the first 01:45", async () => {
    const first = T("2027-04-03T14:30:00Z"); // 01:30 +11
    const second = T("2027-04-03T15:00:00Z"); // 01:30 +10:30
    const hourly = await daily("30 * * * *", "Australia/Lord_Howe", T("2027-04-03T14:00:00Z"));
    expect(nominals(await describeSchedule(hourly), 3)).toEqual([iso(first), iso(second), "2027-04-03T16:00:00.000Z"]);
    await alarmAt(hourly, first);
    expect((await getRun(runId(hourly, first))).body.schedule).toMatchObject({ timestamp: iso(first), upcoming: iso(second), timezone: "Australia/Lord_Howe" });
    await expectAlarm(hourly, second);
    await alarmAt(hourly, second);
    const again = (await getRun(runId(hourly, second))).body;
    expect(again.status).toBe("running");
    expect(again.schedule).toMatchObject({ timestamp: iso(second), last_timestamp: iso(first), upcoming: "2027-04-03T16:00:00.000Z" });
    expect((await describeSchedule(hourly)).counters.fired).toBe(2);

    const fixed = await daily("45 1 * * *", "Australia/Lord_Howe", T("2027-04-03T14:00:00Z"));
    const once = T("2027-04-03T14:45:00Z"); // 01:45 +11; its repeat, 01:45 +10:30, is 15:15Z
    expect(nominals(await describeSchedule(fixed), 2)).toEqual([iso(once), "2027-04-04T15:15:00.000Z"]);
    await alarmAt(fixed, once);
    expect((await getRun(runId(fixed, once))).body.status).toBe("running");
    await alarmAt(fixed, T("2027-04-03T15:15:00Z"));
    await expectNoRun(runId(fixed, T("2027-04-03T15:15:00Z")));
    expect((await describeSchedule(fixed)).counters.fired).toBe(1);
    await expectAlarm(fixed, T("2027-04-04T15:15:00Z"));
  });

  it("Pacific/Chatham spring-forward (2027-09-26): 02:45 +12:45 does not exist and fires once, at 03:45 +13:45 (14:00Z)", async () => {
    const shifted = T("2027-09-25T14:00:00Z");
    const sid = await daily("45 2 * * *", "Pacific/Chatham", T("2027-09-25T00:00:00Z"));
    // The day after, 02:45 +13:45 is 13:00Z.
    expect(nominals(await describeSchedule(sid), 2)).toEqual([iso(shifted), "2027-09-26T13:00:00.000Z"]);
    await alarmAt(sid, shifted);
    expect((await getRun(runId(sid, shifted))).body.schedule).toMatchObject({ timestamp: iso(shifted), timezone: "Pacific/Chatham", upcoming: "2027-09-26T13:00:00.000Z" });
    await alarmAt(sid, shifted + H);
    expect((await describeSchedule(sid)).counters.fired).toBe(1);
    await expectAlarm(sid, T("2027-09-26T13:00:00Z"));
  });
});

describe("catch-up with an overlap policy", () => {
  it("with SKIP (the Mistral seed's example), a backlog starts its oldest fire and counts the rest as skipped by overlap", async () => {
    const t0 = T("2027-02-03T00:00:00.000Z");
    const queue = uid("q-cu-skip");
    const sid = await hourly(t0, { overlap: "SKIP", catchup_window_seconds: 86_400, task_queue: queue });
    // Down from before 01:00 until 04:30: 01:00-04:00 are within the window; the run of 01:00 is
    // still open when 02:00-04:00 are considered, so SKIP drops them (Temporal's semantics).
    await alarmAt(sid, t0 + 4 * H + 30 * M);
    expect((await getRun(runId(sid, t0 + H))).body.status).toBe("running");
    for (let h = 2; h <= 4; h++) await expectNoRun(runId(sid, t0 + h * H));
    let d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 1, skipped_overlap: 3, skipped_catchup: 0 });
    expect(d.running).toEqual([runId(sid, t0 + H)]);
    // Once it has closed, the next fire runs as usual.
    await completeRun(queue, runId(sid, t0 + H), succeed());
    await eventually(async () => expect((await describeSchedule(sid)).running).toEqual([]));
    await alarmAt(sid, t0 + 5 * H);
    expect((await getRun(runId(sid, t0 + 5 * H))).body.status).toBe("running");
    d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 2, skipped_overlap: 3 });
  });
});
