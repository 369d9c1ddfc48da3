import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ExecutionStore, newActivityRow } from "../../src/objects/execution-store.ts";
import { EXECUTION_MIGRATIONS, EXECUTION_SCHEMA } from "../../src/objects/execution-schema.ts";
import { applySqlMigrations, migratedOnFirstUse } from "../../src/objects/sql-migrations.ts";
import { api, uid } from "./helpers.ts";

// The ExecutionStore keeps copies of the tables every re-arm reads (pending activities, timers,
// the outbox): a write forgets its table's copy, a fresh database starts with empty ones. These
// tests check the copies against what the database says, and that a read of an unchanged table
// runs no statement.

/** `sql` with a count of the statements run through it. */
function counted(sql: SqlStorage): { sql: SqlStorage; count: () => number } {
  let n = 0;
  const wrapped = { exec: (query: string, ...bindings: unknown[]) => (n++, sql.exec(query, ...bindings)) } as unknown as SqlStorage;
  return { sql: wrapped, count: () => n };
}

/** What a store that has read nothing yet sees: the database itself. */
function fromDisk(sql: SqlStorage) {
  const s = new ExecutionStore(sql);
  return { activities: s.activities(), timers: s.timers(), outbox: s.outbox.entries(), nextAt: s.outbox.nextAt() };
}

function view(s: ExecutionStore) {
  return { activities: s.activities(), timers: s.timers(), outbox: s.outbox.entries(), nextAt: s.outbox.nextAt() };
}

/** Runs `fn` inside a new ExecutionObject (its schema applied, as its first statement would, every table empty). */
async function inFreshObject(fn: (sql: SqlStorage) => void): Promise<void> {
  await runInDurableObject(env.EXECUTIONS.getByName(`default/${uid("copies")}`), (_o, state: DurableObjectState) => {
    expect(applySqlMigrations(state.storage, EXECUTION_MIGRATIONS, EXECUTION_SCHEMA)).toBe(true);
    fn(state.storage.sql);
  });
}

/**
 * Runs `fn` on a store over a new ExecutionObject's database with no schema yet, its statements
 * going through `migratedOnFirstUse` as the object's do: the first one creates the schema and
 * empties the store's copies.
 */
async function inNewObject(fn: (s: ExecutionStore, raw: SqlStorage) => void): Promise<void> {
  await runInDurableObject(env.EXECUTIONS.getByName(`default/${uid("new")}`), (_o, state: DurableObjectState) => {
    const s: ExecutionStore = new ExecutionStore(migratedOnFirstUse(state.storage, EXECUTION_MIGRATIONS, EXECUTION_SCHEMA, () => s.startsEmpty()));
    fn(s, state.storage.sql);
  });
}

