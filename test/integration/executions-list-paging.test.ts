import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/core/crypto.ts";
import { clock } from "../../src/clock.ts";
import { listExecutionsStatement, upsertExecution, type ExecutionIndexWrite } from "../../src/index/executions.ts";
import { api, uid } from "./helpers.ts";
import { complete, eventually, poll } from "./hand-worker.ts";
import { sdkClient } from "./sdk-worker.ts";

// GET /v1/workflows/executions pages newest first by each execution's first start: a
// continue-as-new or a reset gives the execution a new run (and a newer started_at) but keeps its
// place, so a client paging through the list meets it exactly once.

/** The D1 index row of an execution (the list reads it). */
async function indexed(id: string) {
  return env.DB.prepare("SELECT run_id, started_at FROM executions WHERE namespace = 'default' AND execution_id = ?").bind(id).first<{ run_id: string; started_at: number }>();
}

/** Waits until the index lists `runId` for `id`. */
async function indexedRun(id: string, runId: string) {
  return eventually(async () => (await indexed(id))?.run_id === runId);
}

const cursor = (keys: Record<string, unknown>) => toBase64Url(new TextEncoder().encode(JSON.stringify(keys)));

/** Starts `id` on its own queue and completes its first workflow task (a timer): a reset point at event 4. */
async function startWithTask(wf: string, id: string): Promise<{ queue: string; runId: string }> {
  const queue = uid("q");
  const r = await api("POST", "/v1/workflows/executions", { workflow: wf, execution_id: id, task_queue: queue });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const task = await poll(queue);
  expect(task.body.execution_id).toBe(id);
  expect((await complete(task.body.task_token, [{ type: "start_timer", seq: 1, duration: 600 }])).body).toEqual({ status: "accepted" });
  await indexedRun(id, r.body.run_id);
  return { queue, runId: r.body.run_id };
}

