import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, completeRun, createSchedule, describeSchedule, eventually, expectAlarm, fail, iso, runId, setNow, succeed } from "./schedule-helpers.ts";

const S = 1_000;
const M = 60_000;

/**
 * Pipelit's `next_run_at` is when the job runs next, and after a failure that is its retry ("First
 * failure: retries after interval_seconds"). Sundial's describe and list showed only the next fire:
 * a one-shot (repeat_count 1) whose run failed read `status: active, next_run_at: null` while its
 * retry was due 10 minutes later, and a recurring schedule showed its next fire though a shorter
 * `retry_delay_seconds` would run the retry first.
 */
describe("next_run_at counts a failed fire's waiting retry", () => {
  async function listed(sid: string) {
    const r = await api("GET", `/v1/workflows/schedules?key=${encodeURIComponent(sid)}`);
    expect(r.status).toBe(200);
    return r.body.schedules[0];
  }

  /** A schedule created at `t0` (`fields` beside its id, key, workflow and queue) whose first fire failed `after` ms past it; waits until the failure is counted. */
  async function firstFireFailed(prefix: string, t0: number, fields: Record<string, unknown>, fire: number, after: number) {
    const sid = uid(prefix);
    const queue = uid(`q-${prefix}`);
    setNow(t0);
    await createSchedule({ schedule_id: sid, workflow: "pipelit-wf", key: sid, task_queue: queue, ...fields });
    await alarmAt(sid, fire);
    setNow(fire + after);
    await completeRun(queue, runId(sid, fire), fail("down"));
    const described = await eventually(async () => {
      const s = await describeSchedule(sid);
      expect(s.current_retry).toBe(1);
      return s;
    });
    return { sid, queue, described };
  }

  it("Pipelit's one-shot (interval 600, repeat_count 1, retry_max 1): after the failure, next_run_at is the retry", async () => {
    const t0 = Date.parse("2027-05-01T00:00:00.000Z");
    const fire = t0 + 10 * M;
    const { sid, queue, described: d } = await firstFireFailed("oneshot-retry", t0, { interval_seconds: 600, repeat_count: 1, retry_max: 1 }, fire, 5 * S);
    const retryAt = fire + 5 * S + 600 * S; // the first retry waits one interval
    expect(d).toMatchObject({ status: "active", next_fire_times: [], next_run_at: iso(retryAt) });
    await eventually(async () => expect(await listed(sid)).toMatchObject({ status: "active", next_fire_at: null, next_run_at: iso(retryAt), current_retry: 1 }));
    await expectAlarm(sid, retryAt);

    // The retry runs and succeeds: nothing is left, the schedule completes.
    await alarmAt(sid, retryAt);
    await completeRun(queue, `${runId(sid, fire)}:retry-1`, succeed());
    await eventually(async () => expect(await describeSchedule(sid)).toMatchObject({ status: "completed", next_run_at: null }));
    await eventually(async () => expect(await listed(sid)).toMatchObject({ status: "completed", next_run_at: null }));
  });

  it("a recurring schedule whose retry comes before the next fire shows the retry, then the fire again", async () => {
    const t0 = Date.parse("2027-05-02T00:00:00.000Z");
    const fire1 = t0 + 60 * M;
    const { sid, queue, described: d } = await firstFireFailed("recur-retry", t0, { interval_seconds: 3600, retry_max: 2, retry_delay_seconds: 60 }, fire1, 2 * S);
    const retryAt = fire1 + 2 * S + 60 * S;
    expect(d.next_fire_times[0].nominal).toBe(iso(fire1 + 60 * M));
    expect(d.next_run_at).toBe(iso(retryAt));
    await eventually(async () => expect(await listed(sid)).toMatchObject({ next_fire_at: iso(fire1 + 60 * M), next_run_at: iso(retryAt) }));

    await alarmAt(sid, retryAt);
    await completeRun(queue, `${runId(sid, fire1)}:retry-1`, succeed());
    await eventually(async () => expect(await describeSchedule(sid)).toMatchObject({ current_retry: 0, next_run_at: iso(fire1 + 60 * M) }));
    await eventually(async () => expect(await listed(sid)).toMatchObject({ next_run_at: iso(fire1 + 60 * M) }));
  });

  it("a paused schedule with a retry waiting shows no next run", async () => {
    const t0 = Date.parse("2027-05-03T00:00:00.000Z");
    const { sid } = await firstFireFailed("paused-retry", t0, { interval_seconds: 3600, retry_max: 2, retry_delay_seconds: 60 }, t0 + 60 * M, S);
    expect((await api("POST", `/v1/workflows/schedules/${sid}/pause`, {})).status).toBe(200);
    expect((await describeSchedule(sid)).next_run_at).toBeNull();
    await eventually(async () => expect(await listed(sid)).toMatchObject({ status: "paused", next_run_at: null }));
  });
});
