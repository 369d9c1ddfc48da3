import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ActivityTask, Command, Failure, WorkflowTask } from "@sundial/sdk/protocol";
import { SundialApiError } from "@sundial/sdk/client";
import { LruCache, silentWorkerLogger } from "@sundial/sdk/worker";
import { activate, ApplicationFailure, CancelledError, canContinue, defineActivity, defineWorkflow, type AnyActivityDefinition, type WorkflowState } from "@sundial/sdk/workflow";
import { WorkerApi, type CompletionOutcome } from "../../../sdk/src/worker/api.ts";
import { HttpTransport } from "../../../sdk/src/client/http.ts";
import { startActivityTask } from "../../../sdk/src/worker/activity-runner.ts";
import { processWorkflowTask } from "../../../sdk/src/worker/workflow-runner.ts";
import { HistoryBuilder } from "./helpers/history.ts";

/** Records what the runners report instead of sending it; `refuse` makes completions answer that error. */
function stubApi(outcome: CompletionOutcome = "accepted", heartbeat = { cancel_requested: false }, refuse?: SundialApiError) {
  const calls: { call: string; token: string; payload: unknown }[] = [];
  const record = (call: string) => async (token: string, payload: unknown) => {
    calls.push({ call, token, payload });
    if (refuse && call.startsWith("complete")) throw refuse;
    return call.startsWith("complete") ? { outcome, activityTasks: [], workflowTask: undefined } : outcome;
  };
  const api = {
    completeWorkflowTask: record("completeWorkflowTask"),
    failWorkflowTask: async (token: string, payload: unknown, _signal?: AbortSignal, terminateRun = false) => {
      calls.push({ call: terminateRun ? "failWorkflowTask(terminate_run)" : "failWorkflowTask", token, payload });
      return outcome;
    },
    completeActivityTask: record("completeActivityTask"),
    failActivityTask: record("failActivityTask"),
    heartbeat: async (token: string, details: unknown) => {
      calls.push({ call: "heartbeat", token, payload: details });
      return heartbeat;
    },
  } as unknown as WorkerApi;
  return { api, calls };
}

const greetWf = defineWorkflow({
  name: "greet_twice",
  run: async (ctx, name: string) => {
    const a = await ctx.executeActivity<string>("greet", name);
    const b = await ctx.executeActivity<string>("greet", a);
    return b;
  },
});

function wfTask(token: string, history: ReturnType<HistoryBuilder["build"]>): WorkflowTask {
  return { kind: "workflow", task_token: token, execution_id: "ex-1", run_id: "run-1", workflow: "greet_twice", attempt: 1, history, continue_as_new_suggested: false };
}

