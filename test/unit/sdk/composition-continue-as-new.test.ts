import { describe, expect, it } from "vitest";
import type { Command, WorkflowTask } from "@sundial/sdk/protocol";
import { LruCache, silentWorkerLogger } from "@sundial/sdk/worker";
import { ContinueAsNew, ReadOnlyContextError, activate, defineWorkflow, queryWorkflow, type WorkflowState } from "@sundial/sdk/workflow";
import type { WorkerApi } from "../../../sdk/src/worker/api.ts";
import { processWorkflowTask } from "../../../sdk/src/worker/workflow-runner.ts";
import { HistoryBuilder } from "./helpers/history.ts";
import { Driver } from "./helpers/messages.ts";

const quiet = { logSink: () => {} };

/** Ticks once per run and continues as new until `count` reaches `until`. */
const counter = defineWorkflow({
  name: "counter",
  run: async (ctx, { count, until }: { count: number; until: number }) => {
    ctx.setQueryHandler("count", () => count);
    await ctx.executeActivity("tick", count);
    if (count < until) return ctx.continueAsNew({ count: count + 1, until }, { executionTimeout: "2h" });
    return { count };
  },
});

/** A platform that accepts every workflow task completion and keeps its commands in `sent`. */
function recordingApi(sent: Command[][]): WorkerApi {
  return {
    completeWorkflowTask: async (_token: string, commands: Command[]) => {
      sent.push(commands);
      return { outcome: "accepted", activityTasks: [], workflowTask: undefined };
    },
    failWorkflowTask: async () => {
      throw new Error("unexpected fail");
    },
  } as unknown as WorkerApi;
}

