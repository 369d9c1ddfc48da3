import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { ActivityTask, Command, WorkflowTask } from "@sundial/sdk/protocol";
import { SundialApiError } from "@sundial/sdk/client";
import { runWorker, silentWorkerLogger, type WorkerHandle, type WorkerOptions } from "@sundial/sdk/worker";
import { defineActivity, defineWorkflow } from "@sundial/sdk/workflow";
import { FakePlatform, problem, until } from "./helpers/fake-platform.ts";
import { HistoryBuilder } from "./helpers/history.ts";

const greet = defineActivity({ name: "greet", run: async (name: string) => `Hello, ${name}!` });
let releaseSlow: () => void = () => {};
let slowStarted = 0;
const slow = defineActivity({
  name: "slow",
  run: (ms: number, ctx) =>
    new Promise<string>((resolve, reject) => {
      slowStarted++;
      const timer = setTimeout(() => resolve(`slept ${ms}`), ms);
      releaseSlow = () => resolve("released");
      ctx.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      });
    }),
});
const hello = defineWorkflow({
  name: "hello",
  input: z.object({ name: z.string() }),
  schedules: [{ cronExpressions: ["0 9 * * *"], timezone: "Europe/Paris", input: { name: "cron" }, policy: { catchupWindow: "1h", overlap: "BUFFER_ONE" } }],
  run: async (ctx, { name }) => ctx.executeActivity(greet, name),
});

let fake: FakePlatform;
let worker: WorkerHandle | undefined;
afterEach(async () => {
  await worker?.shutdown().catch(() => {});
  worker = undefined;
  await fake?.stop();
});

function start(overrides: Partial<WorkerOptions> = {}): WorkerHandle {
  worker = runWorker({
    url: fake.url,
    apiKey: "dev.test-key",
    taskQueue: "default",
    identity: "test-worker",
    workflows: [hello],
    activities: [greet, slow],
    handleSignals: false,
    logger: silentWorkerLogger,
    backoff: { initialMs: 5, maxMs: 20 },
    shutdownGrace: 2,
    ...overrides,
  });
  return worker;
}

function activityTask(token: string, activityType: string, input: unknown): ActivityTask {
  return { kind: "activity", task_token: token, execution_id: "ex-1", run_id: "run-1", workflow: "hello", activity_type: activityType, seq: 1, input, attempt: 1, heartbeat_timeout: null, start_to_close_timeout: 30 };
}

function workflowTask(token: string): WorkflowTask {
  const history = new HistoryBuilder({ workflow: "hello", input: { name: "Ada" } }).task().build();
  return { kind: "workflow", task_token: token, execution_id: "ex-1", run_id: "run-1", workflow: "hello", attempt: 1, history, continue_as_new_suggested: false };
}

