import { describe, expect, it } from "vitest";
import { Command } from "@sundial/sdk/protocol";
import { ApplicationFailure, NonDeterminismError, activate, defineWorkflow, queryWorkflow } from "@sundial/sdk/workflow";
import { HistoryBuilder } from "./helpers/history.ts";

// ctx.step.run (Polos' durable steps), history in / commands out: a step runs in the worker during
// the workflow task and its outcome is recorded; replays return the recorded outcome.

const quiet = { logSink: () => {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A counter per step name: how often the function really ran. */
function calls() {
  const n = new Map<string, number>();
  return {
    count: (name: string) => n.get(name) ?? 0,
    hit: (name: string) => n.set(name, (n.get(name) ?? 0) + 1),
  };
}

describe("ctx.step.run", () => {
  it("runs the step live, records its outcome (JSON, as replays will see it) and goes on in the same task", async () => {
    const c = calls();
    const report = defineWorkflow({
      name: "daily-report",
      run: async (ctx) => {
        const data = await ctx.step.run("fetch_data", async () => {
          c.hit("fetch_data");
          await sleep(5);
          return { rows: 3, at: new Date("2027-01-01T09:00:00Z") };
        });
        const doubled = await ctx.step.run("generate", (d: { rows: number }, k: number) => d.rows * k, data, 2);
        return { data, doubled };
      },
    });
    const { commands } = await activate(report, new HistoryBuilder({ workflow: "daily-report" }).task().build(), undefined, quiet);
    expect(commands).toEqual([
      { type: "record_step", seq: 1, name: "fetch_data", result: { rows: 3, at: "2027-01-01T09:00:00.000Z" } },
      { type: "record_step", seq: 2, name: "generate", result: 6 },
      { type: "complete_workflow", result: { data: { rows: 3, at: "2027-01-01T09:00:00.000Z" }, doubled: 6 } },
    ]);
    // What the worker sends is valid on the wire.
    for (const cmd of commands) expect(Command.safeParse(cmd).success).toBe(true);
    expect(c.count("fetch_data")).toBe(1);
  });

  it("a replay returns the recorded outcome and never runs the step again", async () => {
    const c = calls();
    const wf = defineWorkflow({
      name: "steps-then-sleep",
      run: async (ctx) => {
        const v = await ctx.step.run("roll", () => {
          c.hit("roll");
          return Math.random();
        });
        await ctx.sleep("1m");
        return v;
      },
    });
    const h = new HistoryBuilder({ workflow: "steps-then-sleep" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    const rolled = (t1.commands[0] as { result: number }).result;
    expect(t1.commands.map((x) => x.type)).toEqual(["record_step", "start_timer"]);
    h.complete(t1.commands).timerFired(1).task();
    // No cache: the whole history is replayed; the step's value comes from history.
    const t2 = await activate(wf, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([{ type: "complete_workflow", result: rolled }]);
    expect(c.count("roll")).toBe(1);
    // From the cached state of task 1: only the new events are fed, and the step's record matches.
    const cached = await activate(wf, h.build(), t1.state, quiet);
    expect(cached.fromCache).toBe(true);
    expect(cached.commands).toEqual([{ type: "complete_workflow", result: rolled }]);
    expect(c.count("roll")).toBe(1);
    // A query replays too, without running it.
    const q = defineWorkflow({ name: "steps-then-sleep", run: async (ctx) => {
      let seen: unknown = null;
      ctx.setQueryHandler("value", () => seen);
      seen = await ctx.step.run("roll", () => c.hit("roll"));
      await ctx.sleep("1m");
      return seen;
    } });
    expect(await queryWorkflow(q, h.build(), { name: "value" }, quiet)).toBe(rolled);
    expect(c.count("roll")).toBe(1);
  });

  it("concurrent steps are recorded in call order and settle together, so a race is decided the same way live and on replay", async () => {
    const wf = defineWorkflow({
      name: "race",
      run: async (ctx) => {
        const slow = ctx.step.run("slow", async () => {
          await sleep(30);
          return "slow";
        });
        const fast = ctx.step.run("fast", async () => "fast");
        const winner = await Promise.race([slow, fast]);
        const both = await Promise.all([slow, fast]);
        await ctx.sleep("1s");
        return { winner, both };
      },
    });
    const h = new HistoryBuilder({ workflow: "race" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands.slice(0, 2)).toEqual([
      { type: "record_step", seq: 1, name: "slow", result: "slow" },
      { type: "record_step", seq: 2, name: "fast", result: "fast" },
    ]);
    h.complete(t1.commands).timerFired(1).task();
    const t2 = await activate(wf, h.build(), undefined, quiet);
    const live = t2.commands[0] as { result: { winner: string } };
    expect(live).toEqual({ type: "complete_workflow", result: { winner: "slow", both: ["slow", "fast"] } });
  });

  it("a step that throws records the failure; the workflow gets an ApplicationFailure, live and on replay alike", async () => {
    let runs = 0;
    const wf = defineWorkflow({
      name: "flaky-step",
      run: async (ctx) => {
        let caught: string;
        try {
          await ctx.step.run("call_api", () => {
            runs++;
            throw new TypeError("503 from upstream");
          });
          caught = "no error";
        } catch (err) {
          caught = `${(err as Error).constructor.name}: ${(err as Error).message}`;
          expect(err).toBeInstanceOf(ApplicationFailure);
        }
        await ctx.sleep("1s");
        return caught;
      },
    });
    const h = new HistoryBuilder({ workflow: "flaky-step" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands[0]).toMatchObject({ type: "record_step", seq: 1, name: "call_api", failure: { message: "503 from upstream", type: "TypeError" } });
    expect(t1.commands[0]).not.toHaveProperty("result");
    h.complete(t1.commands).timerFired(1).task();
    const t2 = await activate(wf, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([{ type: "complete_workflow", result: "ApplicationFailure: 503 from upstream" }]);
    expect(runs).toBe(1);
  });

  it("a value the platform would refuse (too large, not JSON) is recorded as the step's failure, so a retried task does not run it again", async () => {
    const wf = defineWorkflow({
      name: "refused-values",
      run: async (ctx) => {
        const outcomes: string[] = [];
        for (const [name, fn] of [
          ["huge", () => "x".repeat(300_000)],
          ["bigint", () => ({ n: 1n })],
          ["bad_details", () => { throw new ApplicationFailure("upstream said no", { type: "Upstream", details: [{ n: 2n }] }); }],
        ] as const) {
          try {
            await ctx.step.run(name, fn as () => unknown);
            outcomes.push(`${name}: ok`);
          } catch (err) {
            outcomes.push(`${name}: ${(err as ApplicationFailure).type}`);
          }
        }
        return outcomes;
      },
    });
    const { commands } = await activate(wf, new HistoryBuilder({ workflow: "refused-values" }).task().build(), undefined, quiet);
    expect(commands.slice(0, 3).map((c) => (c as { failure?: { type: string; non_retryable: boolean; details?: unknown } }).failure)).toEqual([
      expect.objectContaining({ type: "StepResultTooLarge", non_retryable: true }),
      expect.objectContaining({ type: "StepResultNotJson", non_retryable: true }),
      { message: "upstream said no", type: "Upstream", non_retryable: false, details: { truncated: true, bytes: null } },
    ]);
    expect(commands[3]).toEqual({ type: "complete_workflow", result: ["huge: StepResultTooLarge", "bigint: StepResultNotJson", "bad_details: Upstream"] });
    // Everything sent is JSON the wire accepts.
    expect(() => JSON.stringify(commands)).not.toThrow();
  });

  it("replaying code whose steps differ from history is a NonDeterminismError naming both, and the new step never runs", async () => {
    const v1 = defineWorkflow({
      name: "steps-v",
      run: async (ctx) => {
        await ctx.step.run("fetch", () => 1);
        await ctx.sleep("1s");
        return "v1";
      },
    });
    const h = new HistoryBuilder({ workflow: "steps-v", runId: "run-s" }).task();
    h.complete((await activate(v1, h.build(), undefined, quiet)).commands).timerFired(1).task();

    let renamedRan = false;
    const renamed = defineWorkflow({
      name: "steps-v",
      run: async (ctx) => {
        await ctx.step.run("download", () => (renamedRan = true));
        await ctx.sleep("1s");
        return "v2";
      },
    });
    const err = await activate(renamed, h.build(), undefined, quiet).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NonDeterminismError);
    expect((err as Error).message).toContain('history recorded step_recorded(seq 1, name "fetch") but the workflow code emitted record_step(seq 1, name "download")');

    let addedRan = false;
    const added = defineWorkflow({
      name: "steps-v",
      run: async (ctx) => {
        await ctx.step.run("fetch", () => 1);
        await ctx.step.run("extra", () => (addedRan = true));
        await ctx.sleep("1s");
        return "v3";
      },
    });
    const err2 = await activate(added, h.build(), undefined, quiet).then(() => null, (e: unknown) => e);
    expect(err2).toBeInstanceOf(NonDeterminismError);
    expect((err2 as Error).message).toContain('record_step(seq 2, name "extra")');
    expect(addedRan).toBe(false);
    expect(renamedRan).toBe(false);
  });

  it("a step called after the run's closing command does not run (nothing could record it)", async () => {
    let ran = false;
    const wf = defineWorkflow({
      name: "after-close",
      run: async (ctx) => {
        try {
          return ctx.continueAsNew({ n: 2 });
        } finally {
          void ctx.step.run("cleanup", () => (ran = true));
        }
      },
    });
    const { commands } = await activate(wf, new HistoryBuilder({ workflow: "after-close" }).task().build(), undefined, quiet);
    expect(commands).toEqual([{ type: "continue_as_new", input: { n: 2 } }]);
    expect(ran).toBe(false);
  });

  it("rejects a bad name or a non-function before numbering the step", async () => {
    const wf = defineWorkflow({
      name: "bad-steps",
      run: async (ctx) => {
        const errors: string[] = [];
        for (const [name, fn] of [["has space", () => 1], ["ok", 42]] as const) {
          try {
            await ctx.step.run(name, fn as never);
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
        await ctx.step.run("fine", () => 1);
        return errors;
      },
    });
    const { commands } = await activate(wf, new HistoryBuilder({ workflow: "bad-steps" }).task().build(), undefined, quiet);
    expect(commands).toEqual([
      { type: "record_step", seq: 1, name: "fine", result: 1 },
      { type: "complete_workflow", result: ['ctx.step.run(): name "has space" is invalid: use 1-200 letters, digits and . _ : -, starting with a letter or digit', 'ctx.step.run("ok"): the step must be a function'] },
    ]);
  });

  it("a step with a timeout that does not finish in time is recorded as StepTimedOut; a replay never runs it", async () => {
    let started = 0;
    const wf = defineWorkflow({
      name: "slow-step",
      run: async (ctx) => {
        let outcome: string;
        try {
          await ctx.step.run("hangs", { timeout: 0.05 }, async (ms: number) => {
            started++;
            await sleep(ms);
            return "late";
          }, 300);
          outcome = "finished";
        } catch (err) {
          outcome = `${(err as ApplicationFailure).type}: ${(err as Error).message}`;
        }
        const quick = await ctx.step.run("quick", { timeout: "10s" }, (n: number) => n * 2, 21);
        await ctx.sleep("1m");
        return { outcome, quick };
      },
    });
    const h = new HistoryBuilder({ workflow: "slow-step" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands).toEqual([
      { type: "record_step", seq: 1, name: "hangs", failure: { message: 'step "hangs" did not finish within 0.05s; its function may still be running', type: "StepTimedOut", non_retryable: true } },
      { type: "record_step", seq: 2, name: "quick", result: 42 },
      { type: "start_timer", seq: 1, duration: 60 },
    ]);
    h.complete(t1.commands).timerFired(1).task();
    const t2 = await activate(wf, h.build(), undefined, quiet);
    expect(t2.commands).toEqual([{ type: "complete_workflow", result: { outcome: 'StepTimedOut: step "hangs" did not finish within 0.05s; its function may still be running', quick: 42 } }]);
    expect(started).toBe(1);
  });

  it("step options are checked before the step is numbered: unknown keys and bad timeouts are TypeErrors", async () => {
    const wf = defineWorkflow({
      name: "bad-options",
      run: async (ctx) => {
        const errors: string[] = [];
        for (const options of [{ retries: 3 }, { timeout: 0 }, { timeout: "soon" }, { timeout: "25d" }, new Map()]) {
          try {
            await ctx.step.run("s", options as never, () => 1);
          } catch (err) {
            errors.push(`${(err as Error).name}: ${(err as Error).message}`);
          }
        }
        return [errors, await ctx.step.run("ok", {}, () => "fine")];
      },
    });
    const { commands } = await activate(wf, new HistoryBuilder({ workflow: "bad-options" }).task().build(), undefined, quiet);
    expect(commands[0]).toEqual({ type: "record_step", seq: 1, name: "ok", result: "fine" });
    const [errors] = (commands[1] as { result: [string[]] }).result;
    expect(errors).toHaveLength(5);
    expect(errors[0]).toBe('TypeError: ctx.step.run("s"): unknown option "retries" (steps take only timeout)');
    expect(errors[1]).toBe('TypeError: ctx.step.run("s") timeout: must be more than 0, got 0s');
    expect(errors[2]).toMatch(/^TypeError: ctx.step.run\("s"\) timeout/);
    // setTimeout cannot wait longer: such a timeout would fire at once.
    expect(errors[3]).toBe('TypeError: ctx.step.run("s") timeout: at most 24 days, got 2160000s');
    expect(errors[4]).toBe('TypeError: ctx.step.run("s"): options must be a plain object ({ timeout }), or pass the function second');
  });
});
