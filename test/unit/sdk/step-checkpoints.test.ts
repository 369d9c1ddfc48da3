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
    // 2 × 200,002 bytes ≥ 256 KiB: the 3rd step goes to the next task.
    expect(t1.commands.map((c) => c.type)).toEqual(["record_step", "record_step", "start_timer"]);
    h.complete(t1.commands).timerFired(1).task();
    const t2 = await activate(wf, h.build(), undefined, quiet);
    expect(t2.commands.map((c) => c.type)).toEqual(["record_step", "record_step", "complete_workflow"]);
    expect(t2.commands[2]).toEqual({ type: "complete_workflow", result: [200_000, 200_000, 200_000, 200_000] });
  });

  it("sequential steps of the largest size a value may have, then a large activity input, still fit one completion", async () => {
    const wf = defineWorkflow({
      name: "max-steps",
      run: async (ctx) => {
        for (let i = 0; i < 3; i++) await ctx.step.run("blob", () => "é".repeat(131_000)); // 262,002 bytes of UTF-8
        return ctx.executeActivity("upload", "y".repeat(262_000));
      },
    });
    const h = new HistoryBuilder({ workflow: "max-steps" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands.map((c) => c.type)).toEqual(["record_step", "record_step", "start_timer"]);
    h.complete(t1.commands).timerFired(1).task();
    const t2 = await activate(wf, h.build(), t1.state, quiet);
    expect(t2.commands.map((c) => c.type)).toEqual(["record_step", "schedule_activity"]);
    for (const t of [t1, t2]) expect(new TextEncoder().encode(JSON.stringify({ task_token: "t".repeat(300), commands: t.commands })).length).toBeLessThan(1_048_576);
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

  it(`a fan-out of 250 concurrent steps is recorded ${STEP_CHECKPOINT.steps} per task, in call order`, async () => {
    let ran = 0;
    const wf = defineWorkflow({
      name: "fan-out",
      run: async (ctx) => {
        const all = await Promise.all(Array.from({ length: 250 }, (_, i) => ctx.step.run(`s${i + 1}`, () => (ran++, i + 1))));
        return all.reduce((a, b) => (a as number) + (b as number), 0);
      },
    });
    const h = new HistoryBuilder({ workflow: "fan-out" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands.map((c) => c.type)).toEqual([...Array<string>(100).fill("record_step"), "start_timer"]);
    expect(ran).toBe(100);
    h.complete(t1.commands).timerFired(1).task();
    const t2 = await activate(wf, h.build(), t1.state, quiet);
    expect(t2.commands[0]).toEqual({ type: "record_step", seq: 101, name: "s101", result: 101 });
    expect(t2.commands.at(-1)).toEqual(checkpoint(2));
    h.complete(t2.commands).timerFired(2).task();
    const t3 = await activate(wf, h.build(), undefined, quiet);
    expect(t3.commands.at(-1)).toEqual({ type: "complete_workflow", result: (250 * 251) / 2 });
    expect(t3.commands.filter((c) => c.type === "record_step").map((c) => (c as { seq: number }).seq)).toEqual(Array.from({ length: 50 }, (_, i) => 201 + i));
    expect(ran).toBe(250); // task 3 from history alone: the 200 recorded steps did not run again
  });

  it("a step a signal handler calls while others wait for a checkpoint waits too, and runs after them", async () => {
    const wf = defineWorkflow({
      name: "signal-at-checkpoint",
      run: async (ctx) => {
        const order: string[] = [];
        ctx.setSignalHandler("extra", async () => {
          order.push((await ctx.step.run("from-signal", () => "signal")) as string);
        });
        for (let i = 0; i < STEP_CHECKPOINT.steps + 1; i++) order.push((await ctx.step.run("main", () => `main-${i}`)) as string);
        await ctx.waitCondition(() => order.length === STEP_CHECKPOINT.steps + 2);
        return order.slice(-2);
      },
    });
    const h = new HistoryBuilder({ workflow: "signal-at-checkpoint" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands.at(-1)).toEqual(checkpoint(1));
    h.complete(t1.commands).signal("extra").task();
    const t2 = await activate(wf, h.build(), t1.state, quiet);
    expect(t2.commands).toEqual([]);
    h.complete(t2.commands).timerFired(1).task();
    const t3 = await activate(wf, h.build(), t2.state, quiet);
    expect(t3.commands).toEqual([
      { type: "record_step", seq: 101, name: "main", result: "main-100" },
      { type: "record_step", seq: 102, name: "from-signal", result: "signal" },
      { type: "complete_workflow", result: ["main-100", "signal"] },
    ]);
    // And the same from history alone.
    expect((await activate(wf, h.build(), undefined, quiet)).commands).toEqual(t3.commands);
  });

  it("a cancel request does not cancel a checkpoint: steps were never cancellable, so the waiting ones still run", async () => {
    let ran = 0;
    const wf = defineWorkflow({
      name: "cancel-at-checkpoint",
      run: async (ctx) => {
        for (let i = 0; i < STEP_CHECKPOINT.steps + 1; i++) await ctx.step.run("s", () => (ran++, i));
        return ctx.cancelRequested ? "finished, cancel seen" : "finished";
      },
    });
    const h = new HistoryBuilder({ workflow: "cancel-at-checkpoint" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands.at(-1)).toEqual(checkpoint(1));
    h.complete(t1.commands).cancelRequested().task();
    const t2 = await activate(wf, h.build(), t1.state, quiet);
    expect(t2.commands).toEqual([]);
    h.complete(t2.commands).timerFired(1).task();
    const t3 = await activate(wf, h.build(), t2.state, quiet);
    expect(t3.commands).toEqual([{ type: "record_step", seq: 101, name: "s", result: 100 }, { type: "complete_workflow", result: "finished, cancel seen" }]);
    expect(ran).toBe(STEP_CHECKPOINT.steps + 1);
  });
});
