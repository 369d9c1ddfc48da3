import { describe, expect, it } from "vitest";
import type { Command } from "@sundial/sdk/protocol";
import { activate, defineWorkflow, type WorkflowState } from "@sundial/sdk/workflow";
import { driveTasks, HistoryBuilder, memorySink } from "./helpers/history.ts";

const quiet = { logSink: () => {} };

/** Records what the deterministic APIs return at each step into activity inputs. */
const stamps = defineWorkflow({
  name: "stamps",
  run: async (ctx) => {
    const first = { now: ctx.now().toISOString(), random: ctx.random(), uuid: ctx.uuid() };
    await ctx.executeActivity("record", first);
    await ctx.sleep("10m");
    const second = { now: ctx.now().toISOString(), random: ctx.random(), uuid: ctx.uuid() };
    await ctx.executeActivity("record", second);
    return [first, second];
  },
});

async function driveStamps(runId: string): Promise<{ history: HistoryBuilder; tasks: Command[][] }> {
  const h = new HistoryBuilder({ workflow: "stamps", runId }).task();
  const tasks = await driveTasks(stamps, h, [(h) => h.activityCompleted(1, null), (h) => h.advance(600_000).timerFired(1), (h) => h.activityCompleted(2, null)]);
  return { history: h, tasks };
}