describe("worker HTTP loop: retries", () => {
  it("retries registration through 503s and sends workflows, schemas and schedules in wire shape", async () => {
    fake = await new FakePlatform().start();
    let attempts = 0;
    fake.on("/v1/workflows/workers/register", () => (++attempts <= 2 ? { status: 503, problem: true, body: problem(503, "unavailable", "warming up") } : { status: 200, body: {} }));
    await start().ready;
    expect(attempts).toBe(3);
    const body = fake.calls("/v1/workflows/workers/register")[2]!;
    expect(body).toMatchObject({
      task_queue: "default",
      identity: "test-worker",
      activities: ["greet", "slow"],
      workflows: [
        {
          name: "hello",
          execution_timeout: 3600,
          input_schema: { type: "object", properties: { name: { type: "string" } } },
          schedules: [{ cron_expressions: ["0 9 * * *"], timezone: "Europe/Paris", input: { name: "cron" }, policy: { catchup_window_seconds: 3600, overlap: "BUFFER_ONE" } }],
        },
      ],
    });
  });

  it("polls for the workflows and activities it runs, by name, so tasks of other code stay for other workers", async () => {
    fake = await new FakePlatform().start();
    await start().ready;
    await until(() => fake.calls("/v1/workflows/tasks/poll").length >= 4, 2_000);
    const polls = fake.calls("/v1/workflows/tasks/poll");
    expect(polls.filter((p) => p.kind === "workflow").every((p) => JSON.stringify(p.types) === JSON.stringify(["hello"]))).toBe(true);
    expect(polls.filter((p) => p.kind === "activity").every((p) => JSON.stringify(p.types) === JSON.stringify(["greet", "slow"]))).toBe(true);
    expect(polls.some((p) => p.kind === "activity") && polls.some((p) => p.kind === "workflow")).toBe(true);
  });

  it("against a platform that predates routing by type (it refuses `types`), polls untyped instead of failing every poll", async () => {
    fake = await new FakePlatform().start();
    let refused = 0;
    fake.on("/v1/workflows/tasks/poll", (body) => {
      if ("types" in body) {
        refused++;
        return { status: 422, problem: true, body: { ...problem(422, "validation_failed", 'body: Unrecognized key: "types"'), field: "body" } };
      }
      return { status: 204, body: undefined };
    });
    await start().ready;
    await until(() => fake.calls("/v1/workflows/tasks/poll").filter((p) => !("types" in p)).length >= 4, 3_000, "untyped polls");
    // One refusal per poll loop at most: the worker remembers.
    expect(refused).toBeLessThanOrEqual(4);
  });

  it("keeps retrying while the platform refuses connections, and registers once it is up", async () => {
    const port = await freePort();
    fake = new FakePlatform();
    fake.url = `http://127.0.0.1:${port}`;
    const w = start();
    let registered = false;
    void w.ready.then(() => (registered = true));
    await new Promise((r) => setTimeout(r, 80));
    expect(registered).toBe(false);
    await fake.start(port);
    await w.ready;
    expect(fake.calls("/v1/workflows/workers/register")).toHaveLength(1);
  });

  it("retries a completion after a 503, and drops a stale one (409 stale_task) and keeps polling", async () => {
    fake = await new FakePlatform().start();
    const completions: string[] = [];
    let failedOnce = false;
    fake.on("/v1/workflows/tasks/workflow/complete", (body) => {
      const token = body.task_token as string;
      if (token === "t-1" && !failedOnce) {
        failedOnce = true;
        return { status: 503, problem: true, body: problem(503, "unavailable", "try again") };
      }
      completions.push(token);
      if (token === "t-2") return { status: 409, problem: true, body: problem(409, "stale_task", "task t-2 timed out and was re-leased") };
      return { status: 200, body: { status: "accepted" } };
    });
    await start().ready;
    fake.push(workflowTask("t-1"));
    await until(() => completions.includes("t-1"), 3000, "t-1 completion");
    fake.push(workflowTask("t-2"));
    fake.push(workflowTask("t-3"));
    await until(() => completions.includes("t-3"), 3000, "t-3 completion");
    // t-2 and t-3 may run side by side (two pollers, ten workflow task slots).
    expect([...completions].sort()).toEqual(["t-1", "t-2", "t-3"]);
    // The worker runs greet and has free activity slots: it offers one for eager dispatch.
    expect(fake.calls("/v1/workflows/tasks/workflow/complete")[0]).toEqual({
      task_token: "t-1",
      commands: [{ type: "schedule_activity", seq: 1, activity_type: "greet", input: "Ada", options: {} }],
      eager_activity_slots: 1,
      identity: "test-worker",
    });
  });

  it("waits out a failed poll's Retry-After before polling again, and shutdown still ends that wait at once", async () => {
    fake = await new FakePlatform().start();
    const at: number[] = [];
    const unavailable = (code: string, seconds: string) => ({ status: 503, problem: true, headers: { "retry-after": seconds }, body: problem(503, code, "try later") });
    fake.on("/v1/workflows/tasks/poll", async (body) => {
      if (body.kind === "workflow") {
        at.push(Date.now());
        if (at.length === 1) return unavailable("object_unavailable", "1");
        if (at.length === 2) return unavailable("object_overloaded", "5");
      }
      await new Promise((r) => setTimeout(r, fake.holdMs));
      return { status: 204 };
    });
    const w = start({ workflowPollers: 1, activityPollers: 1 });
    await until(() => at.length >= 2, 3_000, "a second workflow poll");
    // The worker's own backoff after one failure is at most 5 ms here: the platform asked for 1 s.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(990);
    // Now it asked for 5 s: a shutdown does not sit that out, and nothing polls meanwhile.
    const stopping = Date.now();
    await w.shutdown();
    expect(Date.now() - stopping).toBeLessThan(1_000);
    expect(at).toHaveLength(2);
  });

  it("waits out a failed registration's Retry-After before registering again (it holds no lease)", async () => {
    fake = await new FakePlatform().start();
    const at: number[] = [];
    fake.on("/v1/workflows/workers/register", (body) => {
      at.push(Date.now());
      if (at.length === 1) return { status: 503, problem: true, headers: { "retry-after": "1" }, body: problem(503, "index_unavailable", "try later") };
      return { status: 200, body: { namespace: "default", task_queue: String(body.task_queue ?? "default"), workflows: [{ name: "hello", schedules: [], applied: true }], activities: [], conflicts: [] } };
    });
    const w = start();
    await w.ready;
    expect(at).toHaveLength(2);
    // The worker's own backoff after one failure is at most 5 ms here: the platform asked for 1 s.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(990);
  });

  it("a refused registration (422) rejects ready and done with the platform's problem", async () => {
    fake = await new FakePlatform().start();
    fake.on("/v1/workflows/workers/register", () => ({ status: 422, problem: true, body: { ...problem(422, "validation_failed", "workflows.0.schedules.0.timezone: unknown time zone"), field: "workflows.0.schedules.0.timezone" } }));
    const w = start();
    await expect(w.ready).rejects.toMatchObject({ status: 422, code: "validation_failed", field: "workflows.0.schedules.0.timezone" });
    await expect(w.done).rejects.toBeInstanceOf(SundialApiError);
    expect(fake.calls("/v1/workflows/tasks/poll")).toEqual([]);
  });

  it("a schedule shorthand whose key (global) an API schedule holds: the refusal says what to do, since the shorthand cannot declare another key", async () => {
    fake = await new FakePlatform().start();
    const detail = "workflows.0.schedules.0.key: workflow daily-report's key global is already used by schedule daily-report:global, created through the API (a registration does not take it over): delete it or declare another key";
    fake.on("/v1/workflows/workers/register", () => ({ status: 409, problem: true, body: { ...problem(409, "schedule_key_taken", detail), field: "workflows.0.schedules.0.key" } }));
    const daily = defineWorkflow({ name: "daily-report", schedule: "0 9 * * *", run: async () => null });
    const w = start({ workflows: [daily], activities: [] });
    await expect(w.ready).rejects.toMatchObject({ status: 409, code: "schedule_key_taken", field: "workflows.0.schedules.0.key" });
    await expect(w.ready).rejects.toThrow(/declares it with the schedule shorthand \(schedule: "0 9 \* \* \*"\), its "global" schedule: delete the schedule created through the API for daily-report with key "global", or declare schedules: \[/);
    await w.done.catch(() => {});
    // The same refusal of a schedule declared with schedules: [...] keeps the platform's advice alone.
    const listed = defineWorkflow({ name: "daily-report", schedules: [{ cronExpressions: ["0 9 * * *"], key: "global" }], run: async () => null });
    const w2 = start({ workflows: [listed], activities: [] });
    const err = (await w2.ready.catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain("shorthand");
    await w2.done.catch(() => {});
  });

  it("stops with the error when the key is refused (401), rejecting done", async () => {
    fake = await new FakePlatform().start();
    fake.on("/v1/workflows/tasks/poll", () => ({ status: 401, problem: true, body: problem(401, "unauthorized", "missing or invalid API key") }));
    const w = start();
    await expect(w.done).rejects.toBeInstanceOf(SundialApiError);
    await expect(w.done).rejects.toMatchObject({ status: 401, code: "unauthorized" });
  });
});

describe("worker HTTP loop: graceful shutdown", () => {
  it("stops polling at once (aborting held polls) and lets an in-flight activity finish and report", async () => {
    fake = await new FakePlatform().start();
    fake.holdMs = 5_000; // an un-aborted poll would hold shutdown for 5 s
    const w = start();
    await w.ready;
    const startedBefore = slowStarted;
    fake.push(activityTask("a-1", "slow", 150));
    await until(() => slowStarted > startedBefore, 3000, "activity started");
    const began = Date.now();
    await w.shutdown();
    await w.done;
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(fake.calls("/v1/workflows/tasks/activity/complete")).toEqual([{ task_token: "a-1", result: "slept 150" }]);
    expect(fake.calls("/v1/workflows/tasks/activity/fail")).toEqual([]);
    const polls = fake.calls("/v1/workflows/tasks/poll").length;
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.calls("/v1/workflows/tasks/poll").length).toBe(polls);
  });

  it("after the grace period fails the still-running activity with a retryable WorkerShutdown", async () => {
    fake = await new FakePlatform().start();
    const w = start({ shutdownGrace: 0.1 });
    await w.ready;
    const startedBefore = slowStarted;
    fake.push(activityTask("a-2", "slow", 60_000));
    await until(() => slowStarted > startedBefore, 3000, "activity started");
    const began = Date.now();
    await w.shutdown();
    expect(Date.now() - began).toBeGreaterThanOrEqual(90);
    expect(fake.calls("/v1/workflows/tasks/activity/fail")).toMatchObject([
      { task_token: "a-2", failure: { type: "WorkerShutdown", non_retryable: false, message: "worker test-worker shut down before the activity finished" } },
    ]);
    releaseSlow();
    await new Promise((r) => setTimeout(r, 20));
    // The attempt's own outcome (it was aborted) is not reported on top of the WorkerShutdown failure.
    expect(fake.calls("/v1/workflows/tasks/activity/fail")).toHaveLength(1);
    expect(fake.calls("/v1/workflows/tasks/activity/complete")).toEqual([]);
  });
});

describe("worker HTTP loop: a handed-back activity that ignores its abort signal", () => {
  it("stops heartbeating once handed back: a stopped worker keeps no timer of the attempt running", async () => {
    fake = await new FakePlatform().start();
    let started = false;
    const deaf = defineActivity({ name: "deaf", run: () => new Promise<string>(() => void (started = true)) });
    const warnings: string[] = [];
    const w = start({ activities: [deaf], shutdownGrace: 0.1, logger: { ...silentWorkerLogger, warn: (m) => void warnings.push(m) } });
    await w.ready;
    fake.push({ ...activityTask("a-deaf", "deaf", null), heartbeat_timeout: 0.3 });
    await until(() => started, 3000, "activity started");
    await w.shutdown();
    expect(fake.calls("/v1/workflows/tasks/activity/fail")).toMatchObject([{ task_token: "a-deaf", failure: { type: "WorkerShutdown" } }]);
    const beats = fake.calls("/v1/workflows/tasks/activity/heartbeat").length;
    await new Promise((r) => setTimeout(r, 350));
    expect(fake.calls("/v1/workflows/tasks/activity/heartbeat")).toHaveLength(beats);
    expect(warnings.filter((m) => m.startsWith("heartbeat failed"))).toEqual([]);
  });
});

describe("worker HTTP loop: shutdown hands back a workflow task still running", () => {
  it("after the grace period fails it with a retryable WorkerShutdown and stops renewing its lease", async () => {
    fake = await new FakePlatform().start();
    let releaseStep: ((v: string) => void) | undefined;
    const stuck = defineWorkflow({ name: "stuck", run: async (ctx) => ctx.step.run("wait", () => new Promise<string>((r) => (releaseStep = r))) });
    const w = start({ workflows: [hello, stuck], shutdownGrace: 0.1 });
    await w.ready;
    const history = new HistoryBuilder({ workflow: "stuck", input: null }).task().build();
    fake.push({ kind: "workflow", task_token: "wt-s", execution_id: "ex-s", run_id: "run-1", workflow: "stuck", attempt: 1, history, continue_as_new_suggested: false });
    const began = Date.now();
    await until(() => releaseStep !== undefined, 3000, "step started");
    await w.shutdown();
    expect(fake.calls("/v1/workflows/tasks/workflow/fail")).toMatchObject([
      { task_token: "wt-s", failure: { type: "WorkerShutdown", non_retryable: false, message: "worker test-worker shut down before the workflow task finished" } },
    ]);
    // A stopped worker no longer holds the task: no acknowledgement renews its lease (the first would go out 1 s in).
    await new Promise((r) => setTimeout(r, Math.max(0, 1_300 - (Date.now() - began))));
    expect(fake.calls("/v1/workflows/tasks/ack")).toEqual([]);
    releaseStep!("done");
    await new Promise((r) => setTimeout(r, 20));
    expect(fake.calls("/v1/workflows/tasks/workflow/complete")).toEqual([]);
  });
});

describe("worker HTTP loop: shutdown never re-runs a finished activity", () => {
  it("an activity that finished and is still reporting when the grace period ends is not handed back: its result gets through", async () => {
    fake = await new FakePlatform().start();
    // The platform answers the result slowly (past the 0.1 s grace), as under load.
    fake.on("/v1/workflows/tasks/activity/complete", async () => {
      await new Promise((r) => setTimeout(r, 600));
      return { status: 200, body: { status: "accepted" } };
    });
    const w = start({ shutdownGrace: 0.1 });
    await w.ready;
    fake.push(activityTask("a-3", "greet", "Ada"));
    await until(() => fake.calls("/v1/workflows/tasks/activity/complete").length > 0, 3000, "result sent");
    await w.shutdown();
    expect(fake.calls("/v1/workflows/tasks/activity/fail")).toEqual([]);
    expect(fake.calls("/v1/workflows/tasks/activity/complete")).toMatchObject([{ task_token: "a-3", result: "Hello, Ada!" }]);
  });
});

describe("worker HTTP loop: eager dispatch", () => {
  it("runs a whole workflow from one poll: each completion hands the next task back", async () => {
    fake = await new FakePlatform().start();
    const h = new HistoryBuilder({ workflow: "hello", input: { name: "Ada" } }).task();
    fake.on("/v1/workflows/tasks/workflow/complete", (body) => {
      if (body.task_token !== "wt-1") return { status: 200, body: { status: "accepted" } };
      h.complete(body.commands as Command[]);
      return { status: 200, body: { status: "accepted", activity_tasks: [activityTask("at-1", "greet", "Ada")] } };
    });
    fake.on("/v1/workflows/tasks/activity/complete", (body) => {
      h.activityStarted(1).activityCompleted(1, body.result).task();
      return { status: 200, body: { status: "accepted", workflow_task: { ...workflowTask("wt-2"), history: h.build() } } };
    });
    await start().ready;
    fake.push(workflowTask("wt-1"));
    await until(() => fake.calls("/v1/workflows/tasks/workflow/complete").length === 2, 3000, "second workflow task completed");
    const completions = fake.calls("/v1/workflows/tasks/workflow/complete");
    expect(completions[0]).toMatchObject({ task_token: "wt-1", eager_activity_slots: 1, identity: "test-worker" });
    expect(fake.calls("/v1/workflows/tasks/activity/complete")).toEqual([{ task_token: "at-1", result: "Hello, Ada!", eager_workflow_task: true, identity: "test-worker" }]);
    // The last task schedules nothing: no slots offered.
    expect(completions[1]).toEqual({ task_token: "wt-2", commands: [{ type: "complete_workflow", result: "Hello, Ada!" }] });
  });

  it("never offers slots with eagerDispatch: false", async () => {
    fake = await new FakePlatform().start();
    await start({ eagerDispatch: false }).ready;
    fake.push(workflowTask("wt-1"));
    fake.push(activityTask("at-1", "greet", "Ada"));
    await until(() => fake.calls("/v1/workflows/tasks/workflow/complete").length === 1 && fake.calls("/v1/workflows/tasks/activity/complete").length === 1, 3000, "completions");
    expect(Object.keys(fake.calls("/v1/workflows/tasks/workflow/complete")[0]!)).toEqual(["task_token", "commands"]);
    expect(Object.keys(fake.calls("/v1/workflows/tasks/activity/complete")[0]!)).toEqual(["task_token", "result"]);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
