import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";
import {
  alarmAt,
  completeRun,
  createSchedule,
  describeSchedule,
  eventually,
  expectAlarm,
  expectNoRun,
  expectRunning,
  fail,
  getRun,
  iso,
  runId,
  setNow,
  succeed,
  T,
} from "./schedule-helpers.ts";

// Four rules of DESIGN.md's time semantics that no other test pinned: the cron retry delay default,
// overlap scoped to one schedule, API schedules independent of code registrations, and the jittered
// payload's actual_timestamp.

const S = 1_000;
const M = 60_000;

describe("DESIGN time-semantics rules", () => {
  // DESIGN L47: "retry_delay_seconds (default: the interval, or 60 s for cron specs)".
  it("a cron schedule's retry is due 60 s after the failure by default", async () => {
    const t0 = T("2027-09-01T00:00:00.000Z");
    const fire = t0 + 60 * M;
    const sid = uid("design-cron-retry");
    const queue = uid("q-design-retry");
    setNow(t0);
    const created = await createSchedule({ schedule_id: sid, workflow: "design-wf", key: sid, cron: "0 * * * *", retry_max: 1, task_queue: queue });
    expect(created.policy.retry_delay_seconds ?? null).toBeNull();
    await expectAlarm(sid, fire);
    await alarmAt(sid, fire);
    const first = runId(sid, fire);
    await expectRunning(first);
    // The run fails 5 s after the fire: the delay counts from the failure (machine.ts runClosed: ctx.now + delay).
    const failedAt = fire + 5 * S;
    setNow(failedAt);
    await completeRun(queue, first, fail());
    await eventually(async () => expect((await describeSchedule(sid)).current_retry).toBe(1));
    await expectAlarm(sid, failedAt + 60 * S);
    await alarmAt(sid, failedAt + 60 * S - 1);
    await expectNoRun(`${first}:retry-1`);
    await alarmAt(sid, failedAt + 60 * S);
    const retry = await expectRunning(`${first}:retry-1`);
    expect(retry.schedule.timestamp).toBe(iso(fire));
  });

  // DESIGN L46: overlap is "Scoped to one schedule (never to the whole workflow type: one user's run
  // never blocks another user's)".
  it("SKIP on one user's schedule never blocks another user's schedule of the same workflow", async () => {
    const t0 = T("2027-09-02T00:00:00.000Z");
    const wf = uid("design-overlap-wf");
    const mk = async (user: string) => {
      const sid = uid(`design-ov-${user}`);
      const queue = uid(`q-design-ov-${user}`);
      await createSchedule({ schedule_id: sid, workflow: wf, key: user, cron: "* * * * *", overlap: "SKIP", task_queue: queue });
      return { sid, queue, run: (m: number) => runId(sid, t0 + m * M) };
    };
    setNow(t0);
    const a = await mk("user-a");
    const b = await mk("user-b");

    await alarmAt(a.sid, t0 + M);
    await expectRunning(a.run(1));
    // B's fire at the same instant starts although A's run (same workflow) is open.
    await alarmAt(b.sid, t0 + M);
    expect((await getRun(b.run(1))).body.status).toBe("running");
    expect((await describeSchedule(b.sid)).counters).toMatchObject({ fired: 1, skipped_overlap: 0 });

    // B's run closes before the next minute; A's stays open.
    setNow(t0 + M + 10 * S);
    await completeRun(b.queue, b.run(1), succeed());
    await eventually(async () => expect((await describeSchedule(b.sid)).running).toEqual([]));

    // At the next minute A's fire is skipped (its own run is open) and B's starts.
    await alarmAt(a.sid, t0 + 2 * M);
    await expectNoRun(a.run(2));
    expect((await describeSchedule(a.sid)).counters).toMatchObject({ fired: 1, skipped_overlap: 1 });
    await alarmAt(b.sid, t0 + 2 * M);
    expect((await getRun(b.run(2))).body.status).toBe("running");
    expect((await describeSchedule(b.sid)).counters).toMatchObject({ fired: 2, skipped_overlap: 0 });
    expect((await describeSchedule(a.sid)).running).toEqual([a.run(1)]);
  });

  // DESIGN L49: "Schedules declared in worker code are upserted at worker start-up (Mistral);
  // API-created ones live independently of deployments."
  it("worker registrations add and remove code schedules but leave an API-created schedule alone", async () => {
    const wf = uid("design-deploy-wf");
    setNow(T("2027-09-03T00:00:00.000Z"));
    const mine = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: "user-1", cron: "0 2 * * *", task_queue: "design-q" });
    expect(mine.status, JSON.stringify(mine.body)).toBe(201);
    const apiId: string = mine.body.schedule_id;
    const register = (schedules: Record<string, unknown>[]) =>
      api("POST", "/v1/workflows/workers/register", { identity: "design-worker", task_queue: "design-q", workflows: [{ name: wf, schedules }], activities: [] });
    const codeId = `${wf}:code-0`;

    const r1 = await register([{ interval_seconds: 3600 }]);
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expect(await describeSchedule(codeId)).toMatchObject({ source: "code", workflow: wf });
    expect(await describeSchedule(apiId)).toMatchObject({ key: "user-1", version: mine.body.version, status: "active" });

    setNow(T("2027-09-03T01:00:00.000Z"));
    const r2 = await register([]);
    expect(r2.status, JSON.stringify(r2.body)).toBe(200);
    expect((await api("GET", `/v1/workflows/schedules/${encodeURIComponent(codeId)}`)).status).toBe(404);
    const still = await api("GET", `/v1/workflows/schedules/${encodeURIComponent(apiId)}`);
    expect(still.status).toBe(200);
    expect(still.body).toMatchObject({ key: "user-1", version: mine.body.version, status: "active" });
    expect(still.body.spec.cron_expressions).toEqual(["0 2 * * *"]);
  });

  // DESIGN L43: "a fire has a nominal time (from the spec) and an actual time (nominal + jitter)";
  // L48: the payload carries `timestamp` (nominal) and `actual_timestamp`.
  it("a jittered run's payload has actual_timestamp = nominal + jitter, and the run starts then", async () => {
    const t0 = T("2027-09-04T00:00:00.000Z");
    // A fixed id whose jitter for the first fire is non-zero (checked below).
    const sid = "design-jitter-a";
    const queue = uid("q-design-jitter");
    setNow(t0);
    const created = await createSchedule({ schedule_id: sid, workflow: "design-wf", key: sid, interval_seconds: 600, jitter_seconds: 30, task_queue: queue });
    const { nominal, actual } = created.next_fire_times[0] as { nominal: string; actual: string };
    expect(nominal).toBe(iso(t0 + 600 * S));
    const offset = T(actual) - T(nominal);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(30 * S);
    expect((await describeSchedule(sid)).next_fire_times[0]).toEqual({ nominal, actual });

    await expectAlarm(sid, T(actual));
    await alarmAt(sid, T(actual));
    const run = await expectRunning(runId(sid, T(nominal)));
    expect(run.schedule.timestamp).toBe(nominal);
    expect(run.schedule.actual_timestamp).toBe(actual);
    expect(run.schedule.actual_timestamp).not.toBe(run.schedule.timestamp);
    expect(run.started_at).toBe(actual);
  });
});
