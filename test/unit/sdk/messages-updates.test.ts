import { describe, expect, it } from "vitest";
import type { WorkflowTask } from "@sundial/sdk/protocol";
import { LruCache, silentWorkerLogger } from "@sundial/sdk/worker";
import { ApplicationFailure, NonDeterminismError, activate, defineWorkflow, type WorkflowState } from "@sundial/sdk/workflow";
import type { WorkerApi } from "../../../sdk/src/worker/api.ts";
import { processWorkflowTask } from "../../../sdk/src/worker/workflow-runner.ts";
import { HistoryBuilder } from "./helpers/history.ts";
import { Driver, withoutStacks } from "./helpers/messages.ts";

const quiet = { logSink: () => {} };

/** Holds a limit that updates change (persisting it first); stops on a `stop` signal once no update runs. */
const configurable = defineWorkflow({
  name: "configurable",
  run: async (ctx) => {
    let config = { limit: 10 };
    let applied = 0;
    let stopped = false;
    ctx.setQueryHandler("get_config", () => ({ config, applied }));
    ctx.setSignalHandler("stop", () => void (stopped = true));
    ctx.setUpdateHandler(
      "set_limit",
      async (limit: number) => {
        const old = config.limit;
        await ctx.executeActivity("persist_limit", limit);
        config = { limit };
        applied++;
        return { old, limit };
      },
      {
        validator: (limit) => {
          if (!Number.isInteger(limit) || limit < 0) throw ApplicationFailure.nonRetryable(`limit must be a non-negative integer, got ${limit}`, "InvalidLimit");
        },
      },
    );
    ctx.setUpdateHandler("explode", () => {
      throw new ApplicationFailure("cannot explode today", { type: "Boom", details: { limit: config.limit } });
    });
    await ctx.waitCondition(() => stopped);
    await ctx.waitCondition(ctx.allHandlersFinished);
    return { config, applied };
  },
});

const setLimit = (id: string, limit: unknown) => ({ update_id: id, name: "set_limit", input: limit });

