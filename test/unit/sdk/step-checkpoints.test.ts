import { afterEach, describe, expect, it, vi } from "vitest";
import { Command } from "@sundial/sdk/protocol";
import { activate, defineWorkflow, STEP_CHECKPOINT } from "@sundial/sdk/workflow";
import { HistoryBuilder } from "./helpers/history.ts";

// Step checkpoints, history in / commands out: a workflow task that runs many steps, large ones
// or long ones stops to record them (a zero-length timer) and goes on in the next task, so the
// task's completion stays small and a crash re-runs at most one checkpoint's worth of steps.

const quiet = { logSink: () => {} };
const checkpoint = (seq: number) => ({ type: "start_timer", seq, duration: 0 });

afterEach(() => {
  vi.useRealTimers();
});

describe("step checkpoints", () => {
  it(`after ${STEP_CHECKPOINT.steps} steps a task checkpoints; every step runs once and replays from history`, async () => {
    let ran = 0;
    const wf = defineWorkflow({
      name: "many-steps",
      run: async (ctx) => {
        let sum = 0;
        for (let i = 1; i <= 250; i++) sum += (await ctx.step.run("add", (k: number) => (ran++, k), i)) as number;
        return sum;
      },
    });
    const h = new HistoryBuilder({ workflow: "many-steps" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands).toHaveLength(101);
    expect(t1.commands.slice(0, 2)).toEqual([{ type: "record_step", seq: 1, name: "add", result: 1 }, { type: "record_step", seq: 2, name: "add", result: 2 }]);
    expect(t1.commands[100]).toEqual(checkpoint(1));
    for (const cmd of t1.commands) expect(Command.safeParse(cmd).success).toBe(true);
    expect(ran).toBe(100);

    h.complete(t1.commands).timerFired(1).task();
    const t2 = await activate(wf, h.build(), t1.state, quiet);
    expect(t2.fromCache).toBe(true);
    expect(t2.commands.map((c) => c.type)).toEqual([...Array<string>(100).fill("record_step"), "start_timer"]);
    expect(t2.commands[0]).toEqual({ type: "record_step", seq: 101, name: "add", result: 101 });
    expect(t2.commands[100]).toEqual(checkpoint(2));
    expect(ran).toBe(200);

    h.complete(t2.commands).timerFired(2).task();
    const t3 = await activate(wf, h.build(), t2.state, quiet);
    expect(t3.commands).toHaveLength(51);
    expect(t3.commands[50]).toEqual({ type: "complete_workflow", result: (250 * 251) / 2 });
    expect(ran).toBe(250);

    // A worker without the cache replays: the 200 recorded steps come from history, checkpoints
    // where history has them, and only the task being processed runs its 50 steps again.
    const replayed = await activate(wf, h.build(), undefined, quiet);
    expect(replayed.fromCache).toBe(false);
    expect(replayed.commands).toEqual(t3.commands);
    expect(ran).toBe(300);
  });

  it(`once a task's step values reach ${STEP_CHECKPOINT.bytes} bytes of JSON, the next step waits for a checkpoint`, async () => {
    const big = "x".repeat(200_000);
    const wf = defineWorkflow({
      name: "big-steps",
      run: async (ctx) => {
        const sizes: number[] = [];
        for (let i = 0; i < 4; i++) sizes.push(((await ctx.step.run("blob", () => big)) as string).length);
        return sizes;
      },
    });
    const h = new HistoryBuilder({ workflow: "big-steps" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    // 3 × 200,002 bytes ≥ 512 KiB: the 4th step goes to the next task.
    expect(t1.commands.map((c) => c.type)).toEqual(["record_step", "record_step", "record_step", "start_timer"]);
    expect(JSON.stringify(t1.commands).length).toBeLessThan(1_048_576);
    h.complete(t1.commands).timerFired(1).task();
    const t2 = await activate(wf, h.build(), undefined, quiet);
    expect(t2.commands.map((c) => c.type)).toEqual(["record_step", "complete_workflow"]);
    expect(t2.commands[1]).toEqual({ type: "complete_workflow", result: [200_000, 200_000, 200_000, 200_000] });
  });

  it(`a task that has run steps for ${STEP_CHECKPOINT.ms / 1000} s checkpoints; a replay follows history's checkpoints, not the clock`, async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse("2027-01-01T09:00:00Z"));
    let ran = 0;
    const wf = defineWorkflow({
      name: "slow-steps",
      run: async (ctx) => {
        const a = await ctx.step.run("slow", () => {
          ran++;
          vi.setSystemTime(Date.now() + STEP_CHECKPOINT.ms + 1);
          return "a";
        });
        const b = await ctx.step.run("quick", () => (ran++, "b"));
        return a + b;
      },
    });
    const h = new HistoryBuilder({ workflow: "slow-steps" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands).toEqual([{ type: "record_step", seq: 1, name: "slow", result: "a" }, checkpoint(1)]);
    vi.useRealTimers();
    h.complete(t1.commands).timerFired(1).task();
    // Replayed in no time at all, the first task still stops where history says it did.
    const t2 = await activate(wf, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([{ type: "record_step", seq: 2, name: "quick", result: "b" }, { type: "complete_workflow", result: "ab" }]);
    expect(ran).toBe(2);
  });

  it("a history recorded without a checkpoint replays without one (the rule never overrides history)", async () => {
    const wf = defineWorkflow({
      name: "old-run",
      run: async (ctx) => {
        for (let i = 0; i < 120; i++) await ctx.step.run("s", () => i);
        await ctx.sleep("1m");
        return "done";
      },
    });
    const steps: Command[] = Array.from({ length: 120 }, (_, i) => ({ type: "record_step", seq: i + 1, name: "s", result: i }));
    const h = new HistoryBuilder({ workflow: "old-run" }).task().complete([...steps, { type: "start_timer", seq: 1, duration: 60 }]).timerFired(1).task();
    const t = await activate(wf, h.build(), undefined, quiet);
    expect(t.commands).toEqual([{ type: "complete_workflow", result: "done" }]);
  });

  it("concurrent steps called after the rule fired all wait for the one checkpoint and keep call order", async () => {
    const wf = defineWorkflow({
      name: "fan-out",
      run: async (ctx) => {
        for (let i = 0; i < STEP_CHECKPOINT.steps; i++) await ctx.step.run("warm", () => i);
        return Promise.all(["a", "b", "c"].map((x) => ctx.step.run(x, () => x.toUpperCase())));
      },
    });
    const h = new HistoryBuilder({ workflow: "fan-out" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands.at(-1)).toEqual(checkpoint(1));
    expect(t1.commands.filter((c) => c.type === "start_timer")).toHaveLength(1);
    h.complete(t1.commands).timerFired(1).task();
    const t2 = await activate(wf, h.build(), t1.state, quiet);
    expect(t2.commands).toEqual([
      { type: "record_step", seq: 101, name: "a", result: "A" },
      { type: "record_step", seq: 102, name: "b", result: "B" },
      { type: "record_step", seq: 103, name: "c", result: "C" },
      { type: "complete_workflow", result: ["A", "B", "C"] },
    ]);
  });

  it("a cancel request while steps wait for a checkpoint cancels the checkpoint timer and rejects those steps with CancelledError", async () => {
    let ran = 0;
    const wf = defineWorkflow({
      name: "cancel-at-checkpoint",
      run: async (ctx) => {
        for (let i = 0; i < STEP_CHECKPOINT.steps + 1; i++) await ctx.step.run("s", () => (ran++, i));
        return "finished";
      },
    });
    const h = new HistoryBuilder({ workflow: "cancel-at-checkpoint" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands.at(-1)).toEqual(checkpoint(1));
    h.complete(t1.commands).cancelRequested().task();
    const t2 = await activate(wf, h.build(), t1.state, quiet);
    expect(t2.commands).toEqual([{ type: "cancel_timer", seq: 1 }, { type: "cancel_workflow" }]);
    expect(ran).toBe(STEP_CHECKPOINT.steps);
  });
});
