import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/core/limits.ts";
import { ExecutionStore } from "../../src/objects/execution-store.ts";
import { api, uid } from "./helpers.ts";

// An event may carry a 256 KiB payload, so history travels in pieces bounded by size: a task
// carries its newest events (LIMITS.taskHistoryBytes), the rest is read in pages of at most
// LIMITS.historyPageBytes (a whole 35 MB history in one Durable Object RPC was a 500 and a stuck run).

const BLOB = "x".repeat(250_000);
type Event = { id: number; type: string };

/** A running execution whose history is `signals` 250 KB signals after its first workflow task was scheduled. */
async function bigRun(signals: number) {
  const id = uid("big");
  const queue = uid("q");
  expect((await api("POST", "/v1/workflows/executions", { workflow: "w", input: null, execution_id: id, task_queue: queue })).status).toBe(201);
  for (let i = 0; i < signals; i++) expect((await api("POST", `/v1/workflows/executions/${id}/signals/s`, { input: { i, blob: BLOB } })).status).toBe(202);
  return { id, queue };
}

async function pollWorkflow(queue: string) {
  const r = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "t", wait_seconds: 1 });
  expect(r.status).toBe(200);
  return r.body as { task_token: string; run_id: string; history: Event[] };
}

function readBefore(token: string, after: number, before: number) {
  return api("POST", "/v1/workflows/tasks/workflow/history", { task_token: token, after_event_id: after, before_event_id: before });
}

const ids = (events: Event[]) => events.map((e) => e.id);
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const size = (events: Event[]) => JSON.stringify(events).length;


/**
 * A worker holding a workflow task while the test sends it signals: acknowledges the task at most
 * once a second, as the SDK does for a slow task. Without it, a loop that outlasts the 5 s delivery
 * timeout on a slow machine has its task handed out again, and the completion is a 409.
 */
