import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/clock.ts";
import { activityScheduled, api, poll, uid } from "./helpers.ts";

// A deadline holds whenever the alarm that enforces it runs (late under load, after an eviction,
// in a failure's backoff): a worker's call landing between the deadline and the alarm is answered
// as one arriving after the alarm, and the history is what the alarm would have written.

type Event = { type: string; timeout_type?: string; attempt?: number; identity?: string };

const events = async (id: string) => (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as Event[];
const activityEvents = async (id: string) => (await events(id)).filter((e) => e.type.startsWith("activity_"));
const stub = (id: string) => env.EXECUTIONS.getByName(`default/${id}`);

/** A run of workflow "w" (execution timeout 60 s) started at t0, its first workflow task leased and acknowledged. */
async function leasedRun(t0: number) {
  const id = uid("dl");
  const queue = uid("q");
  clock.now = () => t0;
  await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue, execution_timeout: 60 });
  const wt = await poll("workflow", queue);
  await api("POST", "/v1/workflows/tasks/ack", { task_token: wt.body.task_token });
  return { id, queue, token: wt.body.task_token as string };
}

describe("the execution timeout, reached before its alarm ran", () => {
  it("a completion that would close the run is a 409 stale_task: the run ends timed out", async () => {
    const t0 = Date.now();
    const { id, token } = await leasedRun(t0);
    clock.now = () => t0 + 60_000;
    const late = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands: [{ type: "complete_workflow", result: "too late" }] });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("stale_task");
    const d = await api("GET", `/v1/workflows/executions/${id}`);
    expect(d.body).toMatchObject({ status: "timed_out", failure: { type: "WORKFLOW_EXECUTION_TIMED_OUT" } });
    expect((await events(id)).map((e) => e.type).slice(-1)).toEqual(["execution_timed_out"]);
    // The alarm, when it runs, finds nothing more to do; the completion sent again is refused the same way.
    await runDurableObjectAlarm(stub(id));
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands: [{ type: "complete_workflow", result: "too late" }] })).status).toBe(409);
    expect((await events(id)).filter((e) => e.type.startsWith("execution_")).map((e) => e.type)).toEqual(["execution_started", "execution_timed_out"]);
  });

  it("a completion 1 ms before the deadline still completes the run", async () => {
    const t0 = Date.now();
    const { id, token } = await leasedRun(t0);
    clock.now = () => t0 + 59_999;
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands: [{ type: "complete_workflow", result: "in time" }] })).status).toBe(200);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status: "completed", result: "in time" });
  });

  it("an activity heartbeat and result after the deadline are 409s too", async () => {
    const t0 = Date.now();
    clock.now = () => t0;
    const { id, queue } = await activityScheduled("dl-act", "a", { start_to_close_timeout: 3_600 });
    const at = await poll("activity", queue);
    const token = at.body.task_token as string;
    // The default execution timeout (1 h) passes; the activity's own timeouts do not.
    clock.now = () => t0 + 3_600_000;
    expect((await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: token })).status).toBe(409);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.status).toBe("timed_out");
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: token, result: "late" })).status).toBe(409);
    expect((await activityEvents(id)).map((e) => e.type)).toEqual(["activity_scheduled"]);
  });
});

describe("the execution timeout, reached before its alarm ran, meets a poll", () => {
  it("a workflow task is not handed out: the run ends timed out and the poll finds nothing", async () => {
    const t0 = Date.now();
    clock.now = () => t0;
    const id = uid("dl-poll");
    const queue = uid("q");
    await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue, execution_timeout: 60 });
    clock.now = () => t0 + 60_000;
    expect((await poll("workflow", queue, 0)).status).toBe(204);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status: "timed_out" });
    expect((await events(id)).map((e) => e.type)).toEqual(["execution_started", "workflow_task_scheduled", "execution_timed_out"]);
  });

  it("an activity attempt is not handed out either", async () => {
    const t0 = Date.now();
    clock.now = () => t0;
    const { id, queue } = await activityScheduled("dl-poll-act", "a", { start_to_close_timeout: 3_600 });
    // The default execution timeout (1 h) passes before any worker polls.
    clock.now = () => t0 + 3_600_000;
    expect((await poll("activity", queue, 0)).status).toBe(204);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.status).toBe("timed_out");
    expect((await activityEvents(id)).map((e) => e.type)).toEqual(["activity_scheduled"]);
  });
});