describe("workflow task processing", () => {
  const deps = (api: WorkerApi, cache = new LruCache<string, WorkflowState>(10)) => ({
    workflows: new Map([[greetWf.name, greetWf]]),
    api,
    logger: silentWorkerLogger,
    cache,
    identity: "w-1",
    taskQueue: "default",
    hardStop: new AbortController().signal,
  });

  it("completes with the new commands and caches the run's state for its next task", async () => {
    const { api, calls } = stubApi();
    const cache = new LruCache<string, WorkflowState>(10);
    const h = new HistoryBuilder({ workflow: "greet_twice", input: "Ada" }).task();
    await processWorkflowTask(wfTask("t1", h.build()), deps(api, cache));
    const first = calls[0]!.payload as Command[];
    expect(first).toEqual([{ type: "schedule_activity", seq: 1, activity_type: "greet", input: "Ada", options: {} }]);
    expect(cache.size).toBe(1);
    h.complete(first).activityCompleted(1, "Hi Ada").task();
    await processWorkflowTask(wfTask("t2", h.build()), deps(api, cache));
    expect(calls[1]).toEqual({ call: "completeWorkflowTask", token: "t2", payload: [{ type: "schedule_activity", seq: 2, activity_type: "greet", input: "Hi Ada", options: {} }] });
  });

  it("warns once per worker when a workflow schedules, on the worker's queue, an activity the worker does not run", async () => {
    const { api } = stubApi();
    const warnings: string[] = [];
    const logger = { ...silentWorkerLogger, warn: (m: string) => void warnings.push(m) };
    const runs = (activities: string[]) => ({ ...deps(api), logger, activities: new Map(activities.map((a) => [a, null])) });
    const h = new HistoryBuilder({ workflow: "greet_twice", input: "Ada" }).task();
    const without = runs(["other"]);
    await processWorkflowTask(wfTask("t1", h.build()), without);
    await processWorkflowTask(wfTask("t2", h.build()), without);
    expect(warnings).toEqual([
      'workflow "greet_twice" scheduled activity "greet" on task queue default, which this worker does not run: it waits for a worker that registered it (list it in runWorker\'s activities, or in the workflow\'s own activities)',
    ]);
    // A worker that runs it, or one told nothing about its activities, says nothing.
    await processWorkflowTask(wfTask("t3", h.build()), runs(["greet"]));
    await processWorkflowTask(wfTask("t4", h.build()), { ...deps(api), logger });
    expect(warnings).toHaveLength(1);
  });

  describe("a task that carries only its history's newest events", () => {
    /** An api whose history reads answer from `full` (and record what they were asked for), or refuse with `refuse`. */
    function withHistory(full: ReturnType<HistoryBuilder["build"]>, refuse?: SundialApiError) {
      const stub = stubApi();
      const reads: [number, number][] = [];
      (stub.api as unknown as { historyBefore: WorkerApi["historyBefore"] }).historyBefore = async (_token, from, before) => {
        reads.push([from, before]);
        if (refuse) throw refuse;
        return full.filter((e) => e.id >= from && e.id < before);
      };
      (stub.api as unknown as { respondQuery: WorkerApi["respondQuery"] }).respondQuery = async (token, answer) => {
        stub.calls.push({ call: "respondQuery", token, payload: answer });
        return "accepted";
      };
      return { ...stub, reads };
    }
    const twoTasks = () => {
      const h = new HistoryBuilder({ workflow: "greet_twice", input: "Ada" }).task();
      const t1 = h.build();
      h.complete([{ type: "schedule_activity", seq: 1, activity_type: "greet", input: "Ada", options: {} }]).activityCompleted(1, "Hi Ada").task();
      return { t1, full: h.build() };
    };
    const secondCommands = [{ type: "schedule_activity", seq: 2, activity_type: "greet", input: "Hi Ada", options: {} }];

    it("continues the cached run without reading anything when the newest events reach back to what the cache consumed", async () => {
      const { t1, full } = twoTasks();
      const { api, calls, reads } = withHistory(full);
      const cache = new LruCache<string, WorkflowState>(10);
      await processWorkflowTask(wfTask("t1", t1), deps(api, cache));
      await processWorkflowTask(wfTask("t2", full.filter((e) => e.id >= t1.length)), deps(api, cache));
      expect(reads).toEqual([]);
      expect(calls[1]).toEqual({ call: "completeWorkflowTask", token: "t2", payload: secondCommands });
    });

    it("reads only the gap between the cache and the newest events", async () => {
      const { t1, full } = twoTasks();
      const { api, calls, reads } = withHistory(full);
      const cache = new LruCache<string, WorkflowState>(10);
      await processWorkflowTask(wfTask("t1", t1), deps(api, cache));
      await processWorkflowTask(wfTask("t2", full.slice(-2)), deps(api, cache));
      expect(reads).toEqual([[t1.length, full.length - 1]]);
      expect(calls[1]).toEqual({ call: "completeWorkflowTask", token: "t2", payload: secondCommands });
    });

    it("without a cache reads every earlier event and replays from event 1; so does a query", async () => {
      const { full } = twoTasks();
      const { api, calls, reads } = withHistory(full);
      await processWorkflowTask(wfTask("t2", full.slice(-3)), deps(api));
      expect(reads).toEqual([[1, full.length - 2]]);
      expect(calls[0]).toEqual({ call: "completeWorkflowTask", token: "t2", payload: secondCommands });
      await processWorkflowTask({ ...wfTask("q1", full.slice(-1)), query: { query_id: "1", name: "sundial.workflow_metadata", input: null } }, deps(api));
      expect(reads[1]).toEqual([1, full.length]);
      expect(calls[1]).toMatchObject({ call: "respondQuery", token: "q1", payload: { result: { definition: { type: "greet_twice" } } } });
    });

    it("activate continues a cache from newest events that reach back to it, and refuses them without one", async () => {
      const { t1, full } = twoTasks();
      const { state } = await activate(greetWf, t1, undefined, { logSink: () => {} });
      expect(canContinue(state, greetWf, full.filter((e) => e.id >= t1.length))).toBe(true);
      expect(canContinue(state, greetWf, full.filter((e) => e.id > t1.length))).toBe(false);
      await expect(activate(greetWf, full.slice(-2))).rejects.toThrow(/must start with execution_started, got .*needs the earlier ones/);
    });

    it("drops the task, completing nothing, when its run moved on while the history was read (409)", async () => {
      const { full } = twoTasks();
      const stale = new SundialApiError({ type: "t", title: "Conflict", status: 409, code: "stale_task", detail: "this task is no longer current" });
      const { api, calls, reads } = withHistory(full, stale);
      await processWorkflowTask(wfTask("t2", full.slice(-3)), deps(api));
      expect(reads).toHaveLength(1);
      expect(calls).toEqual([]);
    });
  });

  it("does not cache a state whose completion was dropped as stale", async () => {
    const { api } = stubApi("stale");
    const cache = new LruCache<string, WorkflowState>(10);
    await processWorkflowTask(wfTask("t1", new HistoryBuilder({ workflow: "greet_twice", input: "Ada" }).task().build()), deps(api, cache));
    expect(cache.size).toBe(0);
  });

  it("a closing task refused as stale (UnhandledCommand: a signal came meanwhile) leaves no cached state, and the next task replays with the signal", async () => {
    const outcomes: CompletionOutcome[] = ["accepted", "accepted", "stale", "accepted"];
    const sent: Command[][] = [];
    const api = {
      completeWorkflowTask: async (_token: string, commands: Command[]) => {
        sent.push(commands);
        return { outcome: outcomes[sent.length - 1]!, activityTasks: [], workflowTask: undefined };
      },
    } as unknown as WorkerApi;
    const cache = new LruCache<string, WorkflowState>(10);
    const h = new HistoryBuilder({ workflow: "greet_twice", input: "Ada" }).task();
    await processWorkflowTask(wfTask("t1", h.build()), deps(api, cache));
    h.complete(sent[0]!).activityCompleted(1, "Hi Ada").task();
    await processWorkflowTask(wfTask("t2", h.build()), deps(api, cache));
    h.complete(sent[1]!).activityCompleted(2, "Hi Hi Ada").task();
    await processWorkflowTask(wfTask("t3", h.build()), deps(api, cache));
    expect(sent[2]).toEqual([{ type: "complete_workflow", result: "Hi Hi Ada" }]);
    // Dropped: the state that produced a refused completion is not kept for the run's next task.
    expect(cache.size).toBe(0);
    h.signal("note", "late").unhandledCommand().task();
    await processWorkflowTask(wfTask("t4", h.build()), deps(api, cache));
    expect(sent[3]).toEqual([{ type: "complete_workflow", result: "Hi Hi Ada" }]);
  });

  it("fails the workflow TASK on non-determinism, with the message, and never completes it", async () => {
    const { api, calls } = stubApi();
    const h = new HistoryBuilder({ workflow: "greet_twice", input: "Ada" }).task();
    h.complete([{ type: "start_timer", seq: 1, duration: 5 }]).timerFired(1).task();
    await processWorkflowTask(wfTask("t9", h.build()), deps(api));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ call: "failWorkflowTask", token: "t9", payload: { type: "NonDeterminismError", non_retryable: false } });
    expect((calls[0]!.payload as Failure).message).toContain("history recorded timer_started(seq 1, duration 5s) but the workflow code emitted schedule_activity(seq 1");
  });

  it("fails the task at once when the platform refuses its commands (422), so it is retried", async () => {
    const refusal = new SundialApiError({ type: "t", title: "Unprocessable Content", status: 422, code: "invalid_command", detail: "commands.0: activity 2 is not pending", field: "commands.0" });
    const { api, calls } = stubApi("accepted", undefined, refusal);
    const cache = new LruCache<string, WorkflowState>(10);
    await processWorkflowTask(wfTask("t4", new HistoryBuilder({ workflow: "greet_twice", input: "Ada" }).task().build()), deps(api, cache));
    expect(calls.map((c) => c.call)).toEqual(["completeWorkflowTask", "failWorkflowTask"]);
    expect(calls[1]).toMatchObject({ payload: { type: "CommandsRejected", message: "the platform refused the commands: commands.0: activity 2 is not pending", details: { status: 422, code: "invalid_command" } } });
    expect(cache.size).toBe(0);
  });

  it("terminates the run when the platform refuses the commands as too large (413): every retry would compute them again", async () => {
    const refusal = new SundialApiError({ type: "t", title: "Payload Too Large", status: 413, code: "payload_too_large", detail: "request body is larger than 1048576 bytes", field: "body" });
    const { api, calls } = stubApi("accepted", undefined, refusal);
    await processWorkflowTask(wfTask("t5", new HistoryBuilder({ workflow: "greet_twice", input: "Ada" }).task().build()), deps(api));
    expect(calls.map((c) => c.call)).toEqual(["completeWorkflowTask", "failWorkflowTask(terminate_run)"]);
    expect(calls[1]).toMatchObject({ token: "t5", payload: { type: "PayloadTooLarge", non_retryable: true, details: { field: "body" } } });
    expect((calls[1]!.payload as Failure).message).toContain("request body is larger than 1048576 bytes");
  });

  it("fails the task of a workflow this worker does not know", async () => {
    const { api, calls } = stubApi();
    const task = { ...wfTask("t5", new HistoryBuilder({ workflow: "other" }).task().build()), workflow: "other" };
    await processWorkflowTask(task, deps(api));
    expect(calls[0]).toMatchObject({ call: "failWorkflowTask", payload: { type: "WorkflowNotRegistered", message: 'workflow "other" is not registered on worker w-1 (task queue default)' } });
  });
});