describe("updates", () => {
  it("validator accepts or rejects offered updates; an accepted one runs from update_accepted and completes (full replay = cached state)", async () => {
    const d = new Driver(configurable, new HistoryBuilder({ workflow: "configurable" }).task());
    expect(await d.task()).toEqual([]);
    d.complete([]).task();
    const t2 = await d.task([setLimit("u-1", 20), setLimit("u-2", -1), { update_id: "u-3", name: "no_such_update", input: null }]);
    expect(t2).toEqual([
      { type: "accept_update", update_id: "u-1" },
      { type: "reject_update", update_id: "u-2", failure: { message: "limit must be a non-negative integer, got -1", type: "InvalidLimit", non_retryable: true } },
      {
        type: "reject_update",
        update_id: "u-3",
        failure: { message: 'workflow "configurable" has no update handler "no_such_update" (set: "set_limit", "explode")', type: "UnknownUpdate", non_retryable: true },
      },
    ]);
    // Only the accepted update reaches history; the handler starts in the next task.
    d.complete(t2);
    const written = d.h.build().slice(-2);
    expect(written.map((e) => e.type)).toEqual(["workflow_task_completed", "update_accepted"]);
    expect(written[1]).toMatchObject({ update_id: "u-1", name: "set_limit", input: 20 });
    d.h.task();
    // Offered again (a platform retry): history already accepted it, so it is not answered again.
    const t3 = await d.task([setLimit("u-1", 20)]);
    expect(t3).toEqual([{ type: "schedule_activity", seq: 1, activity_type: "persist_limit", input: 20, options: {} }]);
    d.complete(t3).activityCompleted(1, null).task();
    const t4 = await d.task();
    expect(t4).toEqual([{ type: "complete_update", update_id: "u-1", result: { old: 10, limit: 20 } }]);
    d.complete(t4).signal("stop").task();
    const t5 = await d.task();
    expect(t5).toEqual([{ type: "complete_workflow", result: { config: { limit: 20 }, applied: 1 } }]);
    const closed = d.complete(t5).build();
    expect(closed.filter((e) => e.type.startsWith("update_")).map((e) => `${e.type}:${(e as { update_id: string }).update_id}`)).toEqual(["update_accepted:u-1", "update_completed:u-1"]);
    const replay = await activate(configurable, closed, undefined, quiet);
    expect(replay.state.closed).toBe(true);
  });

  it("a handler that throws fails the update (complete_update with the failure), not the run", async () => {
    const d = new Driver(configurable, new HistoryBuilder({ workflow: "configurable" }).task());
    d.complete(await d.task()).task();
    const t2 = await d.task([{ update_id: "u-9", name: "explode", input: null }]);
    expect(t2).toEqual([{ type: "accept_update", update_id: "u-9" }]);
    d.complete(t2).task();
    const t3 = await d.task();
    expect(t3).toEqual([{ type: "complete_update", update_id: "u-9", failure: { message: "cannot explode today", type: "Boom", non_retryable: false, details: { limit: 10 } } }]);
    d.complete(t3).signal("stop").task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: { config: { limit: 10 }, applied: 0 } }]);
  });

  it("an update offered to the task that closes the run is left unanswered (the platform fails it, or offers it to the next run): only the closing command", async () => {
    const d = new Driver(configurable, new HistoryBuilder({ workflow: "configurable" }).task());
    d.complete(await d.task()).signal("stop").task();
    expect(await d.task([setLimit("u-5", 1)])).toEqual([{ type: "complete_workflow", result: { config: { limit: 10 }, applied: 0 } }]);
  });

  it("an update handler that finishes in the activation where the workflow returns keeps its result, before the closing command", async () => {
    const returnsFirst = defineWorkflow({
      name: "returns-first",
      run: async (ctx) => {
        ctx.setUpdateHandler("slow", async (v: number) => {
          for (let i = 0; i < 10; i++) await null;
          return v * 2;
        });
        await ctx.executeActivity("work", null);
        return "done";
      },
    });
    const d = new Driver(returnsFirst, new HistoryBuilder({ workflow: "returns-first" }).task());
    d.complete(await d.task()).task();
    const t2 = await d.task([{ update_id: "s", name: "slow", input: 21 }]);
    expect(t2).toEqual([{ type: "accept_update", update_id: "s" }]);
    // update_accepted and the activity's result in one batch: the workflow returns a few turns before the handler.
    d.complete(t2).activityCompleted(1, "ok").task();
    expect(await d.task()).toEqual([
      { type: "complete_update", update_id: "s", result: 42 },
      { type: "complete_workflow", result: "done" },
    ]);
  });

  it("an update handler that continues the run as new does not answer with a ContinueAsNew failure: the run ends and the platform fails the update (409 execution_closed)", async () => {
    const rollsOver = defineWorkflow({
      name: "rolls-over",
      run: async (ctx) => {
        ctx.setUpdateHandler("roll", (n: number) => ctx.continueAsNew({ n }));
        await ctx.waitCondition(() => false);
      },
    });
    const d = new Driver(rollsOver, new HistoryBuilder({ workflow: "rolls-over" }).task());
    d.complete(await d.task()).task();
    const t2 = await d.task([{ update_id: "r", name: "roll", input: 7 }]);
    expect(t2).toEqual([{ type: "accept_update", update_id: "r" }]);
    d.complete(t2).task();
    expect(await d.task()).toEqual([{ type: "continue_as_new", input: { n: 7 } }]);
  });

  it("updates and signals interleaved between tasks replay identically; accepted updates run in history order", async () => {
    const d = new Driver(configurable, new HistoryBuilder({ workflow: "configurable" }).task());
    d.complete(await d.task()).task();
    const t2 = await d.task([setLimit("a", 1), setLimit("b", 2)]);
    expect(t2).toEqual([
      { type: "accept_update", update_id: "a" },
      { type: "accept_update", update_id: "b" },
    ]);
    d.complete(t2).task();
    const t3 = await d.task([setLimit("c", 3)]);
    expect(t3).toEqual([
      { type: "schedule_activity", seq: 1, activity_type: "persist_limit", input: 1, options: {} },
      { type: "schedule_activity", seq: 2, activity_type: "persist_limit", input: 2, options: {} },
      { type: "accept_update", update_id: "c" },
    ]);
    // The stop signal arrives while three handlers are in flight: the run waits for them.
    d.complete(t3).activityCompleted(2, null).signal("stop").task();
    const t4 = await d.task();
    expect(t4).toEqual([
      { type: "schedule_activity", seq: 3, activity_type: "persist_limit", input: 3, options: {} },
      { type: "complete_update", update_id: "b", result: { old: 10, limit: 2 } },
    ]);
    d.complete(t4).activityCompleted(1, null).activityCompleted(3, null).task();
    expect(await d.task()).toEqual([
      { type: "complete_update", update_id: "a", result: { old: 10, limit: 1 } },
      // c started (and read the limit) before b's continuation applied its new limit.
      { type: "complete_update", update_id: "c", result: { old: 10, limit: 3 } },
      { type: "complete_workflow", result: { config: { limit: 3 }, applied: 3 } },
    ]);
  });

  it("an update accepted before its handler is set waits for it, like a buffered signal", async () => {
    const lazy = defineWorkflow({
      name: "lazy_update",
      run: async (ctx) => {
        await ctx.executeActivity("warm_up", null);
        let value = 0;
        ctx.setUpdateHandler("add", (n: number) => (value += n));
        await ctx.waitCondition(() => value >= 5);
        return value;
      },
    });
    // Accepted by an earlier code version that set the handler first (or by reset): history rules.
    const h = new HistoryBuilder({ workflow: "lazy_update" }).task();
    const d = new Driver(lazy, h);
    const t1 = await d.task();
    d.complete(t1).updateAccepted("x", "add", 2).updateAccepted("y", "add", 3).activityCompleted(1, null).task();
    expect(await d.task()).toEqual([
      { type: "complete_update", update_id: "x", result: 2 },
      { type: "complete_update", update_id: "y", result: 5 },
      { type: "complete_workflow", result: 5 },
    ]);
  });

  it("a validator is read-only: calling ctx.sleep() or ctx.random() in it rejects the update", async () => {
    const wf = defineWorkflow({
      name: "greedy_validator",
      run: async (ctx) => {
        ctx.setUpdateHandler("sleepy", async () => 1, { validator: () => void ctx.sleep(1) });
        ctx.setUpdateHandler("lucky", async () => 1, { validator: () => void ctx.random() });
        ctx.setUpdateHandler("later", async () => 1, { validator: (async () => {}) as () => void });
        await ctx.waitCondition(() => false);
      },
    });
    const h = new HistoryBuilder({ workflow: "greedy_validator" }).task();
    const d = new Driver(wf, h);
    d.complete(await d.task()).task();
    const t2 = await d.task(["sleepy", "lucky", "later"].map((name) => ({ update_id: name, name, input: null })));
    expect(t2).toMatchObject([
      { type: "reject_update", update_id: "sleepy", failure: { type: "ReadOnlyContextError", message: expect.stringContaining('ctx.sleep() is not allowed in the validator of update "sleepy"') } },
      { type: "reject_update", update_id: "lucky", failure: { type: "ReadOnlyContextError", message: expect.stringContaining('ctx.random() is not allowed in the validator of update "lucky"') } },
      { type: "reject_update", update_id: "later", failure: { type: "TypeError", message: 'the validator of update "later" returned a promise: query handlers and update validators must be synchronous' } },
    ]);
    // No update was accepted and the random sequence was not consumed: replay is unchanged.
    d.complete(t2).task();
    expect(await d.task()).toEqual([]);
  });

  it("non-determinism: the history's update_completed does not match what the handler does now", async () => {
    const d = new Driver(configurable, new HistoryBuilder({ workflow: "configurable" }).task());
    d.complete(await d.task()).task();
    d.complete(await d.task([setLimit("u-1", 20)])).task();
    d.complete(await d.task()).activityCompleted(1, null).task();
    d.complete(await d.task()).signal("stop").task();
    // v2 skips persisting: it completes the update where history recorded the activity.
    const v2 = defineWorkflow({
      name: "configurable",
      run: async (ctx) => {
        let stopped = false;
        ctx.setSignalHandler("stop", () => void (stopped = true));
        ctx.setUpdateHandler("set_limit", async (limit: number) => ({ old: 10, limit }));
        await ctx.waitCondition(() => stopped);
        return null;
      },
    });
    const err = await activate(v2, d.h.build(), undefined, quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonDeterminismError);
    expect(err).toMatchObject({
      eventType: "activity_scheduled",
      recorded: 'activity_scheduled(seq 1, activity_type "persist_limit")',
      emitted: 'complete_update(update_id "u-1")',
    });
  });

  it("non-determinism: a complete_update for another update id than history recorded", async () => {
    const h = new HistoryBuilder({ workflow: "configurable" }).task();
    h.complete([]).updateAccepted("u-1", "explode", null).task();
    h.complete([{ type: "complete_update", update_id: "u-other", failure: { message: "x", type: "Boom", non_retryable: false } }]).signal("stop").task();
    const err = await activate(configurable, h.build(), undefined, quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonDeterminismError);
    expect((err as NonDeterminismError).message).toContain('history recorded update_completed(update_id "u-other") but the workflow code emitted complete_update(update_id "u-1")');
  });
});

