import { describe, expect, it } from "vitest";
import type { Failure, HistoryEvent, WorkflowTask } from "@sundial/sdk/protocol";
import { HttpTransport, SundialApiError } from "@sundial/sdk/client";
import { LruCache, silentWorkerLogger } from "@sundial/sdk/worker";
import { ApplicationFailure, NonDeterminismError, ReadOnlyContextError, WORKFLOW_METADATA_QUERY, activate, defineWorkflow, queryWorkflow, type WorkflowState } from "@sundial/sdk/workflow";
import { WorkerApi } from "../../../sdk/src/worker/api.ts";
import { processWorkflowTask } from "../../../sdk/src/worker/workflow-runner.ts";
import { HistoryBuilder } from "./helpers/history.ts";

const quiet = { logSink: () => {} };

/** Counts processed items; exposes progress through queries. */
const counter = defineWorkflow({
  name: "counter",
  run: async (ctx, total: number) => {
    let done = 0;
    let status = "starting";
    const seen: string[] = [];
    ctx.setQueryHandler("progress", () => ({ status, done, total, seen }));
    ctx.setQueryHandler("times", (factor: number) => done * factor);
    ctx.setQueryHandler("broken", () => {
      throw ApplicationFailure.nonRetryable("cannot answer", "NoAnswer", { done });
    });
    ctx.setQueryHandler("sneaky", () => ctx.executeActivity("side_effect", null));
    ctx.setQueryHandler("dice", () => ctx.random());
    ctx.setQueryHandler("later", (async () => done) as unknown as () => number);
    ctx.setQueryHandler("cyclic", () => {
      const o: Record<string, unknown> = {};
      o.self = o;
      return o;
    });
    ctx.setSignalHandler("tag", (t: string) => void seen.push(t));
    status = "working";
    while (done < total) {
      await ctx.executeActivity("process_item", done);
      done++;
    }
    status = "done";
    return done;
  },
});

/** Task 1 schedules item 0, task 2 item 1, task 3 completes; a signal arrives during task 2's activity. */
async function counterHistory(): Promise<{ h: HistoryBuilder; marks: Record<string, number> }> {
  const h = new HistoryBuilder({ workflow: "counter", input: 2 }).task();
  const marks: Record<string, number> = {};
  const t1 = await activate(counter, h.build(), undefined, quiet);
  h.complete(t1.commands);
  marks.afterTask1 = h.length;
  h.activityCompleted(1, null).task();
  marks.task2Started = h.length;
  const t2 = await activate(counter, h.build(), undefined, quiet);
  h.complete(t2.commands).signal("tag", "vip").activityCompleted(2, null);
  marks.beforeTask3 = h.length;
  h.task();
  const t3 = await activate(counter, h.build(), undefined, quiet);
  h.complete(t3.commands);
  return { h, marks };
}

const upTo = (h: HistoryBuilder, n: number): HistoryEvent[] => h.build().slice(0, n);

describe("handler descriptions and the metadata query (Mistral's description=)", () => {
  const invoice = defineWorkflow({
    name: "invoice_approval",
    run: async (ctx) => {
      let approved = false;
      ctx.setSignalHandler("approve", () => void (approved = true), { description: "Approval signal" });
      ctx.setQueryHandler("get_status", () => ({ approved }), { description: "Get current status" });
      ctx.setQueryHandler("internal", () => 1);
      ctx.setUpdateHandler("update_config", async (c: unknown) => c, { description: "Update workflow configuration", validator: () => {} });
      ctx.setSignalHandler("temporary", () => {}, { description: "gone soon" });
      ctx.setSignalHandler("temporary", undefined);
      await ctx.waitCondition(() => approved);
      return "approved";
    },
  });

  it("lists the handlers set right now, sorted by name, with their descriptions", async () => {
    const h = new HistoryBuilder({ workflow: "invoice_approval" }).task();
    expect(await queryWorkflow(invoice, h.build(), { name: WORKFLOW_METADATA_QUERY }, quiet)).toEqual({
      definition: {
        type: "invoice_approval",
        signal_definitions: [{ name: "approve", description: "Approval signal" }],
        query_definitions: [{ name: "get_status", description: "Get current status" }, { name: "internal" }],
        update_definitions: [{ name: "update_config", description: "Update workflow configuration" }],
      },
    });
  });

  it("a description must be a short string; a workflow's own handler of the metadata name wins", async () => {
    const own = defineWorkflow({
      name: "own-meta",
      run: async (ctx) => {
        let error = "";
        try {
          ctx.setSignalHandler("s", () => {}, { description: 42 as never });
        } catch (err) {
          error = (err as Error).message;
        }
        ctx.setQueryHandler("error", () => error);
        ctx.setQueryHandler(WORKFLOW_METADATA_QUERY, () => "mine");
        await ctx.sleep("1h");
      },
    });
    const h = new HistoryBuilder({ workflow: "own-meta" }).task();
    expect(await queryWorkflow(own, h.build(), { name: "error" }, quiet)).toBe('signal "s": description must be a string of at most 1,000 characters');
    expect(await queryWorkflow(own, h.build(), { name: WORKFLOW_METADATA_QUERY }, quiet)).toBe("mine");
  });
});

