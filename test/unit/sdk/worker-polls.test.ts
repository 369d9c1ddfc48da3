import { afterEach, expect, it } from "vitest";
import { runWorker, silentWorkerLogger, type WorkerHandle, type WorkerOptions } from "@sundial/sdk/worker";
import { defineActivity } from "@sundial/sdk/workflow";
import { FakePlatform } from "./helpers/fake-platform.ts";

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
