import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, completeRun, createSchedule, describeSchedule, eventually, fail, runId, scheduleObject, setNow } from "./schedule-helpers.ts";

const S = 1_000;
const YEAR = 366 * 86_400;

// retry_delay_seconds had no upper bound: a one-shot whose run failed got a retry due past the
// last JavaScript date, and from then on its describe, and the namespace's schedule list, were 500s.
// It is bounded as an interval is (100 years; 10× that, the backoff's cap, is still a date).
describe("retry_delay_seconds is at most 100 years", () => {
  it("a longer delay is a 422 naming it, on create and on PATCH, and writes nothing", async () => {
    const t0 = Date.parse("2027-04-01T00:00:00.000Z");
    const sid = uid("retry-far");
    setNow(t0);
    const body = { schedule_id: sid, workflow: "far-wf", key: sid, at: new Date(t0 + 600 * S).toISOString(), task_queue: uid("q-retry-far"), retry_max: 1 };
    for (const policy of [{ retry_delay_seconds: 1e15 }, { policy: { retry_delay_seconds: `${100 * 366 + 1}d` } }]) {
      const r = await api("POST", "/v1/workflows/schedules", { ...body, ...policy });
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.field).toMatch(/retry_delay_seconds$/);
    }
    expect((await api("GET", `/v1/workflows/schedules/${sid}`)).status).toBe(404);
    await createSchedule({ ...body, retry_delay_seconds: 100 * YEAR });
    const p = await api("PATCH", `/v1/workflows/schedules/${sid}`, { retry_delay_seconds: 1e15 });
    expect(p.status, JSON.stringify(p.body)).toBe(422);
    expect(p.body.field).toBe("retry_delay_seconds");
    expect((await describeSchedule(sid)).version).toBe(1);
  });

  it("the longest delay allowed keeps describe and the list answering once a run failed", async () => {
    const t0 = Date.parse("2027-04-01T00:00:00.000Z");
    const sid = uid("retry-far");
    const queue = uid("q-retry-far");
    setNow(t0);
    const fire = t0 + 600 * S;
    await createSchedule({ schedule_id: sid, workflow: "far-wf", key: sid, at: new Date(fire).toISOString(), task_queue: queue, retry_max: 1, retry_delay_seconds: 100 * YEAR });
    await alarmAt(sid, fire);
    await completeRun(queue, runId(sid, fire), fail("boom"));
    const d = await eventually(async () => {
      const s = await describeSchedule(sid);
      expect(s.counters.failed).toBe(1);
      return s;
    });
    expect(d).toMatchObject({ status: "active", current_retry: 1, next_run_at: new Date(fire + 100 * YEAR * S).toISOString() });
    await eventually(async () => {
      const l = await api("GET", `/v1/workflows/schedules?key=${sid}`);
      expect(l.status, JSON.stringify(l.body)).toBe(200);
      expect(l.body.schedules[0]).toMatchObject({ current_retry: 1, next_run_at: d.next_run_at });
    });
  });
});

/**
 * A row an older release stored, before the bound: its policy's delay longer than 100 years, and
 * maybe a retry it already planned past the last JavaScript date. Written straight into the
 * object's SQLite, as that release left it.
 */
async function storedByOlderRelease(sid: string, change: (row: { policy: Record<string, unknown>; state: Record<string, unknown> }) => void): Promise<void> {
  await runInDurableObject(scheduleObject(sid), async (obj, state) => {
    const raw = state.storage.sql.exec<{ policy: string; state: string }>("SELECT policy, state FROM schedule").one();
    const row = { policy: JSON.parse(raw.policy), state: JSON.parse(raw.state) };
    change(row);
    state.storage.sql.exec("UPDATE schedule SET policy = ?, state = ?", JSON.stringify(row.policy), JSON.stringify(row.state));
    // The object's copy of the row is what it read before this write: read it again.
    (obj as unknown as { store: { row: unknown } }).store.row = undefined;
  });
}

