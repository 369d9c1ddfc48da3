import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { alarmAt, alarmOf, completeRun, describeSchedule, eventually, expectAlarm, expectNoRun, fail, runId, setNow, succeed, T } from "./schedule-helpers.ts";

// A registration that changes a code schedule but not its spec (the worker's task queue, the
// workflow's execution timeout): the schedule takes the new fields and keeps its plan and its
// status, as a PATCH sending the spec the schedule already has does. Only a new spec revives a
// completed or dead one. README, "Schedules declared in code".

const H = 3_600_000;

function register(workflow: string, schedules: Record<string, unknown>[], taskQueue: string, executionTimeout?: number) {
  return api("POST", "/v1/workflows/workers/register", {
    identity: "status-worker",
    task_queue: taskQueue,
    workflows: [{ name: workflow, schedules, ...(executionTimeout !== undefined ? { execution_timeout: executionTimeout } : {}) }],
    activities: [],
  });
}

/** A code schedule every hour from t0 whose first run (at t0 + 1 h) closed with `commands`. */
async function firstRunClosed(prefix: string, t0: number, schedule: Record<string, unknown>, commands: unknown[], status: string) {
  const wf = uid(prefix);
  const q1 = uid("q1");
  setNow(t0);
  expect((await register(wf, [schedule], q1)).status).toBe(200);
  const id = `${wf}:code-0`;
  await expectAlarm(id, t0 + H);
  expect(await alarmAt(id, t0 + H)).toBe(true);
  await completeRun(q1, runId(id, t0 + H), commands);
  await eventually(async () => expect((await describeSchedule(id)).status).toBe(status));
  return { wf, id, before: await describeSchedule(id) };
}

describe("a code schedule that fires no more, registered again with its spec unchanged", () => {
  it("completed (repeat_count reached): another task queue is taken, it stays completed and fires nothing", async () => {
    const t0 = T("2027-04-05T00:00:00.000Z");
    const once = { interval_seconds: 3600, repeat_count: 1 };
    const { wf, id, before } = await firstRunClosed("code-status-done", t0, once, succeed(), "completed");

    setNow(t0 + 2 * H);
    const q2 = uid("q2");
    expect((await register(wf, [once], q2)).status).toBe(200);
    const after = await describeSchedule(id);
    expect(after).toMatchObject({ status: "completed", task_queue: q2, next_fire_times: [], note: before.note });
    expect(after.counters.fired).toBe(1);
    expect(await alarmOf(id)).toBeNull();
    setNow(t0 + 3 * H);
    await expectNoRun(runId(id, t0 + 3 * H));
  });

  it("dead (on_failure dead): another execution timeout is taken, it stays dead and fires nothing", async () => {
    const t0 = T("2027-04-06T00:00:00.000Z");
    const hourly = { interval_seconds: 3600, on_failure: "dead" };
    const { wf, id, before } = await firstRunClosed("code-status-dead", t0, hourly, fail(), "dead");
    const q = before.task_queue;

    setNow(t0 + 2 * H);
    expect((await register(wf, [hourly], q, 120)).status).toBe(200);
    const after = await describeSchedule(id);
    expect(after).toMatchObject({ status: "dead", execution_timeout: 120, next_fire_times: [], note: before.note });
    expect(after.counters.fired).toBe(1);
    expect(await alarmOf(id)).toBeNull();
    await expectNoRun(runId(id, t0 + 2 * H));
  });

  it("a new spec still revives a completed one, planned from now", async () => {
    const t0 = T("2027-04-07T00:00:00.000Z");
    const { wf, id } = await firstRunClosed("code-status-respec", t0, { interval_seconds: 3600, repeat_count: 1 }, succeed(), "completed");

    setNow(t0 + 2 * H + 60_000);
    expect((await register(wf, [{ interval_seconds: 3600, repeat_count: 2 }], uid("q2"))).status).toBe(200);
    const after = await describeSchedule(id);
    expect(after.status).toBe("active");
    expect(after.next_fire_times[0].nominal).toBe(new Date(t0 + 3 * H + 60_000).toISOString());
  });
});