describe("worker: workflow tasks with updates", () => {
  it("sends the validators' answers with the task's commands", async () => {
    const calls: { call: string; payload: unknown }[] = [];
    const record = (call: string) => async (_token: string, payload: unknown) => {
      calls.push({ call, payload });
      return call === "complete" ? { outcome: "accepted", activityTasks: [], workflowTask: undefined } : "accepted";
    };
    const api = { completeWorkflowTask: record("complete"), failWorkflowTask: record("fail") } as unknown as WorkerApi;
    const cache = new LruCache<string, WorkflowState>(4);
    const deps = { workflows: new Map([[configurable.name, configurable]]), api, logger: silentWorkerLogger, cache, identity: "w", taskQueue: "default", hardStop: new AbortController().signal };
    const h = new HistoryBuilder({ workflow: "configurable" }).task();
    const task = (history: ReturnType<HistoryBuilder["build"]>, updates?: WorkflowTask["updates"]): WorkflowTask => ({
      kind: "workflow",
      task_token: "tok",
      execution_id: "ex-u",
      run_id: "run-1",
      workflow: "configurable",
      attempt: 1,
      history,
      continue_as_new_suggested: false,
      ...(updates ? { updates } : {}),
    });
    await processWorkflowTask(task(h.build()), deps);
    h.complete([]).task();
    await processWorkflowTask(task(h.build(), [setLimit("u-1", 4), setLimit("u-2", 1.5)]), deps);
    expect(withoutStacks(calls)).toEqual([
      { call: "complete", payload: [] },
      {
        call: "complete",
        payload: [
          { type: "accept_update", update_id: "u-1" },
          { type: "reject_update", update_id: "u-2", failure: { message: "limit must be a non-negative integer, got 1.5", type: "InvalidLimit", non_retryable: true } },
        ],
      },
    ]);
    expect(cache.size).toBe(1);
  });
});
