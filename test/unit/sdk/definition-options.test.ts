import { describe, expect, it } from "vitest";
import { activate, defineActivity, defineWorkflow, type ActivityCallOptions } from "@sundial/sdk/workflow";
import { HistoryBuilder } from "./helpers/history.ts";

// Code run with Node's type stripping is never type-checked: a misspelt option would be dropped and
// its default used in silence (a one-hour execution timeout, unlimited activity attempts).
const run = async () => "ok";

describe("defineWorkflow: an unknown option is a TypeError naming it", () => {
  it.each([
    [{ name: "w", executionTimout: "1d", run }, 'defineWorkflow("w").executionTimout: unknown option; expected one of name, executionTimeout, taskQueue,'],
    [{ name: "w", execution_timeout: 60, run }, 'defineWorkflow("w").execution_timeout: unknown option (did you mean executionTimeout?)'],
    [{ name: "w", taskqueue: "gpu", run }, 'defineWorkflow("w").taskqueue: unknown option; expected one of'],
    [{ name: "w", cron: "0 9 * * *", run }, 'defineWorkflow("w").cron: unknown option; expected one of'],
  ])("%j", (options, message) => {
    expect(() => defineWorkflow(options as never)).toThrow(TypeError);
    expect(() => defineWorkflow(options as never)).toThrow(message);
  });

  it("activities must be a list of activity definitions (a workflow or a bare function there would be registered as an activity)", () => {
    const other = defineWorkflow({ name: "other", run });
    expect(() => defineWorkflow({ name: "w", activities: [other], run } as never)).toThrow(new TypeError('defineWorkflow("w").activities.0: expected an activity definition (made with defineActivity), got the workflow "other"'));
    expect(() => defineWorkflow({ name: "w", activities: [async () => {}], run } as never)).toThrow('defineWorkflow("w").activities.0: expected an activity definition (made with defineActivity), got a function');
    expect(() => defineWorkflow({ name: "w", activities: defineActivity({ name: "a", run }), run } as never)).toThrow('defineWorkflow("w").activities: expected a list of activity definitions');
  });

  it("every option of the type is accepted, and one set to undefined is ignored", () => {
    const wf = defineWorkflow({ name: "w", executionTimeout: "1d", taskQueue: "q", schedule: "0 9 * * *", activities: [], input: undefined, run, ...({ typo: undefined } as object) });
    expect(wf).toMatchObject({ executionTimeout: 86_400, taskQueue: "q" });
  });
});

describe("defineActivity: an unknown option, at the top, in options or in options.retry, is a TypeError naming it", () => {
  it.each([
    // Options written at the top instead of under `options`.
    [{ name: "a", startToCloseTimeout: "10s", run }, 'defineActivity("a").startToCloseTimeout: unknown option; expected one of name, input, options, run'],
    [{ name: "a", options: { startToClose: "10s" }, run }, 'defineActivity("a").options.startToClose: unknown option; expected one of startToCloseTimeout,'],
    [{ name: "a", options: { retry: { maximumAttempt: 3 } }, run }, 'defineActivity("a").options.retry.maximumAttempt: unknown option; expected one of initialInterval,'],
    [{ name: "a", options: { retry: { maximum_attempts: 3 } }, run }, 'defineActivity("a").options.retry.maximum_attempts: unknown option (did you mean maximumAttempts?)'],
  ])("%j", (definition, message) => {
    expect(() => defineActivity(definition as never)).toThrow(TypeError);
    expect(() => defineActivity(definition as never)).toThrow(message);
  });

  it("options or retry that are not objects are TypeErrors too", () => {
    expect(() => defineActivity({ name: "a", options: "10s", run } as never)).toThrow('defineActivity("a").options: must be an object');
    expect(() => defineActivity({ name: "a", options: { retry: 3 }, run } as never)).toThrow('defineActivity("a").options.retry: must be an object');
  });

  it("every option of the type is accepted", () => {
    const options: ActivityCallOptions = { startToCloseTimeout: "10s", scheduleToCloseTimeout: "1m", heartbeatTimeout: "5s", taskQueue: "q", retry: { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "10s", maximumAttempts: 3, nonRetryableErrorTypes: ["X"] } };
    expect(defineActivity({ name: "a", options, run }).options).toEqual(options);
  });
});

describe("ctx.executeActivity / ctx.executeChildWorkflow: an unknown per-call option fails the call where it is written", () => {
  it.each([
    ["activity", 'ctx.executeActivity("a") options.startToClose: unknown option; expected one of startToCloseTimeout,'],
    ["retry", 'ctx.executeActivity("a") options.retry.maxAttempts: unknown option; expected one of initialInterval,'],
    ["child", 'ctx.executeChildWorkflow("c") options.parentClose: unknown option; expected one of executionId, taskQueue, executionTimeout, parentClosePolicy, wait'],
  ])("%s", async (which, message) => {
    const wf = defineWorkflow({
      name: "calls",
      run: async (ctx, w: string) => {
        if (w === "activity") return ctx.executeActivity("a", null, { startToClose: "10s" } as never);
        if (w === "retry") return ctx.executeActivity("a", null, { retry: { maxAttempts: 3 } } as never);
        return ctx.executeChildWorkflow("c", null, { parentClose: "ABANDON" } as never);
      },
    });
    const { commands } = await activate(wf, new HistoryBuilder({ workflow: "calls", input: which }).task().build(), undefined, { logSink: () => {} });
    expect(commands).toMatchObject([{ type: "fail_workflow", failure: { type: "TypeError" } }]);
    expect((commands[0] as { failure: { message: string } }).failure.message).toContain(message);
  });
});
