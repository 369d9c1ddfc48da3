import { afterEach, describe, expect, it } from "vitest";
import { runWorker, silentWorkerLogger, type WorkerHandle, type WorkerOptions } from "@sundial/sdk/worker";
import { defineActivity, defineWorkflow } from "@sundial/sdk/workflow";
import { FakePlatform } from "./helpers/fake-platform.ts";

const greet = defineActivity({ name: "greet", run: async (name: string) => `hi ${name}` });

let fake: FakePlatform | undefined;
let worker: WorkerHandle | undefined;
afterEach(async () => {
  await worker?.shutdown().catch(() => {});
  worker = undefined;
  await fake?.stop();
  fake = undefined;
});

/** runWorker over a fake platform with `extra` merged in: code run with Node's type stripping passes anything. */
function start(extra: Record<string, unknown>): WorkerHandle {
  const options = { url: fake!.url, apiKey: "dev.test-key", identity: "w", activities: [greet], handleSignals: false, logger: silentWorkerLogger, ...extra };
  worker = runWorker(options as WorkerOptions);
  return worker;
}

describe("runWorker: an unknown option is a TypeError before anything is sent", () => {
  it.each([
    // Dropped, it would poll the "default" queue instead of "gpu".
    [{ taskqueue: "gpu" }, "taskqueue: unknown option; expected one of url, apiKey, taskQueue,"],
    // Dropped, it would fall back to SUNDIAL_API_KEY (another key, maybe of another namespace).
    [{ apikey: "dev.other" }, "apikey: unknown option; expected one of url, apiKey,"],
    // The wire's snake_case name: the option meant is named.
    [{ task_queue: "gpu" }, "task_queue: unknown option (did you mean taskQueue?)"],
    [{ poll_wait_seconds: 5 }, "poll_wait_seconds: unknown option (did you mean pollWaitSeconds?)"],
    [{ shutdownGraceMs: 5_000 }, "shutdownGraceMs: unknown option; expected one of"],
    // Nested: a misspelt backoff field would keep the default backoff.
    [{ backoff: { initialMS: 5 } }, "backoff.initialMS: unknown option; expected one of initialMs, maxMs"],
    [{ backoff: { max_ms: 50 } }, "backoff.max_ms: unknown option (did you mean maxMs?)"],
  ])("%j", async (extra, message) => {
    fake = await new FakePlatform().start();
    expect(() => start(extra)).toThrow(TypeError);
    expect(() => start(extra)).toThrow(message);
    expect(fake.requests).toEqual([]);
  });

  it("a backoff that is not an object, or options that are not one, are TypeErrors too", async () => {
    fake = await new FakePlatform().start();
    expect(() => start({ backoff: 200 })).toThrow(new TypeError("backoff must be an object { initialMs?, maxMs? }, got 200"));
    expect(() => runWorker(null as never)).toThrow(TypeError);
    expect(fake.requests).toEqual([]);
  });

  it("every option the type declares is accepted, and an option set to undefined is ignored", async () => {
    fake = await new FakePlatform().start();
    const hello = defineWorkflow({ name: "hello", run: async () => "hi" });
    const w = start({
      taskQueue: "default", workflows: [hello], concurrency: 2, workflowConcurrency: 2, workflowPollers: 1, activityPollers: 1, buildId: "b1",
      registrationRefresh: 0, signal: new AbortController().signal, shutdownGrace: 1, maxCachedWorkflows: 5, eagerDispatch: false,
      pollWaitSeconds: 1, backoff: { initialMs: 5, maxMs: 20 }, fetch: globalThis.fetch, taskqueue: undefined,
    });
    await w.ready;
    expect(fake.calls("/v1/workflows/workers/register")).toMatchObject([{ task_queue: "default", build_id: "b1" }]);
  });
});

describe("runWorker: workflows and activities must be lists of definitions of their kind", () => {
  it.each([
    // An activity listed as a workflow would be registered as a workflow type that cannot run.
    [{ workflows: [greet] }, 'workflows.0: "greet" is an activity definition, not a workflow (list it in activities)'],
    [{ activities: [defineWorkflow({ name: "hello", run: async () => "hi" })] }, 'activities.0: "hello" is a workflow definition, not an activity (list it in workflows)'],
    // A bare function (not passed through defineActivity) or a single definition instead of a list.
    [{ activities: [async function send() {}] }, "activities.0: expected an activity definition (made with defineActivity), got a function"],
    [{ activities: greet }, "activities: expected a list of definitions, got an object"],
  ])("%#", async (extra, message) => {
    fake = await new FakePlatform().start();
    expect(() => start(extra)).toThrow(new TypeError(message));
    expect(fake.requests).toEqual([]);
  });
});