describe("the execution timeout, reached before its alarm ran, meets a client's change", () => {
  it("a signal, update, cancel or terminate is a 409 execution_closed: the run ended timed out, not terminated", async () => {
    const t0 = Date.now();
    const { id } = await leasedRun(t0);
    clock.now = () => t0 + 60_000;
    const signal = await api("POST", `/v1/workflows/executions/${id}/signals/go`, { input: 1 });
    expect([signal.status, signal.body.code]).toEqual([409, "execution_closed"]);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ status: "timed_out" });
    for (const [path, body] of [["updates/u", { update_id: "u1" }], ["cancel", { reason: "late" }], ["terminate", { reason: "late" }]] as const) {
      const r = await api("POST", `/v1/workflows/executions/${id}/${path}`, body);
      expect([path, r.status, r.body.code]).toEqual([path, 409, "execution_closed"]);
    }
    expect((await events(id)).map((e) => e.type).filter((t) => t.startsWith("execution_") || t.includes("signal"))).toEqual(["execution_started", "execution_timed_out"]);
  });

  it("a terminate just before the deadline still terminates", async () => {
    const t0 = Date.now();
    const { id } = await leasedRun(t0);
    clock.now = () => t0 + 59_999;
    expect((await api("POST", `/v1/workflows/executions/${id}/terminate`, { reason: "in time" })).body.status).toBe("terminated");
  });

  it("signal-with-start finds the run timed out and starts a new one", async () => {
    const t0 = Date.now();
    const { id, queue } = await leasedRun(t0);
    clock.now = () => t0 + 60_000;
    const r = await api("POST", "/v1/workflows/executions/signal-with-start", { workflow: "w", execution_id: id, task_queue: queue, signal_name: "go" });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ started: true, status: "running", run_number: 2 });
  });

  it.each([
    ["allow_duplicate", 201, { started: true, status: "running", run_number: 2 }],
    ["allow_duplicate_failed_only", 201, { started: true, status: "running", run_number: 2 }],
    ["use_existing", 200, { started: false, status: "timed_out", run_number: 1 }],
  ] as const)("a start with %s meets the run timed out, as after the alarm", async (policy, status, answer) => {
    const t0 = Date.now();
    const { id, queue } = await leasedRun(t0);
    clock.now = () => t0 + 60_000;
    const r = await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue, id_reuse_policy: policy });
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.body).toMatchObject(answer);
  });
});

describe("an activity timeout, reached before its alarm ran", () => {
  it("a result after start-to-close is a 409: the attempt timed out and is retried", async () => {
    const t0 = Date.now();
    clock.now = () => t0;
    const { id, queue } = await activityScheduled("s2c-late", "a", { start_to_close_timeout: 10, retry: { initial_interval: 1 } });
    const at = await poll("activity", queue);
    await api("POST", "/v1/workflows/tasks/ack", { task_token: at.body.task_token });
    clock.now = () => t0 + 10_000;
    const late = await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: "late" });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("stale_task");
    const d = await api("GET", `/v1/workflows/executions/${id}`);
    expect(d.body.pending_activities[0]).toMatchObject({ attempt: 2, last_failure: { type: "TimeoutError" } });
    expect((await activityEvents(id)).map((e) => e.type)).toEqual(["activity_scheduled"]);
    clock.now = () => t0 + 11_000;
    await runDurableObjectAlarm(stub(id));
    expect((await poll("activity", queue)).body).toMatchObject({ seq: 1, attempt: 2 });
  });

  it("a failure after start-to-close of the last attempt records the timeout, not the failure", async () => {
    const t0 = Date.now();
    clock.now = () => t0;
    const { id, queue } = await activityScheduled("stc-last", "a", { start_to_close_timeout: 10, retry: { maximum_attempts: 1 } });
    const at = await poll("activity", queue);
    clock.now = () => t0 + 10_000;
    expect((await api("POST", "/v1/workflows/tasks/activity/fail", { task_token: at.body.task_token, failure: { message: "boom" } })).status).toBe(409);
    expect((await activityEvents(id)).map((e) => [e.type, e.timeout_type])).toEqual([
      ["activity_scheduled", undefined],
      ["activity_started", undefined],
      ["activity_timed_out", "start_to_close"],
    ]);
    expect((await poll("workflow", queue)).body.history.find((e: Event) => e.type === "activity_timed_out")).toMatchObject({ timeout_type: "start_to_close" });
  });

  it("a result after schedule-to-close is a 409: the activity timed out", async () => {
    const t0 = Date.now();
    clock.now = () => t0;
    const { id, queue } = await activityScheduled("s2c-late", "a", { schedule_to_close_timeout: 10, start_to_close_timeout: 10 });
    clock.now = () => t0 + 2_000;
    const at = await poll("activity", queue);
    await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: at.body.task_token });
    clock.now = () => t0 + 10_000;
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: "late" })).status).toBe(409);
    expect((await activityEvents(id)).map((e) => [e.type, e.timeout_type])).toEqual([
      ["activity_scheduled", undefined],
      ["activity_started", undefined],
      ["activity_timed_out", "schedule_to_close"],
    ]);
  });

  it("a heartbeat after the heartbeat timeout does not revive the attempt", async () => {
    const t0 = Date.now();
    clock.now = () => t0;
    const { id, queue } = await activityScheduled("hb-late", "a", { start_to_close_timeout: 60, heartbeat_timeout: 5, retry: { maximum_attempts: 1 } });
    const at = await poll("activity", queue);
    clock.now = () => t0 + 1_000;
    expect((await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: at.body.task_token })).status).toBe(200);
    clock.now = () => t0 + 6_000;
    expect((await api("POST", "/v1/workflows/tasks/activity/heartbeat", { task_token: at.body.task_token })).status).toBe(409);
    expect((await activityEvents(id)).map((e) => [e.type, e.timeout_type])).toEqual([
      ["activity_scheduled", undefined],
      ["activity_started", undefined],
      ["activity_timed_out", "heartbeat"],
    ]);
  });

  it("a result just before start-to-close is recorded", async () => {
    const t0 = Date.now();
    clock.now = () => t0;
    const { id, queue } = await activityScheduled("stc-in-time", "a", { start_to_close_timeout: 10 });
    const at = await poll("activity", queue);
    clock.now = () => t0 + 9_999;
    expect((await api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: "in time" })).body).toEqual({ status: "accepted" });
    expect((await activityEvents(id)).map((e) => e.type)).toEqual(["activity_scheduled", "activity_started", "activity_completed"]);
  });
});