/** A new run of the execution: continue-as-new (from its next workflow task) or a reset to event 4. */
const RENEW: Record<string, (id: string, queue: string) => Promise<void>> = {
  "continue-as-new": async (id, queue) => {
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/go`, {})).status).toBe(202);
    const task = await poll(queue);
    expect(task.body.execution_id).toBe(id);
    expect((await complete(task.body.task_token, [{ type: "continue_as_new", input: null }])).body).toEqual({ status: "accepted" });
  },
  reset: async (id) => {
    const r = await api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: 4, reason: "again" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  },
};

async function newRunId(id: string, before: string): Promise<string> {
  return eventually(async () => {
    const runId = (await api("GET", `/v1/workflows/executions/${id}`)).body.run_id as string;
    return runId !== before && runId;
  });
}

describe("GET /v1/workflows/executions pages stably by each execution's first start", () => {
  it.each(Object.keys(RENEW))("an execution that gets a new run (%s) while a client pages is listed once, on the page its first start puts it", async (how) => {
    const wf = uid("pagewf");
    const t0 = Date.now();
    const ids = [uid("page-a"), uid("page-b"), uid("page-c")];
    const runs: { queue: string; runId: string }[] = [];
    for (const [i, id] of ids.entries()) {
      clock.now = () => t0 + i * 1_000;
      runs.push(await startWithTask(wf, id));
    }
    const list = (token?: string) => api("GET", `/v1/workflows/executions?workflow=${wf}&page_size=1${token ? `&page_token=${token}` : ""}`);
    const page1 = await list();
    const page2 = await list(page1.body.next_page_token);
    expect([page1, page2].map((p) => p.body.executions[0].execution_id)).toEqual([ids[2], ids[1]]);

    // The oldest gets a new run, started after every other execution, while the client is on page 2.
    clock.now = () => t0 + 5_000;
    await RENEW[how]!(ids[0]!, runs[0]!.queue);
    const runId = await newRunId(ids[0]!, runs[0]!.runId);
    await indexedRun(ids[0]!, runId);

    const page3 = await list(page2.body.next_page_token);
    expect(page3.status).toBe(200);
    expect(page3.body.executions).toHaveLength(1);
    // Listed where its first start puts it, showing its current run: that run's id and start.
    expect(page3.body.executions[0]).toMatchObject({ execution_id: ids[0], run_id: runId, started_at: new Date(t0 + 5_000).toISOString(), status: "running" });
    expect(page3.body.next_page_token).toBeNull();
    // A fresh walk sees the same order.
    const all = await api("GET", `/v1/workflows/executions?workflow=${wf}`);
    expect(all.body.executions.map((e: { execution_id: string }) => e.execution_id)).toEqual([ids[2], ids[1], ids[0]]);
  });

  it.each(Object.keys(RENEW))("a %s in the same millisecond as the run's start still updates the index row", async (how) => {
    const wf = uid("samems");
    const t0 = Date.now();
    clock.now = () => t0;
    const id = uid("same-ms");
    const { queue, runId: first } = await startWithTask(wf, id);
    await RENEW[how]!(id, queue);
    const runId = await newRunId(id, first);
    await indexedRun(id, runId);
    const listed = await api("GET", `/v1/workflows/executions?workflow=${wf}`);
    expect(listed.body.executions).toMatchObject([{ execution_id: id, run_id: runId, status: "running", started_at: new Date(t0).toISOString() }]);
  });

  it("a page token issued before the list paged by first start ({s, i}) still continues the walk; a forged one is a 400", async () => {
    const wf = uid("oldtoken");
    const t0 = Date.now();
    const ids = [uid("old-a"), uid("old-b"), uid("old-c")];
    for (const [i, id] of ids.entries()) {
      clock.now = () => t0 + i * 1_000;
      const r = await api("POST", "/v1/workflows/executions", { workflow: wf, execution_id: id });
      await indexedRun(id, r.body.run_id);
    }
    const old = await api("GET", `/v1/workflows/executions?workflow=${wf}&page_token=${cursor({ s: t0 + 2_000, i: ids[2] })}`);
    expect(old.status, JSON.stringify(old.body)).toBe(200);
    expect(old.body.executions.map((e: { execution_id: string }) => e.execution_id)).toEqual([ids[1], ids[0]]);
    for (const forged of [{ s: "x", i: ids[2] }, { f: t0, s: t0, i: ids[2] }, { f: -1, i: ids[2] }]) {
      const r = await api("GET", `/v1/workflows/executions?workflow=${wf}&page_token=${cursor(forged)}`);
      expect(r.status, JSON.stringify(forged)).toBe(400);
      expect(r.body).toMatchObject({ code: "invalid_page_token", field: "query.page_token" });
    }
  });
});

describe("the executions index: which write wins, and first_started_at", () => {
  const row = (id: string, run: string, startedAt: number, extra: Partial<ExecutionIndexWrite> = {}): ExecutionIndexWrite => ({
    namespace: "default",
    execution_id: id,
    run_id: run,
    workflow: "w",
    status: "running",
    task_queue: "q",
    schedule_id: null,
    started_at: startedAt,
    closed_at: null,
    ...extra,
  });
  const stored = (id: string) =>
    env.DB.prepare("SELECT run_id, status, started_at, first_started_at FROM executions WHERE namespace = 'default' AND execution_id = ?").bind(id).first();

  it("a run's successor wins even in the same millisecond; a stale earlier run arriving after it does not", async () => {
    const id = uid("ooo");
    await upsertExecution(env.DB, row(id, "a", 100, { run_number: 1, previous_run_id: null }));
    await upsertExecution(env.DB, row(id, "b", 100, { run_number: 2, previous_run_id: "a" }));
    expect(await stored(id)).toEqual({ run_id: "b", status: "running", started_at: 100, first_started_at: 100 });
    // A's close (a delivery retried after B's) is older than B: refused.
    await upsertExecution(env.DB, row(id, "a", 100, { status: "continued_as_new", closed_at: 100, run_number: 1, previous_run_id: null }));
    expect(await stored(id)).toMatchObject({ run_id: "b", status: "running" });
    // B's successors keep the first start, later ones too (a chain whose middle write was replaced in the outbox).
    await upsertExecution(env.DB, row(id, "d", 300, { run_number: 4, previous_run_id: "c" }));
    expect(await stored(id)).toEqual({ run_id: "d", status: "running", started_at: 300, first_started_at: 100 });
    // An entry queued before writes carried run_number keeps it too.
    await upsertExecution(env.DB, row(id, "e", 400));
    expect(await stored(id)).toEqual({ run_id: "e", status: "running", started_at: 400, first_started_at: 100 });
  });

  it("a start that begins the id anew in the millisecond its last run closed wins; that closed run's write arriving after it does not", async () => {
    const id = uid("reuse-ms");
    const closedA = row(id, "a", 100, { status: "terminated", closed_at: 100, run_number: 1, previous_run_id: null });
    await upsertExecution(env.DB, closedA);
    // The new run numbers on from A's (run numbers never repeat under one id) but continues nothing.
    await upsertExecution(env.DB, row(id, "b", 100, { run_number: 2, previous_run_id: null }));
    expect(await stored(id)).toEqual({ run_id: "b", status: "running", started_at: 100, first_started_at: 100 });
    await upsertExecution(env.DB, closedA);
    expect(await stored(id)).toMatchObject({ run_id: "b", status: "running" });
    // Through the API, all in one millisecond: start, terminate, start again.
    const t0 = Date.now();
    clock.now = () => t0;
    const same = uid("reuse-ms");
    const first = await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: same });
    await indexedRun(same, first.body.run_id);
    expect((await api("POST", `/v1/workflows/executions/${same}/terminate`, {})).status).toBe(200);
    await eventually(async () => (await stored(same))?.status === "terminated");
    const again = await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: same, id_reuse_policy: "allow_duplicate" });
    expect(again.status).toBe(201);
    await indexedRun(same, again.body.run_id);
  });

  it("a start request that begins the id anew (an id-reuse policy) lists the execution from its new start", async () => {
    const wf = uid("reuse");
    const t0 = Date.now();
    const [older, reused] = [uid("reuse-a"), uid("reuse-b")];
    clock.now = () => t0;
    const first = await api("POST", "/v1/workflows/executions", { workflow: wf, execution_id: reused });
    await indexedRun(reused, first.body.run_id);
    clock.now = () => t0 + 1_000;
    await indexedRun(older, (await api("POST", "/v1/workflows/executions", { workflow: wf, execution_id: older })).body.run_id);
    clock.now = () => t0 + 2_000;
    expect((await api("POST", `/v1/workflows/executions/${reused}/terminate`, {})).status).toBe(200);
    const again = await api("POST", "/v1/workflows/executions", { workflow: wf, execution_id: reused, id_reuse_policy: "allow_duplicate" });
    expect(again.status).toBe(201);
    await indexedRun(reused, again.body.run_id);
    const listed = await api("GET", `/v1/workflows/executions?workflow=${wf}`);
    expect(listed.body.executions.map((e: { execution_id: string }) => e.execution_id)).toEqual([reused, older]);
    expect(await stored(reused)).toMatchObject({ started_at: t0 + 2_000, first_started_at: t0 + 2_000 });
  });

  it.each([
    ["no filter", {}, "executions_page"],
    ["workflow", { workflow: "w" }, "executions_page_by_workflow"],
    ["status", { status: "running" }, "executions_page_by_status"],
    ["schedule_id", { scheduleId: "s" }, "executions_page_by_schedule"],
    ["workflow and status", { workflow: "w", status: "running" }, "executions_page_by_"],
    ["schedule_id and workflow", { scheduleId: "s", workflow: "w" }, "executions_page_by_schedule"],
    ["schedule_id, workflow and status", { scheduleId: "s", workflow: "w", status: "running" }, "executions_page_by_schedule"],
  ] as const)("pages filtered by %s read an index in order, without sorting the namespace's executions", async (_name, filter, index) => {
    for (const [after, window] of [[undefined, {}], [{ firstStartedAt: 1, executionId: "x" }, {}], [undefined, { startedAfter: 1, startedBefore: 9 }], [{ firstStartedAt: 5, executionId: "x" }, { startedAfter: 1 }], [{ firstStartedAt: 5, executionId: "x" }, { startedAfter: 1, startedBefore: 9 }], [{ firstStartedAt: 9, executionId: "x" }, { startedBefore: 5 }]] as const) {
      const { sql, binds } = listExecutionsStatement({ namespace: "default", ...filter, ...window, after, limit: 10 });
      const r = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...binds)
        .all<{ detail: string }>();
      const plan = r.results.map((x) => x.detail).join(" | ");
      expect(plan).toContain(`INDEX ${index}`);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });

  // The cursor was only a filter: a page after it read every row of the pages before it (in the
  // window or the filter's index) and dropped them, so paging through n rows read about n²/2.
  it.each([
    ["no filter", {}],
    ["workflow", { workflow: "pages-wf" }],
    ["workflow in a window", { workflow: "pages-wf", startedAfter: 1_000, startedBefore: 1_000_000 }],
    ["schedule_id in a window", { scheduleId: "pages-s", startedAfter: 1_000 }],
  ] as const)("a page after a cursor (%s) reads from the cursor on, not the pages before it", async (_name, filter) => {
    const namespace = uid("ns-pages");
    for (let i = 0; i < 60; i++) {
      await upsertExecution(env.DB, { ...row(`e${String(i).padStart(2, "0")}`, "r", 10_000 + i * 1_000), namespace, workflow: "pages-wf", schedule_id: "pages-s" });
    }
    // The cursor of the last row of page 10 (of 12, page size 5).
    const after = { firstStartedAt: 10_000 + 10 * 1_000, executionId: "e10" };
    const { sql, binds } = listExecutionsStatement({ namespace, ...filter, after, limit: 6 });
    const r = await env.DB.prepare(sql)
      .bind(...binds)
      .all<{ execution_id: string }>();
    expect(r.results.map((x) => x.execution_id)).toEqual(["e09", "e08", "e07", "e06", "e05", "e04"]);
    // SQLite counts each index entry visited: the page and the one past its end, not the 49 above it.
    expect(r.meta.rows_read).toBeLessThanOrEqual(8);
  });

  it("migration 0007 gives rows indexed before it their started_at as first start, and so do inserts by the code from before it", async () => {
    const migrations = (env as unknown as { TEST_MIGRATIONS: { name: string; queries: string[] }[] }).TEST_MIGRATIONS;
    const before = migrations.filter((m) => m.name < "0007");
    const m0007 = migrations.find((m) => m.name.startsWith("0007_"))!;
    // A scratch SQLite database (an object's), brought to 0006, holding rows, then migrated.
    await runInDurableObject(env.EXECUTIONS.getByName(`default/${uid("scratch")}`), async (_o, state) => {
      const sql = state.storage.sql;
      for (const q of before.flatMap((m) => m.queries)) sql.exec(q);
      const insert = "INSERT INTO executions (namespace, execution_id, run_id, workflow, status, task_queue, started_at) VALUES ('ns', ?, 'r', 'w', 'running', 'q', ?)";
      sql.exec(insert, "old", 500);
      for (const q of m0007.queries) sql.exec(q);
      sql.exec(insert, "written-by-old-code", 700);
      expect(sql.exec("SELECT execution_id, started_at, first_started_at FROM executions ORDER BY execution_id").toArray()).toEqual([
        { execution_id: "old", started_at: 500, first_started_at: 500 },
        { execution_id: "written-by-old-code", started_at: 700, first_started_at: 700 },
      ]);
    });
  });

  it("started_after / started_before list the executions first started in [after, before), paged, with any filter; a bad or empty window is a 422", async () => {
    const wf = uid("wf-window");
    const t0 = Date.parse("2027-04-01T10:00:00.000Z");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.now = () => t0 + i * 60_000;
      const id = uid(`win-${i}`);
      const r = await api("POST", "/v1/workflows/executions", { workflow: wf, execution_id: id });
      expect(r.status).toBe(201);
      await indexedRun(id, r.body.run_id);
      ids.push(id);
    }
    const list = async (query: string, from: string | null = null) => {
      const seen: string[] = [];
      let token: string | null = from;
      do {
        const r = await api("GET", `/v1/workflows/executions?workflow=${wf}&page_size=1&${query}${token ? `&page_token=${token}` : ""}`);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        seen.push(...r.body.executions.map((e: { execution_id: string }) => e.execution_id));
        token = r.body.next_page_token;
      } while (token);
      return seen;
    };
    expect(await list("started_after=2027-04-01T10:01:00Z&started_before=2027-04-01T10:03:00Z")).toEqual([ids[2], ids[1]]);
    expect(await list("started_after=2027-04-01T10:03:00Z")).toEqual([ids[4], ids[3]]);
    expect(await list(`started_before=${encodeURIComponent("2027-04-01T12:01:00+02:00")}`)).toEqual([ids[0]]);
    // The + of an offset written unencoded arrives as a space: read as the + it was.
    expect(await list("started_before=2027-04-01T12:01:00+02:00")).toEqual([ids[0]]);
    // A page token is a place in the order, whatever window issued it: read with another window,
    // the rows past it in that window (the cursor above, inside and at the window's end).
    const tokenAfter = async (query: string) => (await api("GET", `/v1/workflows/executions?workflow=${wf}&page_size=1&${query}`)).body.next_page_token as string;
    const afterNewest = await tokenAfter("");
    const afterThird = await tokenAfter("started_before=2027-04-01T10:02:30Z");
    expect(await list("started_before=2027-04-01T10:03:00Z", afterNewest)).toEqual([ids[2], ids[1], ids[0]]);
    expect(await list("started_after=2027-04-01T10:01:00Z", afterThird)).toEqual([ids[1]]);
    expect(await list("started_before=2027-04-01T10:02:00Z", afterThird)).toEqual([ids[1], ids[0]]);
    expect(await list("started_before=2027-04-01T10:01:00Z", afterThird)).toEqual([ids[0]]);
    // The client sends a Date or an RFC 3339 string, a "+hh:mm" offset encoded as %2B (a bare "+" reads as a space).
    const viaClient = await sdkClient().executions.list({ workflow: wf, startedAfter: new Date("2027-04-01T10:01:00Z"), startedBefore: "2027-04-01T10:03:00Z" });
    expect(viaClient.executions.map((e) => e.executionId)).toEqual([ids[2], ids[1]]);
    const offsets = await sdkClient().executions.list({ workflow: wf, startedAfter: "2027-04-01T12:01:00+02:00", startedBefore: "2027-04-01T15:33:00+05:30" });
    expect(offsets.executions.map((e) => e.executionId)).toEqual([ids[2], ids[1]]);
    // Starts are recorded to the millisecond: a bound between two is the next one. ids[1] started
    // at 10:01:00.000, before 10:01:00.0005 (out as its lower bound, in under its upper one).
    expect(await list("started_after=2027-04-01T10:01:00.0005Z&started_before=2027-04-01T10:03:00Z")).toEqual([ids[2]]);
    expect(await list("started_after=2027-04-01T10:00:00.0000Z&started_before=2027-04-01T10:01:00.000000001Z")).toEqual([ids[1], ids[0]]);
    expect(await list("started_after=2027-04-01T10:00:00.0001Z&started_before=2027-04-01T10:01:00.0000Z")).toEqual([]);
    for (const [query, field] of [
      ["started_after=yesterday", "query.started_after"],
      ["started_before=", "query.started_before"],
      ["started_after=2027-04-01T10:03:00Z&started_before=2027-04-01T10:03:00Z", "query.started_before"],
    ]) {
      const bad = await api("GET", `/v1/workflows/executions?${query}`);
      expect(bad.status).toBe(422);
      expect(bad.body).toMatchObject({ code: "validation_failed", field });
    }
  });
});

