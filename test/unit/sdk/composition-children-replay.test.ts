import { describe, expect, it } from "vitest";
import { NonDeterminismError, activate, defineWorkflow } from "@sundial/sdk/workflow";
import { HistoryBuilder } from "./helpers/history.ts";
import { Driver } from "./helpers/messages.ts";

// Child workflows across replays and runs; starting, waiting and failures are in composition-children.test.ts.
const quiet = { logSink: () => {} };

describe("child workflows: replay", () => {
  const v1 = defineWorkflow({
    name: "parent",
    run: async (ctx) => {
      await ctx.executeActivity("prepare", null);
      return ctx.executeChildWorkflow("charge_card", { cents: 1 });
    },
  });

  async function v1History(): Promise<HistoryBuilder> {
    const h = new HistoryBuilder({ workflow: "parent", runId: "run-p" }).task();
    const t1 = await activate(v1, h.build(), undefined, quiet);
    h.complete(t1.commands).activityCompleted(1, null).task();
    const t2 = await activate(v1, h.build(), undefined, quiet);
    h.complete(t2.commands).childStarted(1).task();
    return h;
  }

  it("a changed child workflow name is a NonDeterminismError naming both sides", async () => {
    const v2 = defineWorkflow({
      name: "parent",
      run: async (ctx) => {
        await ctx.executeActivity("prepare", null);
        return ctx.executeChildWorkflow("charge_card_v2", { cents: 1 });
      },
    });
    const err = await activate(v2, (await v1History()).build(), undefined, { ...quiet, executionId: "ex-p" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonDeterminismError);
    expect(err).toMatchObject({
      eventId: 10,
      eventType: "child_workflow_initiated",
      recorded: 'child_workflow_initiated(seq 1, workflow "charge_card")',
      emitted: 'start_child_workflow(seq 1, workflow "charge_card_v2")',
    });
    expect((err as Error).message).toContain('Non-deterministic workflow "parent" (execution ex-p, run run-p) at history event 10 (child_workflow_initiated)');
  });

  it("a child the code no longer starts, or an activity in its place, is a NonDeterminismError", async () => {
    const dropped = defineWorkflow({
      name: "parent",
      run: async (ctx) => {
        await ctx.executeActivity("prepare", null);
        return ctx.executeActivity("charge_inline", null);
      },
    });
    const err = await activate(dropped, (await v1History()).build(), undefined, quiet).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "NonDeterminismError", recorded: 'child_workflow_initiated(seq 1, workflow "charge_card")', emitted: 'schedule_activity(seq 2, activity_type "charge_inline")' });
  });

  it("changed input and options are not non-determinism (they only matter when the command is first sent)", async () => {
    const tweaked = defineWorkflow({
      name: "parent",
      run: async (ctx) => {
        await ctx.executeActivity("prepare", null);
        return ctx.executeChildWorkflow("charge_card", { cents: 2 }, { executionTimeout: "5m", parentClosePolicy: "ABANDON" });
      },
    });
    const { commands } = await activate(tweaked, (await v1History()).build(), undefined, quiet);
    expect(commands).toEqual([]);
  });
});

/** Starts two children without waiting, a task apart, and returns the ids their handles report. */
const twoKids = defineWorkflow({
  name: "two_kids",
  run: async (ctx) => {
    const first = await ctx.executeChildWorkflow("kid", 1, { wait: false });
    await first.started;
    const second = await ctx.executeChildWorkflow("kid", 2, { wait: false });
    return [first.executionId, second.executionId];
  },
});

describe("child workflows: default ids in later runs", () => {
  it("a run continued as new names its children with its run number, as the platform does (`…:run-n:child-seq`)", async () => {
    const h = new HistoryBuilder({ workflow: "two_kids", executionId: "p", runId: "run-c", continuedFromRunId: "run-b", runNumber: 3 }).task();
    const d = new Driver(twoKids, h, { runNumber: 3 });
    const t1 = await d.task();
    expect(t1).toEqual([{ type: "start_child_workflow", seq: 1, workflow: "kid", input: 1, parent_close_policy: "ABANDON" }]);
    d.complete(t1).childStarted(1).task();
    expect(await d.task()).toEqual([
      { type: "start_child_workflow", seq: 2, workflow: "kid", input: 2, parent_close_policy: "ABANDON" },
      { type: "complete_workflow", result: ["p:run-3:child-1", "p:run-3:child-2"] },
    ]);
  });

  it("after a reset, a replayed child keeps the id history recorded in the earlier run; a new one gets the new run's number", async () => {
    const h = new HistoryBuilder({ workflow: "two_kids", executionId: "p" }).task();
    const d = new Driver(twoKids, h);
    d.complete(await d.task()).childStarted(1).task();
    h.reset().task();
    const { commands } = await activate(twoKids, h.build(), undefined, { ...quiet, runNumber: 2 });
    expect(commands).toEqual([
      { type: "start_child_workflow", seq: 2, workflow: "kid", input: 2, parent_close_policy: "ABANDON" },
      { type: "complete_workflow", result: ["p:child-1", "p:run-2:child-2"] },
    ]);
  });
});
