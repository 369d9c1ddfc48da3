import { describe, expect, it } from "vitest";
import { NonDeterminismError, activate, canContinue, defineWorkflow, type WorkflowDefinition } from "@sundial/sdk/workflow";
import { HistoryBuilder } from "./helpers/history.ts";

const quiet = { logSink: () => {} };

/** v1: reserve, charge, then wait a minute and ship. */
const v1 = defineWorkflow({
  name: "checkout",
  run: async (ctx, id: string) => {
    await ctx.executeActivity("reserve", id);
    await Promise.all([ctx.executeActivity("charge", id), ctx.executeActivity("email", id)]);
    await ctx.sleep("1m");
    return "done";
  },
});

/** Runs v1 for four tasks and returns the history at the start of each task. */
async function v1Histories(): Promise<HistoryBuilder> {
  const h = new HistoryBuilder({ workflow: "checkout", input: "c-1", runId: "run-nd" }).task();
  const t1 = await activate(v1, h.build(), undefined, quiet);
  h.complete(t1.commands).activityCompleted(1, null).task();
  const t2 = await activate(v1, h.build(), undefined, quiet);
  h.complete(t2.commands).activityCompleted(2, null).activityCompleted(3, null).task();
  return h;
}

async function replayError(def: WorkflowDefinition, h: HistoryBuilder): Promise<NonDeterminismError> {
  const err = await activate(def, h.build(), undefined, { ...quiet, executionId: "ex-9" }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NonDeterminismError);
  return err as NonDeterminismError;
}

describe("non-determinism detection", () => {
  it("a changed activity type names the event and both sides", async () => {
    const changed = defineWorkflow({
      name: "checkout",
      run: async (ctx, id: string) => {
        await ctx.executeActivity("reserve_stock", id);
        return "done";
      },
    });
    const err = await replayError(changed, await v1Histories());
    expect(err.message).toBe(
      'Non-deterministic workflow "checkout" (execution ex-9, run run-nd) at history event 5 (activity_scheduled): ' +
        'history recorded activity_scheduled(seq 1, activity_type "reserve") but the workflow code emitted schedule_activity(seq 1, activity_type "reserve_stock"). ' +
        "Restore the previous code for running executions, guard the change with ctx.patched(id), or use ctx.now()/ctx.random() instead of Date/Math.random.",
    );
    expect(err).toMatchObject({ eventId: 5, eventType: "activity_scheduled", recorded: 'activity_scheduled(seq 1, activity_type "reserve")', emitted: 'schedule_activity(seq 1, activity_type "reserve_stock")' });
  });

  it("a removed activity (history has a command the code no longer emits)", async () => {
    const removed = defineWorkflow({
      name: "checkout",
      run: async (ctx, id: string) => {
        await ctx.executeActivity("reserve", id);
        await Promise.all([ctx.executeActivity("charge", id)]);
        await ctx.sleep("1m");
        return "done";
      },
    });
    const err = await replayError(removed, await v1Histories());
    expect(err.message).toContain(
      'at history event 11 (activity_scheduled): history recorded activity_scheduled(seq 3, activity_type "email") but the workflow code emitted nothing for it (it emitted 1 command in this workflow task)',
    );
    expect(err).toMatchObject({ eventId: 11, recorded: 'activity_scheduled(seq 3, activity_type "email")', emitted: "nothing" });
  });

  it("an extra timer where history has an activity", async () => {
    const timerFirst = defineWorkflow({
      name: "checkout",
      run: async (ctx, id: string) => {
        await ctx.sleep("5s");
        await ctx.executeActivity("reserve", id);
        return "done";
      },
    });
    const err = await replayError(timerFirst, await v1Histories());
    expect(err.message).toContain(
      'at history event 5 (activity_scheduled): history recorded activity_scheduled(seq 1, activity_type "reserve") but the workflow code emitted start_timer(seq 1, duration 5s)',
    );
  });

  it("an added command at the end of a task's commands", async () => {
    const added = defineWorkflow({
      name: "checkout",
      run: async (ctx, id: string) => {
        await Promise.all([ctx.executeActivity("reserve", id), ctx.sleep(30)]);
        return "done";
      },
    });
    const err = await replayError(added, await v1Histories());
    expect(err.message).toContain(
      "at history event 4 (workflow_task_completed): history recorded 1 command for this workflow task but the workflow code emitted 2; the first extra one is start_timer(seq 1, duration 30s)",
    );
  });

  it("changed inputs and durations are not non-determinism (only kind, seq and activity type are)", async () => {
    const retuned = defineWorkflow({
      name: "checkout",
      run: async (ctx, id: string) => {
        await ctx.executeActivity("reserve", `${id}-v2`, { startToCloseTimeout: "9s" });
        await Promise.all([ctx.executeActivity("charge", id), ctx.executeActivity("email", id)]);
        await ctx.sleep("2m");
        return "done";
      },
    });
    const { commands } = await activate(retuned, (await v1Histories()).build(), undefined, quiet);
    expect(commands).toEqual([{ type: "start_timer", seq: 1, duration: 120 }]);
  });

  it("a cached state that meets a mismatching history is marked broken and never reused", async () => {
    const h = await v1Histories();
    const t3 = await activate(v1, h.build(), undefined, quiet);
    expect(t3.state.broken).toBe(false);
    // The platform recorded something other than what this state emitted (another worker's code).
    h.complete([{ type: "start_timer", seq: 1, duration: 999 }, { type: "start_timer", seq: 2, duration: 1 }]).timerFired(1).task();
    await expect(activate(v1, h.build(), t3.state, quiet)).rejects.toBeInstanceOf(NonDeterminismError);
    expect(t3.state.broken).toBe(true);
    expect(canContinue(t3.state, v1, h.build())).toBe(false);
  });
});
