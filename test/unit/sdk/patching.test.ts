import { describe, expect, it } from "vitest";
import type { Command, HistoryEvent } from "@sundial/sdk/protocol";
import { NonDeterminismError, activate, defineWorkflow, queryWorkflow, type WorkflowDefinition } from "@sundial/sdk/workflow";
import { recordedCommandAt, verifyRecordedCommands } from "../../../sdk/src/workflow/command-matcher.ts";
import { driveTasks, HistoryBuilder } from "./helpers/history.ts";

// ctx.patched / ctx.deprecatePatch (Temporal's patching): history in, commands out.

const quiet = { logSink: () => {} };

/** v1: wait, then charge. */
const v1 = defineWorkflow({
  name: "checkout",
  run: async (ctx) => {
    await ctx.sleep("1m");
    await ctx.executeActivity("charge");
    return "v1";
  },
});

/** v2: the charge moved to a new activity behind a patch. */
const v2 = defineWorkflow({
  name: "checkout",
  run: async (ctx) => {
    await ctx.sleep("1m");
    if (ctx.patched("charge-v2")) {
      await ctx.executeActivity("charge_v2");
      return "v2";
    }
    await ctx.executeActivity("charge");
    return "v1";
  },
});

/** v3: only the new branch is left; the patch is deprecated. */
const v3 = defineWorkflow({
  name: "checkout",
  run: async (ctx) => {
    await ctx.sleep("1m");
    ctx.deprecatePatch("charge-v2");
    await ctx.executeActivity("charge_v2");
    return "v2";
  },
});

/** v4: the deprecatePatch call is gone too. */
const v4 = defineWorkflow({
  name: "checkout",
  run: async (ctx) => {
    await ctx.sleep("1m");
    await ctx.executeActivity("charge_v2");
    return "v2";
  },
});

const marker = (patchId: string, deprecated = false): Command => ({ type: "set_patch_marker", patch_id: patchId, deprecated });

/** Drives a run of `def` through its three tasks, each live (the first time), and returns the history and each task's commands. */
async function run(def: WorkflowDefinition): Promise<{ h: HistoryBuilder; tasks: Command[][] }> {
  const h = new HistoryBuilder({ workflow: "checkout", runId: "run-p" }).task();
  const tasks = await driveTasks(def, h, [(h) => h.advance(60_000).timerFired(1), (h) => h.activityCompleted(1, null)]);
  return { h, tasks };
}

/** Replays `h` (a history at the start of a task) with `def`, from scratch, and returns that task's commands. */
async function replay(def: WorkflowDefinition, h: HistoryBuilder): Promise<Command[]> {
  return (await activate(def, h.build(), undefined, quiet)).commands;
}

/** History up to the last task of a run, without that task's commands. */
async function historyOf(def: WorkflowDefinition): Promise<HistoryBuilder> {
  return (await run(def)).h;
}

const markersIn = (events: readonly HistoryEvent[]) => events.filter((e) => e.type === "marker_recorded");

