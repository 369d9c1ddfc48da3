import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { ActivityTask, Failure } from "@sundial/sdk/protocol";
import { silentWorkerLogger } from "@sundial/sdk/worker";
import { defineActivity } from "@sundial/sdk/workflow";
import type { WorkerApi } from "../../../sdk/src/worker/api.ts";
import { startActivityTask } from "../../../sdk/src/worker/activity-runner.ts";

/** Runs an activity that throws `thrown`; returns the failures it reported and the errors the worker logged. */
async function reportOf(thrown: unknown): Promise<{ failures: Failure[]; logged: string[] }> {
  const failures: Failure[] = [];
  const logged: string[] = [];
  const api = {
    failActivityTask: async (_token: string, failure: Failure) => {
      failures.push(failure);
      return "accepted";
    },
  } as unknown as WorkerApi;
  const bad = defineActivity({
    name: "bad",
    run: async () => {
      throw thrown;
    },
  });
  const task: ActivityTask = { kind: "activity", task_token: "tok", execution_id: "ex-1", run_id: "run-1", workflow: "wf", activity_type: "bad", seq: 1, input: null, attempt: 1, heartbeat_timeout: null, start_to_close_timeout: 30 };
  const logger = { ...silentWorkerLogger, error: (message: string) => void logged.push(message) };
  await startActivityTask(task, { activities: new Map([["bad", bad]]), api, logger, taskQueue: "default", identity: "w-1", hardStop: new AbortController().signal }).done;
  return { failures, logged };
}

describe("an activity that throws something other than an Error", () => {
  it.each([
    ["a string", "card declined", "card declined"],
    ["undefined", undefined, "undefined"],
    ["null", null, "null"],
    ["an object", { code: 42 }, '{"code":42}'],
    ["a BigInt", 7n, "7"],
  ])("%s is reported as a retryable failure of type Error with its text", async (_what, thrown, message) => {
    expect(await reportOf(thrown)).toEqual({ failures: [{ message, type: "Error", non_retryable: false }], logged: [] });
  });

  it("an object that is neither JSON nor printable (a cycle without a prototype) is still reported, not left to its timeout", async () => {
    const odd = Object.create(null) as Record<string, unknown>;
    odd.self = odd;
    expect(await reportOf(odd)).toEqual({ failures: [{ message: "[object Object]", type: "Error", non_retryable: false }], logged: [] });
  });

  it("an Error whose message or name is not a string is still reported, with what they hold", async () => {
    const err = Object.assign(new Error("x"), { message: { reason: "quota" }, name: 42 });
    const { failures, logged } = await reportOf(err);
    expect(logged).toEqual([]);
    expect(failures).toMatchObject([{ message: '{"reason":"quota"}', type: "Error", non_retryable: false }]);
  });

  it("an error from another realm (a vm context) or shaped like one keeps its message and name", async () => {
    const foreign = runInNewContext('new RangeError("out of range")') as unknown;
    expect(foreign instanceof Error).toBe(false);
    expect((await reportOf(foreign)).failures).toMatchObject([{ message: "out of range", type: "RangeError", non_retryable: false, stack: expect.stringContaining("out of range") }]);
    expect((await reportOf({ name: "QuotaExceeded", message: "slow down" })).failures).toEqual([{ message: "slow down", type: "QuotaExceeded", non_retryable: false }]);
    // Its other fields are not lost: they are the failure's details.
    expect((await reportOf({ message: "slow down", code: "E_QUOTA", retryInSeconds: 5 })).failures).toEqual([{ message: "slow down", type: "Error", non_retryable: false, details: { code: "E_QUOTA", retryInSeconds: 5 } }]);
  });
});