describe("queries on replayed state", () => {
  it("answer from the state of the last processed workflow task, running or closed", async () => {
    const { h, marks } = await counterHistory();
    const q = (n: number, name = "progress", input?: unknown) => queryWorkflow(counter, upTo(h, n), { name, input }, quiet);
    expect(await q(marks.afterTask1!)).toEqual({ status: "working", done: 0, total: 2, seen: [] });
    // A task in progress (its workflow_task_started is last) is replayed too.
    expect(await q(marks.task2Started!)).toEqual({ status: "working", done: 1, total: 2, seen: [] });
    // Events after the last task (a signal, an activity result) wait for the next task.
    expect(await q(marks.beforeTask3!)).toEqual({ status: "working", done: 1, total: 2, seen: [] });
    // The closed run.
    const closed = h.build();
    expect(closed[closed.length - 1]!.type).toBe("execution_completed");
    expect(await q(closed.length)).toEqual({ status: "done", done: 2, total: 2, seen: ["vip"] });
    expect(await q(closed.length, "times", 10)).toBe(20);
  });

  it("stop at a workflow task still in flight: a signal, a terminate or a timeout recorded after it started waits for the next task", async () => {
    const h = new HistoryBuilder({ workflow: "counter", input: 2 }).task();
    h.complete((await activate(counter, h.build(), undefined, quiet)).commands).activityCompleted(1, null).task();
    // Task 2 is leased but not completed: replaying it schedules item 1, which history does not record yet.
    const inFlight = h.build();
    expect(inFlight[inFlight.length - 1]!.type).toBe("workflow_task_started");
    const signalled = h.signal("tag", "late").build();
    const closedBy = (type: "execution_terminated" | "execution_timed_out", attrs: Record<string, unknown>): HistoryEvent[] => [
      ...signalled,
      { id: signalled.length + 1, type, ts: "2026-11-22T10:00:00.000Z", ...attrs } as HistoryEvent,
    ];
    const asOfTask2 = { status: "working", done: 1, total: 2, seen: [] };
    expect(await queryWorkflow(counter, signalled, { name: "progress" }, quiet)).toEqual(asOfTask2);
    expect(await queryWorkflow(counter, closedBy("execution_terminated", { reason: "ops" }), { name: "progress" }, quiet)).toEqual(asOfTask2);
    expect(await queryWorkflow(counter, closedBy("execution_timed_out", {}), { name: "progress" }, quiet)).toEqual(asOfTask2);
    // What the query replayed is what the in-flight task's worker sends when it completes it.
    expect((await activate(counter, inFlight, undefined, quiet)).commands).toEqual([{ type: "schedule_activity", seq: 2, activity_type: "process_item", input: 1, options: {} }]);
  });

  it("answer before the first workflow task ran, from the initial state", async () => {
    const h = new HistoryBuilder({ workflow: "counter", input: 3 }).task();
    expect(await queryWorkflow(counter, h.build().slice(0, 2), { name: "progress" }, quiet)).toEqual({ status: "working", done: 0, total: 3, seen: [] });
  });

  it("emit nothing and leave the history alone: replaying the same history afterwards gives the same commands", async () => {
    const { h, marks } = await counterHistory();
    const history = upTo(h, marks.task2Started!);
    const before = await activate(counter, history, undefined, quiet);
    await queryWorkflow(counter, history, { name: "progress" }, quiet);
    expect((await activate(counter, history, undefined, quiet)).commands).toEqual(before.commands);
  });

  it("are read-only: a query handler that schedules work or draws randomness throws ReadOnlyContextError", async () => {
    const { h } = await counterHistory();
    const err = await queryWorkflow(counter, h.build(), { name: "sneaky" }, quiet).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadOnlyContextError);
    expect((err as Error).message).toBe(
      'ctx.executeActivity() is not allowed in query handler "sneaky": query handlers and update validators are read-only and synchronous (they run on replayed state and must not emit commands or change the workflow\'s state)',
    );
    await expect(queryWorkflow(counter, h.build(), { name: "dice" }, quiet)).rejects.toThrow('ctx.random() is not allowed in query handler "dice"');
    await expect(queryWorkflow(counter, h.build(), { name: "later" }, quiet)).rejects.toThrow('query handler "later" returned a promise: query handlers and update validators must be synchronous');
  });

  it("fail with UnknownQuery naming the registered ones, or with what the handler throws", async () => {
    const { h } = await counterHistory();
    const unknown = await queryWorkflow(counter, h.build(), { name: "nope" }, quiet).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ApplicationFailure);
    expect(unknown).toMatchObject({ type: "UnknownQuery", message: expect.stringContaining('workflow "counter" has no query handler "nope" (set: "progress", "times", "broken"') });
    await expect(queryWorkflow(counter, h.build(), { name: "broken" }, quiet)).rejects.toMatchObject({ type: "NoAnswer", details: { done: 2 } });
  });

  it("report non-determinism of the replay", async () => {
    const { h } = await counterHistory();
    const changed = defineWorkflow({
      name: "counter",
      run: async (ctx) => {
        ctx.setQueryHandler("progress", () => "?");
        await ctx.sleep(1);
      },
    });
    await expect(queryWorkflow(changed, h.build(), { name: "progress" }, quiet)).rejects.toBeInstanceOf(NonDeterminismError);
  });
});

