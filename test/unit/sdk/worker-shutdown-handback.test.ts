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

describe("shutdown: a poll answered with a task while shutdown begins", () => {
  /**
   * A platform whose first poll of `kind` answers `task`'s headers at once and its body only once
   * `body.open()` is called; other polls are held briefly and answered empty. `headers` resolves
   * once the worker's fetch has the headers, and a moment later, so the poll is reading the body.
   */
  function lateBody(kind: "workflow" | "activity", task: ActivityTask | WorkflowTask) {
    const body = gate();
    let gotHeaders!: () => void;
    const headers = new Promise<void>((r) => (gotHeaders = r));
    let handedOut = false;
    fake.on("/v1/workflows/tasks/poll", async (req) => {
      if (req.kind === kind && !handedOut) {
        handedOut = true;
        return { status: 200, body: task, bodyAfter: body.opened };
      }
      await new Promise((r) => setTimeout(r, 50));
      return { status: 204 };
    });
    const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const res = await globalThis.fetch(input, init);
      if (String(input).endsWith("/tasks/poll") && res.status === 200) setTimeout(gotHeaders, 20);
      return res;
    }) as typeof fetch;
    return { body, headers, fetchImpl };
  }

  it("an activity task whose body is still arriving is read to its end and handed back (WorkerShutdown), not dropped or run", async () => {
    fake = await new FakePlatform().start();
    const { body, headers, fetchImpl } = lateBody("activity", activityTask("at-late"));
    const w = start({ fetch: fetchImpl });
    await w.ready;
    await headers;
    const greetedBefore = greeted;
    const stopping = w.shutdown();
    await new Promise((r) => setTimeout(r, 50));
    body.open();
    await stopping;
    expect(greeted).toBe(greetedBefore);
    expect(fake.calls("/v1/workflows/tasks/activity/complete")).toEqual([]);
    expect(fake.calls("/v1/workflows/tasks/activity/fail")).toMatchObject([{ task_token: "at-late", failure: { type: "WorkerShutdown", non_retryable: false } }]);
  });

  it("a workflow task whose body is still arriving is read to its end and handed back (WorkerShutdown), not dropped or run", async () => {
    fake = await new FakePlatform().start();
    const { body, headers, fetchImpl } = lateBody("workflow", workflowTask("wt-late"));
    const w = start({ fetch: fetchImpl });
    await w.ready;
    await headers;
    const stopping = w.shutdown();
    await new Promise((r) => setTimeout(r, 50));
    body.open();
    await stopping;
    expect(fake.calls("/v1/workflows/tasks/workflow/complete")).toEqual([]);
    expect(fake.calls("/v1/workflows/tasks/workflow/fail")).toMatchObject([{ task_token: "wt-late", failure: { type: "WorkerShutdown", non_retryable: false } }]);
  });

  it("one whose body arrives after the grace period ran out is handed back too, before shutdown resolves", async () => {
    fake = await new FakePlatform().start();
    const { body, headers, fetchImpl } = lateBody("activity", activityTask("at-later"));
    const w = start({ fetch: fetchImpl, shutdownGrace: 0.1 });
    await w.ready;
    await headers;
    const stopping = w.shutdown();
    setTimeout(body.open, 400);
    await stopping;
    expect(fake.calls("/v1/workflows/tasks/activity/fail")).toMatchObject([{ task_token: "at-later", failure: { type: "WorkerShutdown" } }]);
  });

  it("a query task whose body is still arriving is answered (read-only and quick), not handed back", async () => {
    fake = await new FakePlatform().start();
    fake.on("/v1/workflows/tasks/query/respond", () => ({ status: 200, body: {} }));
    const { body, headers, fetchImpl } = lateBody("workflow", { ...workflowTask("q-late"), query: { query_id: "q1", name: "status", input: null } });
    const w = start({ fetch: fetchImpl });
    await w.ready;
    await headers;
    const stopping = w.shutdown();
    await new Promise((r) => setTimeout(r, 50));
    body.open();
    await stopping;
    expect(fake.calls("/v1/workflows/tasks/workflow/fail")).toEqual([]);
    expect(fake.calls("/v1/workflows/tasks/query/respond")).toMatchObject([{ task_token: "q-late" }]);
  });

  it("a body that never arrives holds the shutdown no longer than the platform's 5 s delivery timeout (it re-dispatches the task then)", async () => {
    fake = await new FakePlatform().start();
    const { headers, fetchImpl } = lateBody("activity", activityTask("at-lost"));
    const w = start({ fetch: fetchImpl, shutdownGrace: 10 });
    await w.ready;
    await headers;
    const began = Date.now();
    await w.shutdown();
    expect(Date.now() - began).toBeLessThan(7_000);
    expect(fake.calls("/v1/workflows/tasks/activity/fail")).toEqual([]);
  }, 15_000);
});