describe("activity task processing", () => {
  const task = (activityType: string, input: unknown, extra: Partial<ActivityTask> = {}): ActivityTask => ({
    kind: "activity",
    task_token: `tok-${activityType}`,
    execution_id: "ex-1",
    run_id: "run-1",
    workflow: "wf",
    activity_type: activityType,
    seq: 3,
    input,
    attempt: 2,
    heartbeat_timeout: null,
    start_to_close_timeout: 30,
    ...extra,
  });
  const run = async (def: AnyActivityDefinition | undefined, t: ActivityTask, api: WorkerApi) => {
    const activities = new Map(def ? [[def.name, def]] : []);
    await startActivityTask(t, { activities, api, logger: silentWorkerLogger, taskQueue: "default", identity: "w-1", hardStop: new AbortController().signal }).done;
  };

  it("passes input and context, and reports the result", async () => {
    const { api, calls } = stubApi();
    const echo = defineActivity({ name: "echo", run: async (input: { n: number }, ctx) => ({ n: input.n, attempt: ctx.attempt, seq: ctx.info.seq, id: ctx.executionId }) });
    await run(echo, task("echo", { n: 1 }), api);
    expect(calls).toEqual([{ call: "completeActivityTask", token: "tok-echo", payload: { n: 1, attempt: 2, seq: 3, id: "ex-1" } }]);
  });

  it("reports an ApplicationFailure with its type, retry flag and details", async () => {
    const { api, calls } = stubApi();
    const pay = defineActivity({ name: "pay", run: async () => Promise.reject(ApplicationFailure.nonRetryable("card declined", "CardDeclined", { last4: "4242" })) });
    await run(pay, task("pay", null), api);
    expect(calls[0]).toMatchObject({ call: "failActivityTask", payload: { message: "card declined", type: "CardDeclined", non_retryable: true, details: { last4: "4242" } } });
  });

  it("parses input with the activity's schema: a mismatch is a non-retryable InvalidInput", async () => {
    const { api, calls } = stubApi();
    const typed = defineActivity({ name: "typed", input: z.object({ email: z.email() }), run: async (i) => i.email });
    await run(typed, task("typed", { email: "nope" }), api);
    expect(calls[0]).toMatchObject({ call: "failActivityTask", payload: { type: "InvalidInput", non_retryable: true } });
  });

  it("turns a refused result (413) into a non-retryable ResultRejected failure", async () => {
    const refusal = new SundialApiError({ type: "t", title: "Payload Too Large", status: 413, code: "payload_too_large", detail: "result is larger than 262144 bytes" });
    const { api, calls } = stubApi("accepted", undefined, refusal);
    const big = defineActivity({ name: "big", run: async () => "x".repeat(10) });
    await run(big, task("big", null), api);
    expect(calls.map((c) => c.call)).toEqual(["completeActivityTask", "failActivityTask"]);
    expect(calls[1]).toMatchObject({ payload: { type: "ResultRejected", non_retryable: true, message: "the platform refused the activity's result: result is larger than 262144 bytes" } });
  });

  it("a result that is not JSON (a BigInt, a cycle) fails the attempt at once as a non-retryable PayloadNotJson, instead of a report retried as a connection error and never sent", async () => {
    const sent: { path: string; body: Record<string, unknown> }[] = [];
    const fetch = (async (url: URL, init: RequestInit) => {
      sent.push({ path: url.pathname, body: JSON.parse(String(init.body)) as Record<string, unknown> });
      return new Response(JSON.stringify({ status: "accepted" }), { status: 200, headers: { "content-type": "application/json" } });
    }) as unknown as typeof globalThis.fetch;
    const api = new WorkerApi(new HttpTransport({ url: "http://platform.test", apiKey: "k", fetch }), silentWorkerLogger, { initialMs: 1, maxMs: 2, attempts: 3 });
    const counter = defineActivity({ name: "counter", run: async () => ({ total: 10n }) });
    await run(counter, task("counter", null), api);
    expect(sent).toMatchObject([{ path: "/v1/workflows/tasks/activity/fail", body: { task_token: "tok-counter", failure: { type: "PayloadNotJson", non_retryable: true } } }]);
    expect((sent[0]!.body.failure as Failure).message).toContain('the result of activity "counter" cannot be sent as JSON');
  });

  it("ctx.heartbeat() with details the platform would refuse throws PayloadTooLarge in the activity, and sends nothing", async () => {
    const { api, calls } = stubApi();
    const chatty = defineActivity({ name: "chatty", run: async (_: null, ctx) => ctx.heartbeat({ log: "x".repeat(300_000) }) });
    await run(chatty, task("chatty", null, { heartbeat_timeout: 10 }), api);
    expect(calls.map((c) => c.call)).toEqual(["failActivityTask"]);
    expect(calls[0]).toMatchObject({ payload: { type: "PayloadTooLarge", non_retryable: true } });
  });

  it("a failure the platform refuses (details too large) is reported again as its message and type, keeping its retry flag", async () => {
    const failures: unknown[] = [];
    const api = {
      failActivityTask: async (_token: string, failure: Failure) => {
        failures.push(failure);
        if (failures.length === 1) throw new SundialApiError({ type: "t", title: "Payload Too Large", status: 413, code: "payload_too_large", detail: "failure is larger than 262144 bytes", field: "failure" });
        return "accepted";
      },
    } as unknown as WorkerApi;
    const noisy = defineActivity({ name: "noisy", run: async () => Promise.reject(ApplicationFailure.nonRetryable("upstream said no", "Upstream", { body: "x".repeat(300_000) })) });
    await run(noisy, task("noisy", null), api);
    expect(failures).toHaveLength(2);
    expect(failures[1]).toEqual({ message: "upstream said no", type: "Upstream", non_retryable: true, details: { refused: "payload_too_large" } });
  });

  it("a heartbeat request that hangs is given up after the heartbeat interval, so the next beat goes out before the heartbeat timeout", async () => {
    // heartbeat_timeout 3 s → a beat each second; the first request never answers.
    const sent: number[] = [];
    const t0 = Date.now();
    const api = {
      ...stubApi().api,
      heartbeat: (_token: string, _details: unknown, signal?: AbortSignal) => {
        sent.push(Date.now() - t0);
        if (sent.length > 1) return Promise.resolve({ cancel_requested: false });
        return new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason), { once: true }));
      },
    } as unknown as WorkerApi;
    const slow = defineActivity({ name: "slow_beats", run: () => new Promise<string>((r) => setTimeout(() => r("done"), 2_600)) });
    await run(slow, task("slow_beats", null, { heartbeat_timeout: 3 }), api);
    // Before the fix the hung request held the next beat back 10 s: the platform would have timed the attempt out at 3 s.
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent[1]!).toBeLessThan(3_000);
  });

  it("ctx.heartbeat() sends a snapshot of the details: changing them afterwards changes nothing", async () => {
    const { api, calls } = stubApi();
    const progress = defineActivity({
      name: "progress",
      run: async (_: null, ctx) => {
        const details = { chunk: 1 };
        ctx.heartbeat(details);
        details.chunk = 99;
        await new Promise((resolve) => setTimeout(resolve, 300));
        return "done";
      },
    });
    await run(progress, task("progress", null, { heartbeat_timeout: 0.15 }), api);
    expect(calls.find((c) => c.call === "heartbeat")?.payload).toEqual({ chunk: 1 });
  });

  it("fails (retryably) an activity type this worker does not have", async () => {
    const { api, calls } = stubApi();
    await run(undefined, task("ghost", null), api);
    expect(calls[0]).toMatchObject({ call: "failActivityTask", payload: { type: "ActivityNotRegistered", non_retryable: false } });
  });

  it("aborts ctx.signal with CancelledError when a heartbeat answers cancel_requested", async () => {
    const { api, calls } = stubApi("accepted", { cancel_requested: true });
    let reason: unknown;
    const waits = defineActivity({
      name: "waits",
      run: (_: null, ctx) =>
        new Promise((_resolve, reject) =>
          ctx.signal.addEventListener("abort", () => {
            reason = ctx.signal.reason;
            reject(ctx.signal.reason);
          }),
        ),
    });
    await run(waits, task("waits", null, { heartbeat_timeout: 0.15 }), api);
    expect(reason).toBeInstanceOf(CancelledError);
    expect(calls.map((c) => c.call)).toEqual(["heartbeat", "failActivityTask"]);
    expect(calls[1]).toMatchObject({ payload: { type: "CancelledError", message: "the platform cancelled the activity" } });
  });
});