describe("worker: query tasks", () => {
  function stub() {
    const calls: { call: string; token: string; payload: unknown }[] = [];
    const record = (call: string) => async (token: string, payload: unknown) => {
      calls.push({ call, token, payload });
      return call === "completeWorkflowTask" ? { outcome: "accepted", activityTasks: [], workflowTask: undefined } : "accepted";
    };
    const api = { completeWorkflowTask: record("completeWorkflowTask"), failWorkflowTask: record("failWorkflowTask"), respondQuery: record("respondQuery") } as unknown as WorkerApi;
    return { api, calls };
  }
  const deps = (api: WorkerApi, cache: LruCache<string, WorkflowState>) => ({
    workflows: new Map([[counter.name, counter]]),
    api,
    logger: silentWorkerLogger,
    cache,
    identity: "w-q",
    taskQueue: "default",
    hardStop: new AbortController().signal,
  });
  const task = (token: string, history: HistoryEvent[], query?: WorkflowTask["query"], workflow = "counter"): WorkflowTask => ({
    kind: "workflow",
    task_token: token,
    execution_id: "ex-q",
    run_id: "run-1",
    workflow,
    attempt: 1,
    history,
    continue_as_new_suggested: false,
    ...(query ? { query } : {}),
  });

  it("answers through respondQuery, never completes the task, and leaves the run's cached state alone", async () => {
    const { api, calls } = stub();
    const cache = new LruCache<string, WorkflowState>(4);
    const h = new HistoryBuilder({ workflow: "counter", input: 2 }).task();
    await processWorkflowTask(task("wt-1", h.build()), deps(api, cache));
    const cached = cache.take("ex-q\u0000run-1")!;
    cache.set("ex-q\u0000run-1", cached);
    const consumed = cached.consumed;
    h.complete(calls[0]!.payload as never).activityCompleted(1, null).task();
    await processWorkflowTask(task("q-1", h.build(), { query_id: "7", name: "progress", input: null }), deps(api, cache));
    expect(calls[1]).toEqual({ call: "respondQuery", token: "q-1", payload: { result: { status: "working", done: 1, total: 2, seen: [] } } });
    expect(cache.take("ex-q\u0000run-1")).toBe(cached);
    expect(cached.consumed).toBe(consumed);
    // The real task continues from the untouched cached state.
    cache.set("ex-q\u0000run-1", cached);
    await processWorkflowTask(task("wt-2", h.build()), deps(api, cache));
    expect(calls[2]).toEqual({ call: "completeWorkflowTask", token: "wt-2", payload: [{ type: "schedule_activity", seq: 2, activity_type: "process_item", input: 1, options: {} }] });
  });

  it("answers failures: the handler's error, a result that is not JSON, an unknown workflow", async () => {
    const { api, calls } = stub();
    const cache = new LruCache<string, WorkflowState>(4);
    const history = new HistoryBuilder({ workflow: "counter", input: 1 }).task().build();
    await processWorkflowTask(task("q-1", history, { query_id: "1", name: "broken", input: null }), deps(api, cache));
    await processWorkflowTask(task("q-2", history, { query_id: "2", name: "cyclic", input: null }), deps(api, cache));
    await processWorkflowTask(task("q-3", history, { query_id: "3", name: "progress", input: null }, "ghost"), deps(api, cache));
    expect(calls.map((c) => c.call)).toEqual(["respondQuery", "respondQuery", "respondQuery"]);
    expect(calls[0]!.payload).toMatchObject({ failure: { type: "NoAnswer", message: "cannot answer", non_retryable: true, details: { done: 0 } } });
    expect(calls[1]!.payload).toMatchObject({ failure: { type: "InvalidQueryResult", message: expect.stringContaining('query handler "cyclic" returned a value that is not JSON') } });
    expect(calls[2]!.payload).toMatchObject({ failure: { type: "WorkflowNotRegistered", message: 'workflow "ghost" is not registered on worker w-q (task queue default)' } });
    expect(cache.size).toBe(0);
  });
});