describe("ctx.patched", () => {
  it("a new run records the marker and takes the new branch", async () => {
    const { h, tasks } = await run(v2);
    expect(tasks[1]).toEqual([marker("charge-v2"), { type: "schedule_activity", seq: 1, activity_type: "charge_v2", input: null, options: {} }]);
    expect(tasks[2]).toEqual([{ type: "complete_workflow", result: "v2" }]);
    expect(markersIn(h.build())).toEqual([expect.objectContaining({ patch_id: "charge-v2", deprecated: false })]);
  });

  it("replaying old history (no marker) with patched code takes the old branch, emits no marker, raises nothing", async () => {
    const old = await historyOf(v1);
    expect(markersIn(old.build())).toEqual([]);
    expect(await replay(v2, old)).toEqual([{ type: "complete_workflow", result: "v1" }]);
  });

  it("a run started under old code that reaches patched() in a task after the deploy takes the new branch: that task is live", async () => {
    const h = new HistoryBuilder({ workflow: "checkout", runId: "run-p" }).task();
    h.complete((await activate(v1, h.build(), undefined, quiet)).commands).advance(60_000).timerFired(1).task();
    // Temporal's rule: only replayed activations whose history lacks the marker answer false.
    expect(await replay(v2, h)).toEqual([marker("charge-v2"), { type: "schedule_activity", seq: 1, activity_type: "charge_v2", input: null, options: {} }]);
  });

  it("replaying history with the marker takes the new branch and matches the marker", async () => {
    const h = await historyOf(v2);
    expect(await replay(v2, h)).toEqual([{ type: "complete_workflow", result: "v2" }]);
  });

  it("answers per activation: a call replayed before the activation that recorded the marker still gets false", async () => {
    const twice = defineWorkflow({
      name: "twice",
      run: async (ctx) => {
        const first = ctx.patched("p");
        await ctx.sleep(1);
        const second = ctx.patched("p");
        await ctx.sleep(1);
        return [first, second, ctx.patched("p")];
      },
    });
    // Task 1 ran on code without the patch; task 2 on the patched code, live: it recorded the marker.
    const h = new HistoryBuilder({ workflow: "twice" }).task().complete([{ type: "start_timer", seq: 1, duration: 1 }]).timerFired(1).task();
    const t2 = await activate(twice, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([marker("p"), { type: "start_timer", seq: 2, duration: 1 }]);
    h.complete(t2.commands).timerFired(2).task();
    const t3 = await activate(twice, h.build(), undefined, quiet);
    expect(t3.commands).toEqual([{ type: "complete_workflow", result: [false, true, true] }]);
    // The same from the cached state (no replay): same answers.
    const cached = await activate(twice, h.build(), t2.state, quiet);
    expect(cached.fromCache).toBe(true);
    expect(cached.commands).toEqual(t3.commands);
  });

  it("memoizes per run: later calls answer the same and record no second marker, live and on replay", async () => {
    const many = defineWorkflow({
      name: "many",
      run: async (ctx) => {
        const answers = [ctx.patched("a"), ctx.patched("a")];
        ctx.setQueryHandler("answers", () => answers);
        await ctx.sleep(1);
        answers.push(ctx.patched("a"), ctx.patched("b"));
        return answers;
      },
    });
    const h = new HistoryBuilder({ workflow: "many" }).task();
    const t1 = await activate(many, h.build(), undefined, quiet);
    expect(t1.commands).toEqual([marker("a"), { type: "start_timer", seq: 1, duration: 1 }]);
    h.complete(t1.commands).timerFired(1).task();
    const t2 = await activate(many, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([marker("b"), { type: "complete_workflow", result: [true, true, true, true] }]);
    h.complete(t2.commands);
    expect(markersIn(h.build()).map((e) => e.patch_id)).toEqual(["a", "b"]);
    // A query replays the whole closed run: every marker matches, every answer is the same.
    expect(await queryWorkflow(many, h.build(), { name: "answers" }, quiet)).toEqual([true, true, true, true]);
  });

  it("a query on a task still in flight answers patched() as that task will, live", async () => {
    const seen = defineWorkflow({
      name: "seen",
      run: async (ctx) => {
        const branch = ctx.patched("p") ? "new" : "old";
        ctx.setQueryHandler("branch", () => branch);
        await ctx.sleep(1);
        return branch;
      },
    });
    const h = new HistoryBuilder({ workflow: "seen" }).task();
    expect(await queryWorkflow(seen, h.build(), { name: "branch" }, quiet)).toBe("new");
  });

  it("an invalid patch id fails the workflow task, not the run", async () => {
    const bad = defineWorkflow({
      name: "bad",
      run: async (ctx) => {
        try {
          ctx.patched("");
        } catch {
          // Swallowing the error does not let the task go on.
        }
        return "done";
      },
    });
    const tooLong = defineWorkflow({ name: "bad", run: async (ctx) => ctx.patched("x".repeat(201)) });
    const h = new HistoryBuilder({ workflow: "bad" }).task();
    await expect(activate(bad, h.build(), undefined, quiet)).rejects.toThrow('ctx.patched(): patch id "" is invalid: use a string of 1-200 characters');
    await expect(activate(tooLong, h.build(), undefined, quiet)).rejects.toThrow(/patch id "x+" is invalid/);
  });
});

describe("ctx.deprecatePatch", () => {
  it("live, records the marker as deprecated (and returns nothing)", async () => {
    const { tasks } = await run(v3);
    expect(tasks[1]).toEqual([marker("charge-v2", true), { type: "schedule_activity", seq: 1, activity_type: "charge_v2", input: null, options: {} }]);
    expect(tasks[2]).toEqual([{ type: "complete_workflow", result: "v2" }]);
  });

  it("replays a history with the marker (written by patched code) and one without it (written by code without the patch)", async () => {
    expect(await replay(v3, await historyOf(v2))).toEqual([{ type: "complete_workflow", result: "v2" }]);
    expect(await replay(v3, await historyOf(v4))).toEqual([{ type: "complete_workflow", result: "v2" }]);
    expect(await replay(v3, await historyOf(v3))).toEqual([{ type: "complete_workflow", result: "v2" }]);
  });
});

describe("a ctx.deprecatePatch() call that moved (Temporal core: replaying, no marker, deprecate_patch: allowed)", () => {
  /** v3 with the call after the activity is scheduled, in the same workflow task. */
  const v3Later = defineWorkflow({
    name: "checkout",
    run: async (ctx) => {
      await ctx.sleep("1m");
      const charged = ctx.executeActivity("charge_v2");
      ctx.deprecatePatch("charge-v2");
      await charged;
      return "v2";
    },
  });

  /** Four tasks: a wait, the patch and the charge, a second wait, the end. */
  const twoWaits = (deprecateAfterCharge: boolean, patched = false) =>
    defineWorkflow({
      name: "checkout",
      run: async (ctx) => {
        await ctx.sleep("1m");
        if (!deprecateAfterCharge) ctx.deprecatePatch("charge-v2");
        await ctx.executeActivity("charge_v2");
        if (deprecateAfterCharge && patched) ctx.patched("charge-v2");
        else if (deprecateAfterCharge) ctx.deprecatePatch("charge-v2");
        await ctx.sleep("1m");
        return "v2";
      },
    });

  async function fourTasks(def: WorkflowDefinition): Promise<HistoryBuilder> {
    const h = new HistoryBuilder({ workflow: "checkout", runId: "run-p" }).task();
    await driveTasks(def, h, [(h) => h.advance(60_000).timerFired(1), (h) => h.activityCompleted(1, null), (h) => h.advance(60_000).timerFired(2)]);
    return h;
  }

  it("later in the same task: the history's marker before the activity replays", async () => {
    expect(await replay(v3Later, await historyOf(v3))).toEqual([{ type: "complete_workflow", result: "v2" }]);
    // and the other way round: a marker recorded after the activity, the call moved before it
    expect(await replay(v3, await historyOf(v3Later))).toEqual([{ type: "complete_workflow", result: "v2" }]);
  });

  it("to a later task whose commands history recorded without it: replays, and no second marker is sent", async () => {
    const h = await fourTasks(twoWaits(false));
    expect(markersIn(h.build())).toHaveLength(1);
    expect(await replay(twoWaits(true), h)).toEqual([{ type: "complete_workflow", result: "v2" }]);
  });

  it("not against a history written by ctx.patched(): that marker is not deprecated and must stay where it was recorded", async () => {
    // Step 2 of the life cycle runs while runs started under ctx.patched() code are still open.
    const h = await historyOf(v2);
    const err = await replay(v3Later, h).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NonDeterminismError);
    expect(err).toMatchObject({ eventType: "marker_recorded", recorded: 'marker_recorded(patch_id "charge-v2")', emitted: 'schedule_activity(seq 1, activity_type "charge_v2")' });
    // The call moved before the marker's place: the message says where the marker went.
    const early = defineWorkflow({
      name: "checkout",
      run: async (ctx) => {
        ctx.deprecatePatch("charge-v2");
        await ctx.sleep("1m");
        await ctx.executeActivity("charge_v2");
        return "v2";
      },
    });
    const h2 = new HistoryBuilder({ workflow: "checkout", runId: "run-p" })
      .task()
      .complete([{ type: "start_timer", seq: 1, duration: 60 }, marker("charge-v2")])
      .advance(60_000)
      .timerFired(1)
      .task();
    const err2 = await replay(early, h2).then(() => undefined, (e: unknown) => e);
    expect(err2).toMatchObject({ eventType: "marker_recorded", recorded: 'marker_recorded(patch_id "charge-v2")', emitted: 'set_patch_marker(patch_id "charge-v2", deprecated)' });
    expect((err2 as Error).message).toContain("at another place in this workflow task: a marker that is not deprecated (written by ctx.patched()) must stay where history recorded it");
  });

  it("a ctx.patched() call moved to a later task is still a NonDeterminismError there: only deprecated markers may be missing", async () => {
    const h = await fourTasks(twoWaits(false));
    const err = await replay(twoWaits(true, true), h).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NonDeterminismError);
    expect(err).toMatchObject({ eventType: "timer_started", recorded: "timer_started(seq 2, duration 60s)", emitted: 'set_patch_marker(patch_id "charge-v2")' });
  });

  it("a command after the moved call is still read against its own recorded event (an input today's limit refuses, recorded by an older platform)", async () => {
    const old = "é".repeat(200_000); // 400,002 bytes of JSON: over today's limit, taken by the platform that recorded it
    const moved = defineWorkflow({
      name: "checkout",
      run: async (ctx) => {
        await ctx.sleep("1m");
        ctx.deprecatePatch("charge-v2");
        await ctx.executeActivity("upload", old);
        return "ok";
      },
    });
    const h = new HistoryBuilder({ workflow: "checkout", runId: "run-p" })
      .task()
      .complete([marker("charge-v2", true), { type: "start_timer", seq: 1, duration: 60 }])
      .advance(60_000)
      .timerFired(1)
      .task()
      .complete([{ type: "schedule_activity", seq: 1, activity_type: "upload", input: old, options: {} }])
      .activityCompleted(1, null)
      .task();
    expect(await replay(moved, h)).toEqual([{ type: "complete_workflow", result: "ok" }]);
  });

  it("two patch ids edited at once still line up: a marker written by deprecatePatch(a) matched by patched(a), with deprecatePatch(b) moved before it", async () => {
    // History (old code): deprecatePatch("a") recorded a deprecated marker. New code: a new
    // deprecatePatch("b") call first (no run has its marker: passed over), then patched("a") again.
    const events = new HistoryBuilder({ workflow: "checkout", runId: "run-p" }).task().complete([marker("a", true), { type: "start_timer", seq: 1, duration: 60 }]).build();
    const label = { workflow: "checkout", executionId: "e", runId: "run-p" };
    const emitted = [marker("b", true), marker("a"), { type: "start_timer", seq: 1, duration: 60 } as const];
    expect(() => verifyRecordedCommands(label, emitted, events)).not.toThrow();
    // Only deprecated markers may be passed over: the same with a non-deprecated b is an error.
    expect(() => verifyRecordedCommands(label, [marker("b"), marker("a"), emitted[2]!], events)).toThrow(NonDeterminismError);
  });

  it("the recorded event where the next command goes passes over an emitted deprecated marker history has not there", async () => {
    const events = (await historyOf(v4)).build();
    const recorded = events.filter((e) => e.type === "activity_scheduled");
    expect(recordedCommandAt(recorded, [marker("charge-v2", true)])?.type).toBe("activity_scheduled");
    expect(recordedCommandAt(recorded, [marker("charge-v2", false)])).toBeUndefined();
  });
});

