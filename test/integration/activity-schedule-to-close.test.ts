import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { activityScheduled, api, poll } from "./helpers.ts";

// Schedule-to-close is never retried. An attempt that would otherwise go out again as the same
// attempt, spending no retry — its lease never acknowledged (a lost delivery), or handed back by a
// worker shutting down — times out instead once the activity's schedule-to-close deadline passed.

type Event = { type: string; timeout_type?: string; attempt?: number; identity?: string };

const handBack = (token: string) => api("POST", "/v1/workflows/tasks/activity/fail", { task_token: token, failure: { message: "worker w shut down before the activity finished", type: "WorkerShutdown", non_retryable: false } });
const activityEvents = async (id: string) => ((await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as Event[]).filter((e) => e.type.startsWith("activity_"));

/** Activity 1 (schedule-to-close 10 s, unlimited retries) scheduled at t0 and leased at t0 + `leasedAfterMs`, not acknowledged yet. */
async function leased(leasedAfterMs: number) {
  const t0 = Date.now();
  clock.now = () => t0;
  const { id, queue } = await activityScheduled("s2c", "a", { schedule_to_close_timeout: 10, start_to_close_timeout: 10, retry: { initial_interval: 1 } });
  clock.now = () => t0 + leasedAfterMs;
  const at = await poll("activity", queue);
  expect(at.body).toMatchObject({ seq: 1, attempt: 1 });
  return { id, queue, t0, token: at.body.task_token as string, stub: env.EXECUTIONS.getByName(`default/${id}`) };
}

describe("schedule-to-close wins over handing the same attempt out again", () => {
  it("a lease never acknowledged, found after the schedule-to-close deadline, times out instead of going to another worker", async () => {
    // Leased at 6 s (say the only worker was busy); the answer went to a worker that died.
    const { id, queue, t0, token, stub } = await leased(6_000);
    // The alarm runs at 11 s: past the ack deadline (6 + 5 s) and past schedule-to-close (10 s).
    clock.now = () => t0 + 11_000;
    await runDurableObjectAlarm(stub);
    expect((await poll("activity", queue, 0)).status).toBe(204);
    expect(await activityEvents(id)).toEqual([expect.objectContaining({ type: "activity_scheduled" }), expect.objectContaining({ type: "activity_started", attempt: 1, identity: "test-worker" }), expect.objectContaining({ type: "activity_timed_out", timeout_type: "schedule_to_close", attempt: 1 })]);
    // The lost lease's late result is refused: the activity is over.
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: token, result: "after the deadline" })).status).toBe(409);
    const wt = await poll("workflow", queue);
    expect(wt.body.history.find((e: Event) => e.type === "activity_timed_out")).toMatchObject({ timeout_type: "schedule_to_close" });
  });

  it("a lease never acknowledged, found before the schedule-to-close deadline, still goes out again as the same attempt", async () => {
    const { id, queue, t0, stub } = await leased(0);
    clock.now = () => t0 + 5_000;
    await runDurableObjectAlarm(stub);
    expect((await poll("activity", queue)).body).toMatchObject({ seq: 1, attempt: 1 });
    expect((await activityEvents(id)).map((e) => e.type)).toEqual(["activity_scheduled"]);
  });

  it("a hand-back after the schedule-to-close deadline times the activity out; sent again it is a duplicate", async () => {
    const { id, queue, t0, token } = await leased(6_000);
    await api("POST", "/v1/workflows/tasks/ack", { task_token: token });
    clock.now = () => t0 + 10_500;
    expect((await handBack(token)).body).toEqual({ status: "accepted" });
    expect((await poll("activity", queue, 0)).status).toBe(204);
    expect(await activityEvents(id)).toEqual([expect.objectContaining({ type: "activity_scheduled" }), expect.objectContaining({ type: "activity_started", attempt: 1, identity: "test-worker" }), expect.objectContaining({ type: "activity_timed_out", timeout_type: "schedule_to_close", attempt: 1 })]);
    expect((await handBack(token)).body).toEqual({ status: "duplicate" });
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: token, result: "late" })).status).toBe(409);
    const wt = await poll("workflow", queue);
    expect(wt.body.history.find((e: Event) => e.type === "activity_timed_out")).toMatchObject({ timeout_type: "schedule_to_close" });
  });

  it("a hand-back just before the schedule-to-close deadline still gives the same attempt to the next poller", async () => {
    const { id, queue, t0, token } = await leased(6_000);
    await api("POST", "/v1/workflows/tasks/ack", { task_token: token });
    clock.now = () => t0 + 9_999;
    expect((await handBack(token)).body).toEqual({ status: "accepted" });
    expect((await poll("activity", queue)).body).toMatchObject({ seq: 1, attempt: 1 });
    expect((await activityEvents(id)).map((e) => e.type)).toEqual(["activity_scheduled"]);
  });
});

// activity_started is written when an attempt a worker was handed ends, timed out too: an activity
// that times out with no worker holding it has none, one that times out in a worker's hands has it.
describe("activity_started beside activity_timed_out", () => {
  it("schedule-to-close before any worker was handed the activity: scheduled, then timed out", async () => {
    const t0 = Date.now();
    clock.now = () => t0;
    const { id, queue } = await activityScheduled("s2c-queued", "a", { schedule_to_close_timeout: 10, start_to_close_timeout: 10 });
    clock.now = () => t0 + 10_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    expect((await activityEvents(id)).map((e) => e.type)).toEqual(["activity_scheduled", "activity_timed_out"]);
    expect((await poll("activity", queue, 0)).status).toBe(204);
  });

  it("start-to-close of the last attempt, held by a worker: started (its identity), then timed out", async () => {
    const t0 = Date.now();
    clock.now = () => t0;
    const { id, queue } = await activityScheduled("stc-held", "a", { start_to_close_timeout: 10, retry: { maximum_attempts: 1 } });
    const at = await poll("activity", queue);
    await api("POST", "/v1/workflows/tasks/ack", { task_token: at.body.task_token });
    clock.now = () => t0 + 10_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    expect(await activityEvents(id)).toEqual([
      expect.objectContaining({ type: "activity_scheduled" }),
      expect.objectContaining({ type: "activity_started", attempt: 1, identity: "test-worker" }),
      expect.objectContaining({ type: "activity_timed_out", timeout_type: "start_to_close", attempt: 1 }),
    ]);
  });
});
