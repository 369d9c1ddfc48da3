import { describe, expect, it } from "vitest";
import { MAX_PAYLOAD_BYTES } from "@sundial/sdk/protocol";
import { ApplicationFailure, WORKFLOW_METADATA_QUERY, activate, defineWorkflow, queryWorkflow } from "@sundial/sdk/workflow";
import { HistoryBuilder } from "./helpers/history.ts";

// Payloads the platform would refuse (more than 256 KiB of JSON, or not JSON) are caught in the
// workflow, where the code can react, instead of being sent and refused with the whole task
// (which no retry could fix). History in / commands out.

const quiet = { logSink: () => {} };
const tooBig = "é".repeat(MAX_PAYLOAD_BYTES / 2); // 262,146 bytes of JSON, 131,075 characters

/** What a caught error says, for the workflow to return. */
const caught = (err: unknown) => (err instanceof ApplicationFailure ? `${err.type}: ${err.message}` : String(err));

describe("payload limits in the workflow", () => {
  it("a result too large fails the run with PayloadTooLarge (measured in UTF-8), and replays the same way", async () => {
    const wf = defineWorkflow({ name: "big-result", run: async () => tooBig });
    const h = new HistoryBuilder({ workflow: "big-result" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands).toHaveLength(1);
    expect(t1.commands[0]).toMatchObject({ type: "fail_workflow", failure: { type: "PayloadTooLarge", non_retryable: true } });
    expect((t1.commands[0] as { failure: { message: string } }).failure.message).toContain('the result of workflow "big-result" is 262146 bytes of JSON');
    // A query replaying the closed run meets the same decision (no non-determinism).
    h.complete(t1.commands);
    await expect(queryWorkflow(wf, h.build(), { name: WORKFLOW_METADATA_QUERY }, quiet)).resolves.toMatchObject({ definition: { query_definitions: [] } });
  });

  it("a result at the limit completes", async () => {
    const atLimit = "x".repeat(MAX_PAYLOAD_BYTES - 2); // the quotes make it MAX_PAYLOAD_BYTES
    const wf = defineWorkflow({ name: "limit-result", run: async () => atLimit });
    const t = await activate(wf, new HistoryBuilder({ workflow: "limit-result" }).task().build(), undefined, quiet);
    expect(t.commands).toEqual([{ type: "complete_workflow", result: atLimit }]);
  });

  it("an activity input too large throws in the workflow and schedules nothing; the next activity takes seq 1", async () => {
    const wf = defineWorkflow({
      name: "big-input",
      run: async (ctx) => {
        let error = "";
        try {
          await ctx.executeActivity("upload", { blob: tooBig });
        } catch (err) {
          error = caught(err);
        }
        await ctx.executeActivity("upload", { url: "s3://bucket/blob" });
        return error;
      },
    });
    const h = new HistoryBuilder({ workflow: "big-input" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands).toEqual([expect.objectContaining({ type: "schedule_activity", seq: 1, activity_type: "upload", input: { url: "s3://bucket/blob" } })]);
    h.complete(t1.commands).activityCompleted(1, null).task();
    const t2 = await activate(wf, h.build(), undefined, quiet);
    expect(t2.commands).toHaveLength(1);
    expect((t2.commands[0] as { result: string }).result).toMatch(/^PayloadTooLarge: the input of activity "upload" is 262155 bytes of JSON, more than the 262144/);
  });

  it("a child input or a continue-as-new input too large throws; a value that is not JSON is PayloadNotJson", async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const wf = defineWorkflow({
      name: "big-child",
      run: async (ctx) => {
        const errors: string[] = [];
        for (const attempt of [() => ctx.executeChildWorkflow("child", tooBig), () => ctx.continueAsNew(tooBig), () => ctx.executeActivity("a", cyclic)]) {
          try {
            await attempt();
          } catch (err) {
            errors.push((err as ApplicationFailure).type);
          }
        }
        return errors;
      },
    });
    const t = await activate(wf, new HistoryBuilder({ workflow: "big-child" }).task().build(), undefined, quiet);
    expect(t.commands).toEqual([{ type: "complete_workflow", result: ["PayloadTooLarge", "PayloadTooLarge", "PayloadNotJson"] }]);
  });

  it("an update whose handler returns too much completes with a PayloadTooLarge failure; the run goes on", async () => {
    const wf = defineWorkflow({
      name: "big-update",
      run: async (ctx) => {
        let done = false;
        ctx.setUpdateHandler("dump", () => tooBig);
        ctx.setUpdateHandler("finish", () => {
          done = true;
        });
        await ctx.waitCondition(() => done);
        return "finished";
      },
    });
    const h = new HistoryBuilder({ workflow: "big-update" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    h.complete(t1.commands).updateAccepted("u1", "dump").task();
    const t2 = await activate(wf, h.build(), t1.state, quiet);
    expect(t2.commands).toEqual([{ type: "complete_update", update_id: "u1", failure: expect.objectContaining({ type: "PayloadTooLarge", non_retryable: true }) }]);
    h.complete(t2.commands).updateAccepted("u2", "finish").task();
    const t3 = await activate(wf, h.build(), undefined, quiet);
    expect(t3.commands).toEqual([{ type: "complete_update", update_id: "u2" }, { type: "complete_workflow", result: "finished" }]);
  });

  it("a failure too large to send (details, causes) keeps its message, type and retry flag; so does a rejected update", async () => {
    const wf = defineWorkflow({
      name: "big-failure",
      run: async (ctx) => {
        ctx.setUpdateHandler("order", () => "ok", {
          validator: (input: unknown) => {
            throw ApplicationFailure.nonRetryable("invalid order", "Invalid", { order: input });
          },
        });
        await ctx.sleep("1h");
        throw ApplicationFailure.nonRetryable("upstream refused", "Upstream", { body: tooBig });
      },
    });
    const h = new HistoryBuilder({ workflow: "big-failure" }).task();
    const t1 = await activate(wf, h.build(), undefined, { ...quiet, updates: [{ update_id: "u1", name: "order", input: tooBig }] });
    expect(t1.commands[1]).toEqual({ type: "reject_update", update_id: "u1", failure: { message: "invalid order", type: "Invalid", non_retryable: true, details: { truncated: true, bytes: expect.any(Number) } } });
    h.complete(t1.commands, [{ update_id: "u1", name: "order", input: tooBig }]).timerFired(1).task();
    const t2 = await activate(wf, h.build(), t1.state, quiet);
    expect(t2.commands).toEqual([{ type: "fail_workflow", failure: { message: "upstream refused", type: "Upstream", non_retryable: true, details: { truncated: true, bytes: expect.any(Number) } } }]);
  });

  it("a history whose platform took a payload today's check refuses still replays: the recorded command wins", async () => {
    const old = "é".repeat(200_000); // 400,002 bytes: an older platform counted 200,002 characters
    const wf = defineWorkflow({
      name: "old-history",
      run: async (ctx) => {
        await ctx.executeActivity("upload", old);
        return old;
      },
    });
    const h = new HistoryBuilder({ workflow: "old-history" })
      .task()
      .complete([{ type: "schedule_activity", seq: 1, activity_type: "upload", input: old, options: { start_to_close_timeout: 300 } }])
      .activityCompleted(1, null)
      .task();
    const t = await activate(wf, h.build(), undefined, quiet);
    // Live, the result is checked (this task is new): too large.
    expect(t.commands).toEqual([expect.objectContaining({ type: "fail_workflow", failure: expect.objectContaining({ type: "PayloadTooLarge" }) })]);
  });

  it("in Promise.all, a refused activity rejects and the others are still scheduled", async () => {
    const wf = defineWorkflow({
      name: "fan-out-inputs",
      run: async (ctx) => {
        const settled = await Promise.allSettled([ctx.executeActivity("a", tooBig), ctx.executeActivity("b", 1)]);
        return settled.map((r) => r.status);
      },
    });
    const h = new HistoryBuilder({ workflow: "fan-out-inputs" }).task();
    const t1 = await activate(wf, h.build(), undefined, quiet);
    expect(t1.commands).toEqual([expect.objectContaining({ type: "schedule_activity", seq: 1, activity_type: "b" })]);
  });

  it("concurrent steps whose values together pass 768 KiB: the ones past it are recorded as StepResultTooLarge", async () => {
    const wf = defineWorkflow({
      name: "fan-out-steps",
      run: async (ctx) => {
        const settled = await Promise.allSettled([1, 2, 3, 4, 5].map((k) => ctx.step.run(`s${k}`, () => "x".repeat(200_000))));
        return settled.map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as ApplicationFailure).type));
      },
    });
    const t = await activate(wf, new HistoryBuilder({ workflow: "fan-out-steps" }).task().build(), undefined, quiet);
    expect(t.commands.at(-1)).toEqual({ type: "complete_workflow", result: ["ok", "ok", "ok", "StepResultTooLarge", "StepResultTooLarge"] });
    expect(new TextEncoder().encode(JSON.stringify(t.commands)).length).toBeLessThan(1_000_000);
  });
});