describe("WorkerApi.respondQuery", () => {
  function api(answers: (() => Response)[]) {
    const seen: { url: string; body: unknown }[] = [];
    const fetchImpl = (async (input: URL | string, init?: RequestInit) => {
      seen.push({ url: String(input), body: JSON.parse(init!.body as string) });
      return answers.shift()!();
    }) as typeof fetch;
    return { seen, api: new WorkerApi(new HttpTransport({ url: "http://platform.test", apiKey: "k", fetch: fetchImpl }), silentWorkerLogger, { initialMs: 1, maxMs: 2, attempts: 3 }) };
  }
  const json = (status: number, body: unknown, type = "application/json") => () => new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
  const problem = (status: number, code: string) => json(status, { type: "about:blank", title: "t", status, code, detail: `${code} detail` }, "application/problem+json");

  it("posts the token with the result (or the failure), retrying transient errors", async () => {
    const { seen, api: a } = api([problem(503, "unavailable"), json(200, { status: "accepted" }), json(200, { status: "accepted" })]);
    expect(await a.respondQuery("tok", { result: { n: 1 } })).toBe("accepted");
    const failure: Failure = { message: "no", type: "Error", non_retryable: false };
    expect(await a.respondQuery("tok2", { failure })).toBe("accepted");
    expect(seen).toEqual([
      { url: "http://platform.test/v1/workflows/tasks/query/respond", body: { task_token: "tok", result: { n: 1 } } },
      { url: "http://platform.test/v1/workflows/tasks/query/respond", body: { task_token: "tok", result: { n: 1 } } },
      { url: "http://platform.test/v1/workflows/tasks/query/respond", body: { task_token: "tok2", failure } },
    ]);
  });

  it("drops an answer the platform no longer waits for (stale_task), and throws other refusals", async () => {
    const { api: a } = api([problem(409, "stale_task"), problem(413, "payload_too_large")]);
    expect(await a.respondQuery("tok", { result: 1 })).toBe("stale");
    await expect(a.respondQuery("tok", { result: "x" })).rejects.toBeInstanceOf(SundialApiError);
  });
});
