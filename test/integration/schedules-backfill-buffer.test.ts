import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, alarmOf, completeRun, createSchedule, describeSchedule, eventually, expectAlarm, iso, setNow, succeed, T } from "./schedule-helpers.ts";

const S = 1_000;
const M = 60_000;

// DESIGN "Overlap": BUFFER_ALL keeps up to 1,000 waiting fires, and a fire past that is dropped.
// A backfill under BUFFER_ALL must not be what fills the buffer: as Temporal's scheduler does
// ("use only half the buffer for backfills"), backfilled fires wait to be decided while half the
// buffer is taken, so a long backfill behind one open run drops none of its fires, and leaves room
// for the schedule's own.
describe("a backfill under BUFFER_ALL", () => {
  it("takes at most half the buffer, and waits for room instead of dropping fires", async () => {
    const t0 = T("2027-05-10T12:00:00.000Z");
    const sid = uid("backfill-buffer");
    const queue = uid("q-bf-buffer");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "BUFFER_ALL", task_queue: queue });
    setNow(t0 + S);
    const trig = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, {});
    expect(trig.body).toMatchObject({ started: true });
    const from = T("2027-05-09T00:00:00Z");
    expect((await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + 1199 * M) })).body).toEqual({ backfill_id: 1, fires: 1200 });
    for (let i = 0; i < 12; i++) await alarmAt(sid, t0 + 2 * S);
    let d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 1, skipped_overlap: 0 });
    expect(d.buffered).toBe(500);
    // Waiting for room does not spin the alarm: the next thing to do is the schedule's own 12:01.
    await expectAlarm(sid, t0 + M);
    // A run closes: a waiting fire starts, and the backfill takes the room it left.
    await completeRun(queue, trig.body.run_id, succeed());
    await eventually(async () => expect(await alarmOf(sid)).toBe(t0 + 2 * S));
    await alarmAt(sid, t0 + 3 * S);
    d = await describeSchedule(sid);
    expect(d.counters).toMatchObject({ fired: 2, skipped_overlap: 0 });
    expect(d.buffered).toBe(500);
  }, 60_000);
});

// A backfill whose fires never wait in the buffer (ALLOW_ALL, SKIP) is not held back by a buffer
// the schedule's own fires (or another backfill's) have filled: only the open runs bound it.
describe("a backfill under ALLOW_ALL or SKIP beside a full buffer", () => {
  it("starts its fires while a BUFFER_ALL backfill waits for room", async () => {
    const t0 = T("2027-05-11T12:00:00.000Z");
    const sid = uid("backfill-allow");
    const queue = uid("q-bf-allow");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "BUFFER_ALL", task_queue: queue });
    setNow(t0 + S);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/trigger`, {})).body).toMatchObject({ started: true });
    const from = T("2027-05-10T00:00:00Z");
    expect((await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + 599 * M) })).body).toEqual({ backfill_id: 1, fires: 600 });
    for (let i = 0; i < 6; i++) await alarmAt(sid, t0 + 2 * S);
    expect((await describeSchedule(sid)).buffered).toBe(500);
    const later = T("2027-05-09T00:00:00Z");
    expect((await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(later), end_at: iso(later + 2 * M), overlap: "ALLOW_ALL" })).body).toEqual({ backfill_id: 2, fires: 3 });
    expect((await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(later), end_at: iso(later + 2 * M), overlap: "SKIP" })).body).toEqual({ backfill_id: 3, fires: 3 });
    await expectAlarm(sid, t0 + 2 * S);
    await alarmAt(sid, t0 + 3 * S);
    const d = await describeSchedule(sid);
    // The trigger, backfill 2's three fires; backfill 3's fires all find a run open (SKIP).
    expect(d.counters).toMatchObject({ fired: 4, skipped_overlap: 3 });
    expect(d.buffered).toBe(500);
    await expectAlarm(sid, t0 + M);
  }, 60_000);
});

// README (describe's `backfills`): a backfill leaves the list once its last fire is decided. One
// whose last batch used exactly the room it had (here the last 100 of 500 fires fill half the
// buffer) stayed listed, `next_fire: null`, counted among the 100 under way, until a run closed.
describe("a backfill whose last batch fills the room it had", () => {
  it("leaves describe's backfills once its last fire waits in the buffer", async () => {
    const t0 = T("2027-05-12T12:00:00.000Z");
    const sid = uid("backfill-exact");
    const queue = uid("q-bf-exact");
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "backfill-wf", key: sid, cron: "* * * * *", overlap: "BUFFER_ALL", task_queue: queue });
    setNow(t0 + S);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/trigger`, {})).body).toMatchObject({ started: true });
    const from = T("2027-05-11T00:00:00Z");
    expect((await api("POST", `/v1/workflows/schedules/${sid}/backfill`, { start_at: iso(from), end_at: iso(from + 499 * M) })).body).toEqual({ backfill_id: 1, fires: 500 });
    for (let i = 0; i < 5; i++) await alarmAt(sid, t0 + 2 * S);
    const d = await describeSchedule(sid);
    expect(d.buffered).toBe(500);
    expect(d.backfills).toEqual([]);
    await expectAlarm(sid, t0 + M);
  }, 60_000);
});
