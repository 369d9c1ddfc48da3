import { afterEach, expect, it } from "vitest";
import { runWorker, silentWorkerLogger, type WorkerHandle, type WorkerOptions } from "@sundial/sdk/worker";
import { defineActivity } from "@sundial/sdk/workflow";
import { FakePlatform, until } from "./helpers/fake-platform.ts";

const greet = defineActivity({ name: "greet", run: async (name: string) => `hi ${name}` });
let fake: FakePlatform;
let worker: WorkerHandle | undefined;
afterEach(async () => {
  await worker?.shutdown().catch(() => {});
  worker = undefined;
  await fake?.stop();
});

function start(overrides: Partial<WorkerOptions>): WorkerHandle {
  worker = runWorker({
    url: fake.url, apiKey: "dev.test-key", taskQueue: "default", identity: "w", workflows: [], activities: [greet],
    handleSignals: false, logger: silentWorkerLogger, backoff: { initialMs: 5, maxMs: 20 }, activityPollers: 1, ...overrides,
  });
  return worker;
}

it("a poller answered empty long before the hold it asked for (a proxy that does not hold) pauses instead of polling in a busy loop", async () => {
  fake = await new FakePlatform().start();
  fake.on("/v1/workflows/tasks/poll", () => ({ status: 204 }));
  await start({ pollWaitSeconds: 1 }).ready;
  const before = fake.calls("/v1/workflows/tasks/poll").length;
  await new Promise((r) => setTimeout(r, 1_500));
  // One poller, 1.5 s, a 1 s pause after each early answer: two or three polls, not hundreds.
  expect(fake.calls("/v1/workflows/tasks/poll").length - before).toBeLessThanOrEqual(3);
});

it("a poll whose answer never comes (a hung platform, a black-holed connection) is given up 5 s after its hold, and the poller polls again", async () => {
  fake = await new FakePlatform().start();
  let polls = 0;
  fake.on("/v1/workflows/tasks/poll", async () => {
    // The first poll is taken and never answered; the next one gets the task.
    if (++polls === 1) return new Promise(() => {});
    if (polls === 2) return { status: 200, body: { kind: "activity", task_token: "a-1", execution_id: "ex", run_id: "r", workflow: "wf", activity_type: "greet", seq: 1, input: "Ada", attempt: 1, heartbeat_timeout: null, start_to_close_timeout: 30 } };
    await new Promise((r) => setTimeout(r, 100));
    return { status: 204 };
  });
  const began = Date.now();
  await start({ pollWaitSeconds: 1 }).ready;
  await until(() => fake.calls("/v1/workflows/tasks/activity/complete").length === 1, 10_000, "the task, polled again");
  // A 1 s hold plus the 5 s margin; without the deadline the poll would sit for Node's 5 min headers timeout.
  expect(Date.now() - began).toBeGreaterThanOrEqual(5_900);
  expect(fake.calls("/v1/workflows/tasks/activity/complete")).toMatchObject([{ task_token: "a-1", result: "hi Ada" }]);
}, 15_000);