describe("ExecutionStore copies", () => {
  // The first statement of a new database empties every copy: a write that forgot its copy before
  // its statement would then read as empty while the table holds its row.
  it.each([
    ["an outbox put", (s: ExecutionStore) => s.outbox.put("index", { v: 1 }, 5)],
    ["an activity insert", (s: ExecutionStore) => s.insertActivity(newActivityRow(1, 5, "a", null, {}, 1000))],
    ["a timer insert", (s: ExecutionStore) => s.insertTimer(1, 4, 9000)],
  ])("%s as a new database's first statement is seen by the next read", async (_what, write) => {
    await inNewObject((s, raw) => {
      write(s);
      const after = view(s);
      expect(after).toEqual(fromDisk(raw));
      expect([after.activities, after.timers, after.outbox].some((rows) => rows.length === 1)).toBe(true);
    });
  });

  it("a run inserted as a new database's first statement is seen by the next read", async () => {
    const id = uid("run");
    expect((await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: uid("q") })).status).toBe(201);
    const row = await runInDurableObject(env.EXECUTIONS.getByName(`default/${id}`), (_o, state: DurableObjectState) => new ExecutionStore(state.storage.sql).run()!);
    await inNewObject((s, raw) => {
      s.insertRun(row);
      expect(s.run()).toEqual(row);
      expect(new ExecutionStore(raw).run()).toEqual(row);
    });
  });

  it("a new database's store reads nothing to re-arm; a store over an existing one reads each table once", async () => {
    await inFreshObject((raw) => {
      const fresh = counted(raw);
      const s = new ExecutionStore(fresh.sql);
      s.startsEmpty();
      expect(view(s)).toEqual({ activities: [], timers: [], outbox: [], nextAt: null });
      expect(s.run()).toBeNull();
      expect(s.lastEventId()).toBe(0);
      expect(fresh.count()).toBe(0);

      const woken = counted(raw);
      const w = new ExecutionStore(woken.sql);
      view(w);
      const reads = woken.count();
      expect(reads).toBeGreaterThan(0);
      view(w);
      view(w);
      expect(woken.count()).toBe(reads);
    });
  });

  it("activities: every write is seen by the next read, as the database has it", async () => {
    await inNewObject((s, raw) => {
      s.insertActivity(newActivityRow(2, 7, "b", { x: 1 }, {}, 1000));
      s.insertActivity(newActivityRow(1, 5, "a", null, {}, 1000));
      expect(s.activities().map((a) => [a.seq, a.state])).toEqual([[1, "scheduled"], [2, "scheduled"]]);
      s.updateActivity(2, { state: "started", started_at: 1500, lease: 1 });
      expect(s.activities().find((a) => a.seq === 2)).toMatchObject({ state: "started", started_at: 1500, lease: 1 });
      s.updateActivity(2, { last_failure: JSON.stringify({ message: "boom" }) });
      expect(s.activities().find((a) => a.seq === 2)!.last_failure_bytes).toBe(JSON.stringify({ message: "boom" }).length);
      expect(view(s)).toEqual(fromDisk(raw));
      s.deleteActivity(1);
      expect(s.activities().map((a) => a.seq)).toEqual([2]);
      expect(view(s)).toEqual(fromDisk(raw));
    });
  });

  it("timers: inserts and deletes are seen in fire order", async () => {
    await inNewObject((s, raw) => {
      s.insertTimer(1, 5, 9000);
      s.insertTimer(2, 6, 3000);
      expect(s.timers().map((t) => t.seq)).toEqual([2, 1]);
      s.deleteTimer(2);
      expect(s.timers().map((t) => t.seq)).toEqual([1]);
      expect(view(s)).toEqual(fromDisk(raw));
      s.insertActivity(newActivityRow(1, 5, "a", null, {}, 1000));
      s.clearPending();
      expect(view(s)).toEqual({ ...fromDisk(raw), activities: [], timers: [] });
    });
  });

  it("a new run or a reset forgets the pending copies with the tables", async () => {
    await inNewObject((s, raw) => {
      s.insertActivity(newActivityRow(1, 2, "a", null, {}, 1000));
      s.insertTimer(1, 3, 5000);
      s.append("workflow_task_scheduled", 1000, {});
      s.append("workflow_task_started", 1000, {});
      s.append("workflow_task_completed", 1000, {});
      s.restartHistoryAt(2);
      expect([s.activities(), s.timers()]).toEqual([[], []]);
      s.insertTimer(4, 1, 6000);
      expect(s.timers().map((t) => t.seq)).toEqual([4]);
      s.resetForNewRun();
      expect(view(s)).toEqual(fromDisk(raw));
      expect(s.timers()).toEqual([]);
    });
  });

  it("outbox: put, replace, retry, done and drop are seen by entries, nextAt and has", async () => {
    await inNewObject((s, raw) => {
      s.outbox.put("index", { v: 1 }, 2000);
      s.outbox.put("notice", { v: 2 }, 1000);
      expect(s.outbox.nextAt()).toBe(1000);
      expect(s.outbox.has("index")).toBe(true);
      // A replaced entry goes out with its new payload, after the ones due with it.
      s.outbox.put("index", { v: 3 }, 1000);
      expect(s.outbox.entries().map((e) => [e.key, e.payload])).toEqual([["notice", '{"v":2}'], ["index", '{"v":3}']]);
      s.outbox.retry("notice", '{"v":2}', 1, 4000);
      expect(s.outbox.entries().map((e) => [e.key, e.attempts, e.next_at])).toEqual([["index", 0, 1000], ["notice", 1, 4000]]);
      expect(view(s)).toEqual(fromDisk(raw));
      // done() with an older payload keeps the newer one.
      s.outbox.done("index", '{"v":1}');
      expect(s.outbox.has("index")).toBe(true);
      s.outbox.done("index", '{"v":3}');
      expect([s.outbox.has("index"), s.outbox.nextAt()]).toEqual([false, 4000]);
      // The index row settles lazily: delivered, it is no entry any more, and its row is deleted
      // with the next write. A store that read the database meanwhile (after an eviction) sends it again.
      expect(fromDisk(raw).outbox.map((e) => e.key)).toEqual(["index", "notice"]);
      s.outbox.sweep();
      expect(view(s)).toEqual(fromDisk(raw));
      s.outbox.drop("notice");
      expect([s.outbox.entries(), s.outbox.nextAt()]).toEqual([[], null]);
      expect(view(s)).toEqual(fromDisk(raw));
    });
  });

  it("outbox: a key settled lazily and written again before the sweep goes out with its new payload, and the sweep keeps it", async () => {
    await inNewObject((s, raw) => {
      s.outbox.put("index", { v: 1 }, 1000);
      s.outbox.put("start-child:r:1", { v: 2 }, 1000);
      // Not every key settles lazily: a child start's delivery writes here, so its delete is its own,
      // and takes the settled index row along.
      s.outbox.done("index", '{"v":1}');
      expect(fromDisk(raw).outbox.map((e) => e.key)).toEqual(["index", "start-child:r:1"]);
      s.outbox.done("start-child:r:1", '{"v":2}');
      expect(fromDisk(raw).outbox).toEqual([]);
      s.outbox.put("index", { v: 1 }, 1000);
      s.outbox.done("index", '{"v":1}');
      expect(view(s).outbox).toEqual([]);
      s.outbox.put("index", { v: 2 }, 3000);
      expect([s.outbox.entries().map((e) => e.payload), s.outbox.nextAt()]).toEqual([['{"v":2}'], 3000]);
      s.outbox.sweep();
      expect(view(s)).toEqual(fromDisk(raw));
      expect(view(s).outbox.map((e) => e.payload)).toEqual(['{"v":2}']);
      // Settled and then dropped: nothing is left, on disk either.
      s.outbox.done("index", '{"v":2}');
      s.outbox.drop("index");
      s.outbox.sweep();
      expect([view(s), fromDisk(raw)]).toEqual([{ activities: [], timers: [], outbox: [], nextAt: null }, { activities: [], timers: [], outbox: [], nextAt: null }]);
    });
  });
});
