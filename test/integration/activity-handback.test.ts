import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { api, uid } from "./helpers.ts";

// A worker shutting down hands back an activity attempt it could not finish (failure type
// WorkerShutdown, HANDED_BACK_FAILURE_TYPE): the same attempt goes to another worker at once, no retry spent.

const poll = (kind: "workflow" | "activity", queue: string) => api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind, identity: "w", wait_seconds: 1 });
const handBack = (token: string) => api("POST", "/v1/workflows/tasks/activity/fail", { task_token: token, failure: { message: "worker w shut down before the activity finished", type: "WorkerShutdown", non_retryable: false } });

async function leasedActivity(retry: Record<string, unknown> = {}, timeouts: Record<string, unknown> = {}) {
  const id = uid("handback");
  const queue = uid("q");
  await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
  const wt = await poll("workflow", queue);
  await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null, options: { retry: { maximum_attempts: 1, ...retry }, ...timeouts } }] });
  const at = await poll("activity", queue);
  expect(at.body).toMatchObject({ seq: 1, attempt: 1 });
  return { id, queue, token: at.body.task_token as string };
}

describe("activity hand-back at worker shutdown", () => {
  it("gives the same attempt to the next poller at once, spending no retry (even with maximum_attempts 1)", async () => {
    const { id, queue, token } = await leasedActivity();
    expect((await handBack(token)).body).toEqual({ status: "accepted" });
    const again = await poll("activity", queue);
    expect(again.body).toMatchObject({ seq: 1, attempt: 1 });
    // The handed-back lease is stale: its token can no longer complete the attempt.
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: token, result: "late" })).status).toBe(409);
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: again.body.task_token, result: "ok" })).body).toEqual({ status: "accepted" });
    const events = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string; attempt?: number }[];
    expect(events.filter((e) => e.type.startsWith("activity_")).map((e) => `${e.type}:${e.attempt ?? ""}`)).toEqual(["activity_scheduled:", "activity_started:1", "activity_completed:1"]);
  });

  it("a hand-back after the attempt's start-to-close deadline (its alarm not run yet) ends the attempt as timed out: a retry is spent", async () => {
    const t0 = Date.now();
    clock.now = () => t0;
    const { id, queue, token } = await leasedActivity({ maximum_attempts: 3, initial_interval: 1 }, { start_to_close_timeout: 10 });
    clock.now = () => t0 + 10_000;
    expect((await handBack(token)).body).toEqual({ status: "accepted" });
    expect((await handBack(token)).body).toEqual({ status: "duplicate" });
    const d = await api("GET", `/v1/workflows/executions/${id}`);
    expect(d.body.pending_activities[0]).toMatchObject({ attempt: 2, last_failure: { type: "TimeoutError" } });
    clock.now = () => t0 + 11_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    expect((await poll("activity", queue)).body).toMatchObject({ seq: 1, attempt: 2 });
  });

  it("an attempt handed back over and over counts as failed after 3 times", async () => {
    const { id, queue, token } = await leasedActivity();
    let t = token;
    for (let i = 0; i < 3; i++) {
      await handBack(t);
      const again = await poll("activity", queue);
      expect(again.body).toMatchObject({ seq: 1, attempt: 1 });
      t = again.body.task_token;
    }
    await handBack(t);
    const events = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string; failure?: { type: string } }[];
    expect(events.find((e) => e.type === "activity_failed")?.failure).toMatchObject({ type: "WorkerShutdown" });
  });

  it("counts hand-backs per attempt: a retry is not charged with the hand-backs of the attempt before it", async () => {
    const { id, queue, token } = await leasedActivity({ maximum_attempts: 3, initial_interval: 1 });
    let t = token;
    for (let i = 0; i < 2; i++) {
      await handBack(t);
      t = (await poll("activity", queue)).body.task_token;
    }
    // Attempt 1, handed back twice, then fails for real: attempt 2 comes after its backoff.
    await api("POST", "/v1/workflows/tasks/activity/fail", { task_token: t, failure: { message: "boom", type: "Boom" } });
    const t0 = Date.now();
    clock.now = () => t0 + 2_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    let at = await poll("activity", queue);
    expect(at.body).toMatchObject({ seq: 1, attempt: 2 });
    // Attempt 2 may be handed back 3 times, as attempt 1 could, each time going out again as attempt 2.
    for (let i = 0; i < 3; i++) {
      expect((await handBack(at.body.task_token)).body).toEqual({ status: "accepted" });
      at = await poll("activity", queue);
      expect(at.body).toMatchObject({ seq: 1, attempt: 2 });
    }
  });
  it("a hand-back sent again (an HTTP retry) is a duplicate, also after the attempt went to another worker; its token stays stale", async () => {
    const { id, queue, token } = await leasedActivity();
    expect((await handBack(token)).body).toEqual({ status: "accepted" });
    expect((await handBack(token)).body).toEqual({ status: "duplicate" });
    const again = await poll("activity", queue);
    expect(again.body).toMatchObject({ seq: 1, attempt: 1 });
    const retried = await handBack(token);
    expect([retried.status, retried.body]).toEqual([200, { status: "duplicate" }]);
    // Only the hand-back is answered so: the handed-back lease never completed the attempt.
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: token, result: "late" })).status).toBe(409);
    expect((await api("POST", "/v1/workflows/tasks/activity/fail", { task_token: token, failure: { message: "x", type: "E" } })).status).toBe(409);
    // The duplicate changed nothing: the next lease still holds the attempt, and no hand-back was counted twice.
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: again.body.task_token, result: "ok" })).body).toEqual({ status: "accepted" });
    const events = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string }[];
    expect(events.filter((e) => e.type.startsWith("activity_")).map((e) => e.type)).toEqual(["activity_scheduled", "activity_started", "activity_completed"]);
  });

  it("a hand-back by a lease that was given to another worker meanwhile (never acknowledged) is refused", async () => {
    const { id, queue, token } = await leasedActivity();
    const t0 = Date.now();
    clock.now = () => t0 + 5_000;
    await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${id}`));
    const again = await poll("activity", queue);
    expect(again.body).toMatchObject({ seq: 1, attempt: 1 });
    const late = await handBack(token);
    expect([late.status, late.body.code]).toEqual([409, "stale_task"]);
    // The current lease is untouched by it.
    expect((await api("POST", "/v1/workflows/tasks/ack", { task_token: again.body.task_token })).body).toEqual({ status: "accepted" });
  });
});
