import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, completeRun, createSchedule, describeSchedule, eventually, fail, runId, setNow } from "./schedule-helpers.ts";

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