function holding(token: string): () => Promise<void> {
  let last = 0;
  return async () => {
    if (Date.now() - last < 1_000) return;
    last = Date.now();
    expect((await api("POST", "/v1/workflows/tasks/ack", { task_token: token })).status).toBe(200);
  };
}
describe("history in pages bounded by size", () => {
  it("a task carries only its newest events past 1 MiB; the worker reads the rest, page by page, each within 4 MiB", async () => {
    const { queue } = await bigRun(24); // ~6 MB
    const task = await pollWorkflow(queue);
    const first = task.history[0]!.id;
    expect(first).toBeGreaterThan(1);
    expect(task.history.at(-1)!.type).toBe("workflow_task_started");
    expect(size(task.history)).toBeLessThanOrEqual(LIMITS.taskHistoryBytes);
    const head: Event[] = [];
    let pages = 0;
    for (let after = 0; ; ) {
      pages += 1;
      const page = await readBefore(task.task_token, after, first);
      expect(page.status).toBe(200);
      expect(size(page.body.events)).toBeLessThanOrEqual(LIMITS.historyPageBytes);
      head.push(...page.body.events);
      if (page.body.next_page_token === null) break;
      after = Number(page.body.next_page_token);
    }
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(ids([...head, ...task.history])).toEqual(oneTo(task.history.at(-1)!.id));
  });

  it("a small history still travels whole with its task", async () => {
    const { queue } = await bigRun(2);
    expect(ids((await pollWorkflow(queue)).history)).toEqual(oneTo(5));
  });

  it("GET …/history pages stop at 4 MiB whatever the page size, and together give every event once", async () => {
    const { id } = await bigRun(24);
    const all: Event[] = [];
    let pages = 0;
    for (let token = "0"; ; ) {
      pages += 1;
      const page = await api("GET", `/v1/workflows/executions/${id}/history?page_size=500&page_token=${token}`);
      expect(page.status).toBe(200);
      expect(size(page.body.events)).toBeLessThanOrEqual(LIMITS.historyPageBytes);
      all.push(...page.body.events);
      if (page.body.next_page_token === null) break;
      token = page.body.next_page_token;
    }
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(ids(all)).toEqual(oneTo(26));
    // The count still bounds a page of small events.
    expect(ids((await api("GET", `/v1/workflows/executions/${id}/history?page_size=1`)).body.events)).toEqual([1]);
  });

  it("history size counts UTF-8 bytes of the events' JSON, the same whether kept up to date or read again from storage", async () => {
    const { id } = await bigRun(0);
    for (const text of ["plain", "añ€😀 \"quoted\" \u0001", "日本語".repeat(1000)]) {
      expect((await api("POST", `/v1/workflows/executions/${id}/signals/s`, { input: { text } })).status).toBe(202);
    }
    const events = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as (Event & Record<string, unknown>)[];
    const utf8 = new TextEncoder();
    const expected = events.reduce((sum, { id: _i, type: _t, ts: _ts, ...attrs }) => sum + utf8.encode(JSON.stringify(attrs)).length, 0);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.history_size_bytes).toBe(expected);
    // What a woken object sums from storage is what the running one counted.
    const stored = await runInDurableObject(env.EXECUTIONS.getByName(`default/${id}`), async (_o, state) => new ExecutionStore(state.storage.sql).historyBytes());
    expect(stored).toBe(expected);
  });

  it("history size starts again with the new run of a reset, counting the events it copies", async () => {
    const { id, queue } = await bigRun(3);
    const task = await pollWorkflow(queue);
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.task_token, commands: [] })).status).toBe(200);
    for (const n of [1, 2]) expect((await api("POST", `/v1/workflows/executions/${id}/signals/later`, { input: { n } })).status).toBe(202);
    const completed = ((await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as Event[]).find((e) => e.type === "workflow_task_completed")!;
    expect((await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: completed.id, reason: "test" })).status).toBeLessThan(300);
    const events = (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as (Event & Record<string, unknown>)[];
    // The kept events, the reset's failed task, the two later signals delivered again, the new task: nothing set aside is left.
    expect(ids(events)).toEqual(oneTo(events.length));
    expect(events.slice(completed.id - 1).map((e) => e.type)).toEqual(["workflow_task_failed", "signal_received", "signal_received", "workflow_task_scheduled"]);
    const utf8 = new TextEncoder();
    const expected = events.reduce((sum, { id: _i, type: _t, ts: _ts, ...attrs }) => sum + utf8.encode(JSON.stringify(attrs)).length, 0);
    const described = (await api("GET", `/v1/workflows/executions/${id}`)).body;
    expect(described.history_size_bytes).toBe(expected);
    const stored = await runInDurableObject(env.EXECUTIONS.getByName(`default/${id}`), async (_o, state) => new ExecutionStore(state.storage.sql).historyBytes());
    expect(stored).toBe(expected);
  });

  it("history size: continue-as-new is suggested from 10 MiB; at 50 MiB signals are refused and the next workflow task fails the run", async () => {
    const { id, queue } = await bigRun(42); // ~10.5 MB
    const described = (await api("GET", `/v1/workflows/executions/${id}`)).body;
    expect(described.history_size_bytes).toBeGreaterThanOrEqual(LIMITS.continueAsNewSuggestedBytes);
    expect(described.history_size_bytes).toBeLessThan(LIMITS.continueAsNewSuggestedBytes + 300_000);
    const task = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "t", wait_seconds: 1 });
    expect(task.body.continue_as_new_suggested).toBe(true);
    expect(task.body.history.at(-1)).toMatchObject({ type: "workflow_task_started", suggest_continue_as_new: true });

    let refused: { status: number; body: { code: string; field: string } } | undefined;
    const held = holding(task.body.task_token);
    for (let i = 0; i < 220 && !refused; i++) {
      const r = await api("POST", `/v1/workflows/executions/${id}/signals/s`, { input: { i, blob: BLOB } });
      if (r.status !== 202) refused = r;
      await held();
    }
    expect(refused).toMatchObject({ status: 422, body: { code: "limit_exceeded", field: "input" } });
    // A refused signal sent again with its request_id is refused again, not taken as already recorded.
    const withId = () => api("POST", `/v1/workflows/executions/${id}/signals/s`, { input: null, request_id: "r-1" });
    expect((await withId()).status).toBe(422);
    expect((await withId()).status).toBe(422);
    const size = (await api("GET", `/v1/workflows/executions/${id}`)).body.history_size_bytes;
    expect(size).toBeGreaterThanOrEqual(LIMITS.maxHistoryBytes);
    expect(size).toBeLessThan(LIMITS.maxHistoryBytes + 300_000);

    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.body.task_token, commands: [] })).status).toBe(200);
    const closed = (await api("GET", `/v1/workflows/executions/${id}`)).body;
    expect(closed).toMatchObject({ status: "failed", failure: { type: "HistoryLimitExceeded", message: "history limit of 50 MiB reached; use continue-as-new" } });
  }, 120_000);

  it("a workflow task that ends the run goes through past the size limit (the continue-as-new the suggestion asked for)", async () => {
    const { id, queue } = await bigRun(0);
    const task = await pollWorkflow(queue);
    const held = holding(task.task_token);
    for (let i = 0; (await api("POST", `/v1/workflows/executions/${id}/signals/s`, { input: { i, blob: BLOB } })).status === 202; i++) await held();
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.history_size_bytes).toBeGreaterThanOrEqual(LIMITS.maxHistoryBytes);
    // The task that saw none of those signals may not end the run (UnhandledCommand: they would be
    // lost); the new task that delivers them may, past the limit, since no more signals get in.
    const missed = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.task_token, commands: [{ type: "continue_as_new", input: { from: 1 } }] });
    expect(missed.body).toMatchObject({ code: "stale_task" });
    const again = await pollWorkflow(queue);
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: again.task_token, commands: [{ type: "continue_as_new", input: { from: 1 } }] })).status).toBe(200);
    const next = (await api("GET", `/v1/workflows/executions/${id}`)).body;
    expect(next).toMatchObject({ status: "running", run_number: 2, input: { from: 1 } });
    expect(next.history_size_bytes).toBeLessThan(1_000);
  }, 120_000);

  it("a query task's token reads its run's history too; an activity token, a bad range and a token of an earlier run do not", async () => {
    const { id, queue } = await bigRun(1);
    const task = await pollWorkflow(queue);
    const r = await readBefore(task.task_token, 0, 3);
    expect(ids(r.body.events)).toEqual([1, 2]);
    expect(r.body.next_page_token).toBeNull();

    const bad = await readBefore(task.task_token, 2, 3);
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ field: "before_event_id" });
    expect((await readBefore("not-a-token", 0, 3)).status).toBe(404);

    // An activity task's token is not a workflow task's.
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "a", input: null }] });
    const activity = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "activity", identity: "t", wait_seconds: 1 });
    expect((await readBefore(activity.body.task_token, 0, 3)).status).toBe(404);

    // A query task (answered by a worker replaying the run) may read the history it needs.
    const asked = api("POST", `/v1/workflows/executions/${id}/queries/q`, { timeout_seconds: 5 });
    const query = await pollWorkflow(queue);
    expect(ids((await readBefore(query.task_token, 0, 3)).body.events)).toEqual([1, 2]);
    await api("POST", "/v1/workflows/tasks/query/respond", { task_token: query.task_token, result: 1 });
    expect((await asked).status).toBe(200);

    // Once the run is replaced (terminated, then started again under the same id), its tokens are stale.
    await api("POST", `/v1/workflows/executions/${id}/terminate`, { reason: "test" });
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", input: null, execution_id: id, task_queue: queue, id_reuse_policy: "allow_duplicate" })).status).toBe(201);
    const stale = await readBefore(task.task_token, 0, 3);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: "stale_task" });
  });

  it("a page token names its run: after a continue-as-new the next page is a 409 history_changed, not another run's events", async () => {
    const { id, queue } = await bigRun(24);
    const first = await api("GET", `/v1/workflows/executions/${id}/history?page_size=500`);
    expect(first.body.next_page_token).toMatch(/^\d+\.[0-9a-f-]+$/);
    const task = await pollWorkflow(queue);
    await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: task.task_token, commands: [{ type: "continue_as_new", input: null }] });
    const stale = await api("GET", `/v1/workflows/executions/${id}/history?page_size=500&page_token=${first.body.next_page_token}`);
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: "history_changed", field: "page_token" });
    // A bare event id (a token issued before tokens named their run) is still read.
    expect((await api("GET", `/v1/workflows/executions/${id}/history?page_token=1`)).status).toBe(200);
  });

  it("a page token history did not issue is a 400 invalid_page_token, as on every other list", async () => {
    const { id } = await bigRun(2);
    for (const token of ["abc", "1.", "-5", "1.x.y", "1234567890"]) {
      const r = await api("GET", `/v1/workflows/executions/${id}/history?page_token=${encodeURIComponent(token)}`);
      expect(r.status, token).toBe(400);
      expect(r.body).toMatchObject({ code: "invalid_page_token", field: "query.page_token" });
    }
  });
});
