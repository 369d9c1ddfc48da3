import { afterEach, describe, expect, it } from "vitest";
import type { ActivityTask, WorkflowTask } from "@sundial/sdk/protocol";
import { runWorker, silentWorkerLogger, type WorkerHandle, type WorkerOptions } from "@sundial/sdk/worker";
import { defineActivity, defineWorkflow } from "@sundial/sdk/workflow";
import { FakePlatform, until } from "./helpers/fake-platform.ts";
import { HistoryBuilder } from "./helpers/history.ts";

let greeted = 0;
const greet = defineActivity({
  name: "greet",
  run: async (name: string) => {
    greeted++;
    return `Hello, ${name}!`;
  },
});
const hello = defineWorkflow({ name: "hello", run: async (ctx, name: string) => ctx.executeActivity(greet, name) });

let fake: FakePlatform;
let worker: WorkerHandle | undefined;
afterEach(async () => {
  await worker?.shutdown().catch(() => {});
  worker = undefined;
  await fake?.stop();
});

function start(overrides: Partial<WorkerOptions> = {}): WorkerHandle {
  worker = runWorker({
    url: fake.url,
    apiKey: "dev.test-key",
    identity: "test-worker",
    workflows: [hello],
    activities: [greet],
    handleSignals: false,
    logger: silentWorkerLogger,
    backoff: { initialMs: 5, maxMs: 20 },
    shutdownGrace: 2,
    ...overrides,
  });
  return worker;
}

function activityTask(token: string, overrides: Partial<ActivityTask> = {}): ActivityTask {
  return { kind: "activity", task_token: token, execution_id: "ex-1", run_id: "run-1", workflow: "hello", activity_type: "greet", seq: 1, input: "Ada", attempt: 1, heartbeat_timeout: null, start_to_close_timeout: 30, ...overrides };
}

function workflowTask(token: string): WorkflowTask {
  const history = new HistoryBuilder({ workflow: "hello", input: "Ada" }).task().build();
  return { kind: "workflow", task_token: token, execution_id: "ex-1", run_id: "run-1", workflow: "hello", attempt: 1, history, continue_as_new_suggested: false };
}

/** A handler that answers once `open()` is called: the completion is then in flight while the test starts the shutdown. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe("shutdown: tasks a completion hands back after shutdown began", () => {
  it("an activity task handed back in a workflow task completion's answer is handed back at once, not run", async () => {
    fake = await new FakePlatform().start();
    const g = gate();
    fake.on("/v1/workflows/tasks/workflow/complete", async () => {
      await g.opened;
      return { status: 200, body: { status: "accepted", activity_tasks: [activityTask("at-1")] } };
    });
    const w = start();
    await w.ready;
    fake.push(workflowTask("wt-1"));
    await until(() => fake.calls("/v1/workflows/tasks/workflow/complete").length === 1, 3_000, "completion sent");
    expect(fake.calls("/v1/workflows/tasks/workflow/complete")[0]).toMatchObject({ eager_activity_slots: 1 });
    const greetedBefore = greeted;
    const stopping = w.shutdown();
    g.open();
    await stopping;
    expect(greeted).toBe(greetedBefore);
    expect(fake.calls("/v1/workflows/tasks/activity/complete")).toEqual([]);
    expect(fake.calls("/v1/workflows/tasks/activity/fail")).toMatchObject([{ task_token: "at-1", failure: { type: "WorkerShutdown", non_retryable: false } }]);
  });

  it("a workflow task handed back in an activity completion's answer is handed back at once, not run", async () => {
    fake = await new FakePlatform().start();
    const g = gate();
    fake.on("/v1/workflows/tasks/activity/complete", async () => {
      await g.opened;
      return { status: 200, body: { status: "accepted", workflow_task: workflowTask("wt-2") } };
    });
    const w = start();
    await w.ready;
    fake.push(activityTask("at-1"));
    await until(() => fake.calls("/v1/workflows/tasks/activity/complete").length === 1, 3_000, "result sent");
    expect(fake.calls("/v1/workflows/tasks/activity/complete")[0]).toMatchObject({ eager_workflow_task: true });
    const stopping = w.shutdown();
    g.open();
    await stopping;
    expect(fake.calls("/v1/workflows/tasks/workflow/complete")).toEqual([]);
    expect(fake.calls("/v1/workflows/tasks/workflow/fail")).toMatchObject([{ task_token: "wt-2", failure: { type: "WorkerShutdown", non_retryable: false } }]);
  });

  it("one handed back after the grace period ran out (its completion answered late) is handed back too, before shutdown resolves", async () => {
    fake = await new FakePlatform().start();
    fake.on("/v1/workflows/tasks/workflow/complete", async () => {
      await new Promise((r) => setTimeout(r, 400));
      return { status: 200, body: { status: "accepted", activity_tasks: [activityTask("at-1")] } };
    });
    const w = start({ shutdownGrace: 0.1 });
    await w.ready;
    fake.push(workflowTask("wt-1"));
    await until(() => fake.calls("/v1/workflows/tasks/workflow/complete").length === 1, 3_000, "completion sent");
    const greetedBefore = greeted;
    await w.shutdown();
    expect(greeted).toBe(greetedBefore);
    expect(fake.calls("/v1/workflows/tasks/activity/fail")).toMatchObject([{ task_token: "at-1", failure: { type: "WorkerShutdown" } }]);
  });
});

describe("shutdown: an activity handed back keeps its progress", () => {
  it("details recorded but still waiting for their throttled heartbeat are sent before the hand-back, so the attempt resumes from them", async () => {
    fake = await new FakePlatform().start();
    let recorded = false;
    const crawl = defineActivity({
      name: "crawl",
      run: (_: null, ctx) =>
        new Promise<string>((_resolve, reject) => {
          ctx.heartbeat({ page: 7 });
          recorded = true;
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
        }),
    });
    const w = start({ activities: [greet, crawl], shutdownGrace: 0.1 });
    await w.ready;
    // No heartbeat timeout: the next heartbeat slot is 30 s away.
    fake.push(activityTask("at-crawl", { activity_type: "crawl", input: null }));
    await until(() => recorded, 3_000, "details recorded");
    await w.shutdown();
    const sent = fake.requests.filter((r) => r.path.endsWith("/activity/heartbeat") || r.path.endsWith("/activity/fail")).map((r) => [r.path.split("/").pop(), r.body]);
    expect(sent).toMatchObject([
      ["heartbeat", { task_token: "at-crawl", details: { page: 7 } }],
      ["fail", { task_token: "at-crawl", failure: { type: "WorkerShutdown" } }],
    ]);
  });
});