describe("continue-as-new", () => {
  it("emits continue_as_new with the next input and timeout as the run's last command; the run is closed (full replay = cached state)", async () => {
    const d = new Driver(counter, new HistoryBuilder({ workflow: "counter", input: { count: 0, until: 2 } }).task());
    const t1 = await d.task();
    expect(t1).toEqual([{ type: "schedule_activity", seq: 1, activity_type: "tick", input: 0, options: {} }]);
    d.complete(t1).activityCompleted(1, null).task();
    const t2 = await d.task();
    expect(t2).toEqual([{ type: "continue_as_new", input: { count: 1, until: 2 }, execution_timeout: 7200 }]);
    expect(d.state!.closed).toBe(true);
  });

  it("the next run starts from its own fresh history (continued_from_run_id) with the new input, and ends the chain", async () => {
    const h = new HistoryBuilder({ workflow: "counter", input: { count: 2, until: 2 }, runId: "run-3", continuedFromRunId: "run-2", executionId: "c-1" }).task();
    const d = new Driver(counter, h);
    const t1 = await d.task();
    expect(t1).toEqual([{ type: "schedule_activity", seq: 1, activity_type: "tick", input: 2, options: {} }]);
    d.complete(t1).activityCompleted(1, null).task();
    expect(await d.task()).toEqual([{ type: "complete_workflow", result: { count: 2 } }]);
    // Queries on the new run see its own input.
    expect(await queryWorkflow(counter, h.build(), { name: "count" }, quiet)).toBe(2);
  });

  it("commands emitted before it in the same task are kept; nothing after it is sent, even if the code swallows the throw", async () => {
    const sloppy = defineWorkflow({
      name: "sloppy",
      run: async (ctx) => {
        const pending = ctx.executeActivity("fire_and_forget", null);
        void pending;
        ctx.sleep("1h").catch(() => {});
        try {
          ctx.continueAsNew({ next: true });
        } catch (err) {
          // Wrong, but must be harmless: the run is over.
          if (!(err instanceof ContinueAsNew)) throw err;
          await ctx.executeActivity("after", null).catch(() => {});
          ctx.continueAsNew({ again: true });
        }
        return "never sent";
      },
    });
    const { commands, state } = await activate(sloppy, new HistoryBuilder({ workflow: "sloppy" }).task().build(), undefined, quiet);
    expect(commands).toEqual([
      { type: "schedule_activity", seq: 1, activity_type: "fire_and_forget", input: null, options: {} },
      { type: "start_timer", seq: 1, duration: 3600 },
      { type: "continue_as_new", input: { next: true } },
    ]);
    expect(state.closed).toBe(true);
  });

  it("throws synchronously, so `ctx.continueAsNew(x)` without await or return stops the code right there", async () => {
    let after = false;
    const plain = defineWorkflow({
      name: "plain",
      run: async (ctx) => {
        ctx.continueAsNew(undefined);
        after = true;
        return null;
      },
    });
    const { commands } = await activate(plain, new HistoryBuilder({ workflow: "plain" }).task().build(), undefined, quiet);
    expect(commands).toEqual([{ type: "continue_as_new", input: null }]);
    expect(after).toBe(false);
  });

  it("from a signal handler: the run continues as new and neither completes nor fails", async () => {
    const rotating = defineWorkflow({
      name: "rotating",
      run: async (ctx) => {
        let items: string[] = [];
        ctx.setSignalHandler("add", (item: string) => {
          items = [...items, item];
          if (items.length >= 2) ctx.continueAsNew({ carried: items });
        });
        await ctx.waitCondition(() => false);
        return items;
      },
    });
    const d = new Driver(rotating, new HistoryBuilder({ workflow: "rotating" }).task());
    expect(await d.task()).toEqual([]);
    d.complete([]).signal("add", "a").signal("add", "b").signal("add", "c").task();
    expect(await d.task()).toEqual([{ type: "continue_as_new", input: { carried: ["a", "b"] } }]);
  });

  it("follows the platform's suggestion (recorded in workflow_task_started, so replays agree)", async () => {
    const batcher = defineWorkflow({
      name: "batcher",
      run: async (ctx, { done }: { done: number }) => {
        let n = done;
        while (!ctx.continueAsNewSuggested) {
          await ctx.executeActivity("process_batch", n);
          n++;
        }
        return ctx.continueAsNew({ done: n });
      },
    });
    const d = new Driver(batcher, new HistoryBuilder({ workflow: "batcher", input: { done: 0 } }).task({ suggestContinueAsNew: false }));
    const t1 = await d.task();
    d.complete(t1).activityCompleted(1, null).task({ suggestContinueAsNew: false });
    const t2 = await d.task();
    expect(t2).toEqual([{ type: "schedule_activity", seq: 2, activity_type: "process_batch", input: 1, options: {} }]);
    d.complete(t2).activityCompleted(2, null).task({ suggestContinueAsNew: true });
    expect(await d.task()).toEqual([{ type: "continue_as_new", input: { done: 2 } }]);
  });

  it("updates offered to the task that continues as new are left unanswered (the platform fails them with the run)", async () => {
    const d = new Driver(counter, new HistoryBuilder({ workflow: "counter", input: { count: 0, until: 1 } }).task());
    const t1 = await d.task();
    d.complete(t1).activityCompleted(1, null).task();
    const t2 = await d.task([{ update_id: "u-1", name: "anything", input: null }]);
    expect(t2).toEqual([{ type: "continue_as_new", input: { count: 1, until: 1 }, execution_timeout: 7200 }]);
  });

  it("is refused in a query handler (read-only) and validates its timeout", async () => {
    const misuse = defineWorkflow({
      name: "misuse",
      run: async (ctx, mode: string) => {
        ctx.setQueryHandler("jump", () => ctx.continueAsNew(null));
        if (mode === "bad-timeout") ctx.continueAsNew(null, { executionTimeout: "0s" });
        await ctx.sleep("1h");
        return null;
      },
    });
    const h = new HistoryBuilder({ workflow: "misuse", input: "ok" }).task();
    await expect(queryWorkflow(misuse, h.build(), { name: "jump" }, quiet)).rejects.toBeInstanceOf(ReadOnlyContextError);
    const bad = await activate(misuse, new HistoryBuilder({ workflow: "misuse", input: "bad-timeout" }).task().build(), undefined, quiet);
    expect(bad.commands).toHaveLength(1);
    expect(bad.commands[0]).toMatchObject({ type: "fail_workflow", failure: { type: "TypeError", message: "ctx.continueAsNew() executionTimeout: must be between 1 second and 1 year, got 0s" } });
  });

  it("the worker sends it and does not cache the finished run", async () => {
    const sent: Command[][] = [];
    const api = recordingApi(sent);
    const cache = new LruCache<string, WorkflowState>(4);
    const deps = { workflows: new Map([[counter.name, counter]]), api, logger: silentWorkerLogger, cache, identity: "w", taskQueue: "default", hardStop: new AbortController().signal };
    const h = new HistoryBuilder({ workflow: "counter", input: { count: 0, until: 5 } }).task();
    const task = (): WorkflowTask => ({ kind: "workflow", task_token: "tok", execution_id: "c-9", run_id: "run-1", workflow: "counter", attempt: 1, history: h.build(), continue_as_new_suggested: false });
    await processWorkflowTask(task(), deps);
    expect(cache.size).toBe(1);
    h.complete(sent[0]!).activityCompleted(1, null).task();
    await processWorkflowTask(task(), deps);
    expect(sent[1]).toEqual([{ type: "continue_as_new", input: { count: 1, until: 5 }, execution_timeout: 7200 }]);
    expect(cache.size).toBe(0);
  });

  it("the worker names a later run's children with the task's run_number, as the platform does", async () => {
    const sent: Command[][] = [];
    const api = recordingApi(sent);
    const spawner = defineWorkflow({ name: "spawner", run: async (ctx) => (await ctx.executeChildWorkflow("kid", null, { wait: false })).executionId });
    const deps = { workflows: new Map([[spawner.name, spawner]]), api, logger: silentWorkerLogger, cache: new LruCache<string, WorkflowState>(4), identity: "w", taskQueue: "default", hardStop: new AbortController().signal };
    const h = new HistoryBuilder({ workflow: "spawner", executionId: "s-1", runId: "run-2", continuedFromRunId: "run-1", runNumber: 2 }).task();
    await processWorkflowTask({ kind: "workflow", task_token: "tok", execution_id: "s-1", run_id: "run-2", run_number: 2, workflow: "spawner", attempt: 1, history: h.build(), continue_as_new_suggested: false }, deps);
    expect(sent[0]).toEqual([
      { type: "start_child_workflow", seq: 1, workflow: "kid", input: null, parent_close_policy: "ABANDON" },
      { type: "complete_workflow", result: "s-1:run-2:child-1" },
    ]);
  });
});