describe("a marker in history the code no longer asks for", () => {
  it("a deprecated one is skipped", async () => {
    const h = await historyOf(v3);
    expect(markersIn(h.build())).toEqual([expect.objectContaining({ deprecated: true })]);
    expect(await replay(v4, h)).toEqual([{ type: "complete_workflow", result: "v2" }]);
  });

  it("one that is not deprecated is a NonDeterminismError naming the event", async () => {
    const h = await historyOf(v2);
    const id = markersIn(h.build())[0]!.id;
    const err = await replay(v4, h).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NonDeterminismError);
    expect(err).toMatchObject({ eventId: id, eventType: "marker_recorded", recorded: 'marker_recorded(patch_id "charge-v2")', emitted: 'schedule_activity(seq 1, activity_type "charge_v2")' });
  });

  it("a skipped deprecated marker does not shift what later commands are matched against", async () => {
    // After a reset or with a recorded child, the runtime reads the recorded event where the next
    // command goes: past a skipped marker, that is the event after it.
    const events = (await historyOf(v3)).build();
    const recorded = events.filter((e) => e.type === "marker_recorded" || e.type === "activity_scheduled");
    expect(recordedCommandAt(recorded, [])?.type).toBe("activity_scheduled");
    expect(recordedCommandAt(recorded, [marker("charge-v2", true)])?.type).toBe("activity_scheduled");
    expect(recordedCommandAt(recorded, [{ type: "schedule_activity", seq: 1, activity_type: "charge_v2", input: null, options: {} }])).toBeUndefined();
  });
});