describe("a row stored before the bound, with a longer retry_delay_seconds", () => {
  const longer = 1e15; // what the older release accepted: ~31.7 million years

  it("describes and lists it with the delay read at the bound, and a failed run's retry stays a date", async () => {
    const t0 = Date.parse("2027-04-02T00:00:00.000Z");
    const sid = uid("retry-old");
    const queue = uid("q-retry-old");
    setNow(t0);
    const fire = t0 + 600 * S;
    await createSchedule({ schedule_id: sid, workflow: "far-wf", key: sid, at: new Date(fire).toISOString(), task_queue: queue, retry_max: 1 });
    await storedByOlderRelease(sid, (row) => (row.policy.retry_delay_seconds = longer));
    expect((await describeSchedule(sid)).policy.retry_delay_seconds).toBe(100 * YEAR);
    await alarmAt(sid, fire);
    await completeRun(queue, runId(sid, fire), fail("boom"));
    const d = await eventually(async () => {
      const s = await describeSchedule(sid);
      expect(s.counters.failed).toBe(1);
      return s;
    });
    expect(d).toMatchObject({ status: "active", current_retry: 1, next_run_at: new Date(fire + 100 * YEAR * S).toISOString() });
    await eventually(async () => {
      const l = await api("GET", `/v1/workflows/schedules?key=${sid}`);
      expect(l.status, JSON.stringify(l.body)).toBe(200);
      expect(l.body.schedules[0]).toMatchObject({ current_retry: 1, next_run_at: d.next_run_at });
    });
    // A PATCH of another field is no 422 about a delay it did not send.
    const p = await api("PATCH", `/v1/workflows/schedules/${sid}`, { note: "still here" });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
  });

  it("describes and lists one whose retry that release planned past the last date, due at the latest a retry can be", async () => {
    const t0 = Date.parse("2027-04-03T00:00:00.000Z");
    const sid = uid("retry-old");
    const queue = uid("q-retry-old");
    setNow(t0);
    const fire = t0 + 600 * S;
    await createSchedule({ schedule_id: sid, workflow: "far-wf", key: sid, at: new Date(fire).toISOString(), task_queue: queue, retry_max: 1 });
    await alarmAt(sid, fire);
    await completeRun(queue, runId(sid, fire), fail("boom"));
    await eventually(async () => expect((await describeSchedule(sid)).current_retry).toBe(1));
    const failedAt = fire;
    await storedByOlderRelease(sid, (row) => {
      row.policy.retry_delay_seconds = longer;
      (row.state.retry as { at: number }).at = failedAt + longer * 1000;
    });
    // The latest the bound allows: 10 times the longest delay after its fire (its failure time is not kept).
    const d = await describeSchedule(sid);
    expect(d).toMatchObject({ status: "active", current_retry: 1, next_run_at: new Date(fire + 10 * 100 * YEAR * S).toISOString() });
    // The index row that release wrote: the list reads its time as the last instant RFC 3339 spells.
    await env.DB.prepare("UPDATE schedules SET next_run_at = ? WHERE schedule_id = ?").bind(failedAt + longer * 1000, sid).run();
    const stale = await api("GET", `/v1/workflows/schedules?key=${sid}`);
    expect(stale.status, JSON.stringify(stale.body)).toBe(200);
    expect(stale.body.schedules[0].next_run_at).toBe("9999-12-31T23:59:59.999Z");
    // The row's next write lists it as describe shows it.
    setNow(fire + S);
    expect((await api("PATCH", `/v1/workflows/schedules/${sid}`, { note: "touched" })).status).toBe(200);
    await eventually(async () => {
      const l = await api("GET", `/v1/workflows/schedules?key=${sid}`);
      expect(l.status, JSON.stringify(l.body)).toBe(200);
      expect(l.body.schedules[0].next_run_at).toBe((await describeSchedule(sid)).next_run_at);
    });
  });
});