describe("runtime: deterministic now, random and uuid", () => {
  it("now() is the batch's workflow_task_started time; random/uuid are identical on every replay", async () => {
    const { history, tasks } = await driveStamps("run-abc");
    const [first, second] = (tasks[3]![0] as Extract<Command, { type: "complete_workflow" }>).result as { now: string; random: number; uuid: string }[];
    const events = history.build();
    const starts = events.filter((e) => e.type === "workflow_task_started").map((e) => e.ts);
    expect(first!.now).toBe(starts[0]);
    expect(second!.now).toBe(starts[2]);
    expect(first!.random).toBeGreaterThanOrEqual(0);
    expect(first!.random).toBeLessThan(1);
    expect(first!.random).not.toBe(second!.random);
    expect(first!.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // The values recorded in the first task's command equal those seen when it was replayed 3 times.
    expect((tasks[0]![0] as Extract<Command, { type: "schedule_activity" }>).input).toEqual(first);
    expect((tasks[2]![0] as Extract<Command, { type: "schedule_activity" }>).input).toEqual(second);
  });

  it("the sequence depends on the run id (and only on it)", async () => {
    const a = await driveStamps("run-abc");
    const b = await driveStamps("run-abc");
    const c = await driveStamps("run-xyz");
    expect(b.tasks).toEqual(a.tasks);
    const uuidOf = (t: Command[][]) => ((t[0]![0] as Extract<Command, { type: "schedule_activity" }>).input as { uuid: string }).uuid;
    expect(uuidOf(c.tasks)).not.toBe(uuidOf(a.tasks));
  });
});

describe("runtime: logging", () => {
  const chatty = defineWorkflow({
    name: "chatty",
    run: async (ctx) => {
      ctx.log.info(`step 1 replaying=${ctx.isReplaying}`);
      await ctx.sleep(5);
      ctx.log.warn("step 2");
      await ctx.sleep(5);
      ctx.log.error("step 3");
      return null;
    },
  });

  it("writes each line once: only in the task that first runs the code, never during replay", async () => {
    const mem = memorySink();
    const opts = { logSink: mem.sink };
    const h = new HistoryBuilder({ workflow: "chatty" }).task();
    const t1 = await activate(chatty, h.build(), undefined, opts);
    expect(mem.lines).toEqual(["info: step 1 replaying=false"]);
    h.complete(t1.commands).timerFired(1).task();
    const t2 = await activate(chatty, h.build(), undefined, opts);
    expect(mem.lines).toEqual(["info: step 1 replaying=false", "warn: step 2"]);
    h.complete(t2.commands).timerFired(2).task();
    await activate(chatty, h.build(), undefined, opts);
    expect(mem.lines).toEqual(["info: step 1 replaying=false", "warn: step 2", "error: step 3"]);
  });

  it("the run's identifying tags win over user attributes of the same name, which are kept renamed attr_<name>", async () => {
    const logged: Record<string, unknown>[] = [];
    const spoofer = defineWorkflow({
      name: "spoofer",
      run: async (ctx) => {
        ctx.log.info("hello", { workflow: "other", execution_id: "someone-else", run_id: "r-x", order: 7 });
        ctx.log.info("plain");
        return null;
      },
    });
    const h = new HistoryBuilder({ workflow: "spoofer", executionId: "sp-1", runId: "run-sp" }).task();
    await activate(spoofer, h.build(), undefined, { logSink: (_level, _message, attrs) => void logged.push(attrs) });
    const tags = { workflow: "spoofer", execution_id: "sp-1", run_id: "run-sp" };
    expect(logged).toEqual([{ ...tags, order: 7, attr_workflow: "other", attr_execution_id: "someone-else", attr_run_id: "r-x" }, tags]);
  });
});

describe("runtime: cached state", () => {
  it("continuing from the cached state gives the same commands as a full replay, task after task", async () => {
    const h = new HistoryBuilder({ workflow: "stamps", runId: "run-cache" }).task();
    let state: WorkflowState | undefined;
    const steps: ((b: HistoryBuilder) => void)[] = [
      (b) => b.activityCompleted(1, null),
      (b) => b.advance(600_000).timerFired(1),
      (b) => b.activityCompleted(2, null),
    ];
    let cached = await activate(stamps, h.build(), undefined, quiet);
    state = cached.state;
    for (const step of steps) {
      h.complete(cached.commands);
      step(h);
      h.task();
      const replayed = await activate(stamps, h.build(), undefined, quiet);
      cached = await activate(stamps, h.build(), state, quiet);
      expect(cached.fromCache).toBe(true);
      expect(replayed.fromCache).toBe(false);
      expect(cached.commands).toEqual(replayed.commands);
      state = cached.state;
    }
    expect(cached.commands[0]?.type).toBe("complete_workflow");
  });

  it("continues the cached state of a run made by a reset (its history starts with the original run's execution_started)", async () => {
    const h = new HistoryBuilder({ workflow: "stamps", runId: "run-before-reset" }).task();
    const t1 = await activate(stamps, h.build(), undefined, quiet);
    h.complete(t1.commands).activityCompleted(1, null).task().reset().task();
    const afterReset = { ...quiet, runId: "run-after-reset", runNumber: 2 };
    const t2 = await activate(stamps, h.build(), undefined, afterReset);
    h.complete(t2.commands).advance(600_000).timerFired(1).task();
    const replayed = await activate(stamps, h.build(), undefined, afterReset);
    const cached = await activate(stamps, h.build(), t2.state, afterReset);
    expect(cached.fromCache).toBe(true);
    expect(cached.commands).toEqual(replayed.commands);
  });

  it("replays in full when the cached task was not completed (timed out, then retried)", async () => {
    const h = new HistoryBuilder({ workflow: "stamps", runId: "run-retry" }).task();
    const t1 = await activate(stamps, h.build(), undefined, quiet);
    // The worker's completion never arrived: the platform timed the task out and scheduled another.
    h.timeoutTask().task({ attempt: 2 });
    const t2 = await activate(stamps, h.build(), t1.state, quiet);
    expect(t2.fromCache).toBe(false);
    // The retry saw the merged batch, so its now() is the second start time.
    const starts = h.build().filter((e) => e.type === "workflow_task_started");
    expect(t2.commands).toMatchObject([{ type: "schedule_activity", input: { now: starts[1]!.ts } }]);
  });

  it("replays in full when the cached state is not a prefix of the new history", async () => {
    const h1 = new HistoryBuilder({ workflow: "stamps", runId: "run-p" }).task();
    const t1 = await activate(stamps, h1.build(), undefined, quiet);
    const other = new HistoryBuilder({ workflow: "stamps", runId: "run-q" }).task();
    const o1 = await activate(stamps, other.build(), undefined, quiet);
    other.complete(o1.commands).activityCompleted(1, null).task();
    const mixed = await activate(stamps, other.build(), t1.state, quiet);
    expect(mixed.fromCache).toBe(false);
  });

  it("a failed workflow task attempt is skipped on replay: the retry's batch is what counts", async () => {
    const h = new HistoryBuilder({ workflow: "stamps", runId: "run-f" }).task();
    const t1 = await activate(stamps, h.build(), undefined, quiet);
    h.complete(t1.commands).activityCompleted(1, null).task().failTask("worker crashed").task({ attempt: 2 });
    const t2 = await activate(stamps, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([{ type: "start_timer", seq: 1, duration: 600 }]);
    h.complete(t2.commands).timerFired(1).task();
    const t3 = await activate(stamps, h.build(), undefined, quiet);
    expect(t3.commands.map((c) => c.type)).toEqual(["schedule_activity"]);
  });
});

describe("runtime: continue-as-new suggestion", () => {
  const watcher = defineWorkflow({
    name: "watcher",
    run: async (ctx) => {
      await ctx.sleep(1);
      return ctx.continueAsNewSuggested;
    },
  });

  it("reads the recorded flag on replay and the task's flag when none is recorded", async () => {
    const h = new HistoryBuilder({ workflow: "watcher" }).task();
    const t1 = await activate(watcher, h.build(), undefined, { ...quiet, continueAsNewSuggested: false });
    h.complete(t1.commands).timerFired(1).task({ suggestContinueAsNew: true });
    const t2 = await activate(watcher, h.build(), undefined, { ...quiet, continueAsNewSuggested: false });
    expect(t2.commands).toEqual([{ type: "complete_workflow", result: true }]);
    const h2 = new HistoryBuilder({ workflow: "watcher" }).task();
    const u1 = await activate(watcher, h2.build(), undefined, quiet);
    h2.complete(u1.commands).timerFired(1).task();
    const u2 = await activate(watcher, h2.build(), undefined, { ...quiet, continueAsNewSuggested: true });
    expect(u2.commands).toEqual([{ type: "complete_workflow", result: true }]);
  });
});

describe("ctx.runId", () => {
  const ids = defineWorkflow({
    name: "ids",
    run: async (ctx) => {
      await ctx.executeActivity("record", { runId: ctx.runId, random: ctx.random() });
      return null;
    },
  });

  it("is the task's run, also after a reset (its kept history still starts with the original run's execution_started); random() keeps the original seed", async () => {
    const h = new HistoryBuilder({ workflow: "ids", runId: "run-original" }).task();
    const original = await activate(ids, h.build(), undefined, quiet);
    const reset = await activate(ids, h.build(), undefined, { ...quiet, runId: "run-after-reset", runNumber: 2 });
    const input = (c: Command[]) => (c[0] as { input: { runId: string; random: number } }).input;
    expect(input(original.commands).runId).toBe("run-original");
    expect(input(reset.commands).runId).toBe("run-after-reset");
    // The replayed code sees the same random values as the run that recorded the kept history.
    expect(input(reset.commands).random).toBe(input(original.commands).random);
  });
});
