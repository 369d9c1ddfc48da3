import type { SchedulePolicy, ScheduleSpec } from "@sundial/sdk/protocol";
import { followDropped } from "../core/schedule/backfill-chain.ts";
import { adoptPrepared, SKIPPED_CATCHUP, skipPrepared, type PendingFire, type ScheduleState } from "../core/schedule/machine.ts";
import { withinRetryBound } from "../core/schedule/retry-queue.ts";
import type { PreparedRun } from "../core/schedule/prepare.ts";
import { LIMITS } from "../core/limits.ts";
import { Outbox, OUTBOX_TABLE_SQL } from "./outbox.ts";
import type { Sql, SqlMigration } from "./sql-migrations.ts";

// Table definitions shared by the migration that created each table and the one-step schema below.
const SCHEDULE_TABLE = `
      CREATE TABLE schedule (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        namespace TEXT NOT NULL, schedule_id TEXT NOT NULL, workflow TEXT NOT NULL, key TEXT NOT NULL, source TEXT NOT NULL,
        spec TEXT NOT NULL, policy TEXT NOT NULL, input TEXT NOT NULL, task_queue TEXT NOT NULL, execution_timeout INTEGER,
        version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, spec_origin INTEGER NOT NULL,
        state TEXT NOT NULL
      );
      CREATE TABLE actions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, nominal INTEGER, actual INTEGER,
        run_id TEXT, kind TEXT NOT NULL, outcome TEXT NOT NULL
      );`;
const BACKFILLS_V1_COLUMNS = "id INTEGER PRIMARY KEY AUTOINCREMENT, cursor INTEGER NOT NULL, end_at INTEGER NOT NULL, overlap TEXT NOT NULL";
const TRIGGER_REQUESTS_TABLE = "CREATE TABLE trigger_requests (request_id TEXT PRIMARY KEY, at INTEGER NOT NULL, run_id TEXT NOT NULL, outcome TEXT NOT NULL);";
const BACKFILL_REQUESTS_TABLE = "CREATE TABLE backfill_requests (request_id TEXT PRIMARY KEY, at INTEGER NOT NULL, backfill_id INTEGER NOT NULL, fires INTEGER NOT NULL);";

export const SCHEDULE_MIGRATIONS: SqlMigration[] = [
  {
    id: 1,
    description: "schedule definition and state, recent actions, backfills, outbox",
    sql: `${SCHEDULE_TABLE}
      CREATE TABLE backfills (${BACKFILLS_V1_COLUMNS});
      ${OUTBOX_TABLE_SQL}
    `,
  },
  {
    id: 2,
    description: "trigger requests answered once: a retried request_id gets the first call's outcome",
    sql: TRIGGER_REQUESTS_TABLE,
  },
  {
    id: 3,
    description: "a backfill remembers its last fire not skipped, the next batch's first last_timestamp",
    sql: "ALTER TABLE backfills ADD COLUMN last_fire INTEGER;",
  },
  {
    id: 4,
    description: "backfill requests answered once: a retried request_id gets the first call's answer and queues nothing",
    sql: BACKFILL_REQUESTS_TABLE,
  },
  {
    id: 5,
    description: "a backfill keeps the spec it was asked of (and its origin): a spec change while it is under way moves none of its fires",
    sql: "ALTER TABLE backfills ADD COLUMN spec TEXT; ALTER TABLE backfills ADD COLUMN spec_origin INTEGER;",
  },
];

/**
 * What applying every migration above in order produces, as one schema: a new ScheduleObject (one
 * per schedule, created by every create) makes it in one step instead of five. Same tables,
 * columns, types, defaults and column order; test/integration/schedule-storage.test.ts compares
 * the two. A new migration must be added here too (the test fails until it is).
 */
export const SCHEDULE_SCHEMA: { sql: string; upTo: number } = {
  upTo: 5,
  sql: `${SCHEDULE_TABLE}
      CREATE TABLE backfills (${BACKFILLS_V1_COLUMNS}, last_fire INTEGER, spec TEXT, spec_origin INTEGER);
      ${OUTBOX_TABLE_SQL}
      ${TRIGGER_REQUESTS_TABLE}
      ${BACKFILL_REQUESTS_TABLE}
  `,
};

/** What a backfill answered: its job's id (its runs' ids end in `:backfill-{id}`) and how many fires it queued. */
export interface BackfillOutcome {
  backfill_id: number;
  fires: number;
}

/** What a trigger answered (and answers again to a retry with the same request_id). */
export interface TriggerOutcome {
  run_id: string;
  started: boolean;
  outcome: string;
}

export interface ScheduleRow {
  namespace: string;
  schedule_id: string;
  workflow: string;
  key: string;
  source: "api" | "code";
  spec: ScheduleSpec;
  policy: SchedulePolicy;
  input: unknown;
  task_queue: string;
  execution_timeout: number | null;
  version: number;
  created_at: number;
  updated_at: number;
  /** Anchor for intervals and repeat counting: creation, or the last spec change. */
  spec_origin: number;
  state: ScheduleState;
}

export interface ActionRow {
  at: number;
  nominal: number | null;
  actual: number | null;
  run_id: string | null;
  kind: string;
  outcome: string;
}

const JSON_COLS = new Set(["spec", "policy", "input", "state"]);
/** The schedule table's columns in table order (what `SELECT *` answers). */
export const SCHEDULE_COLS = ["id", "namespace", "schedule_id", "workflow", "key", "source", "spec", "policy", "input", "task_queue", "execution_timeout", "version", "created_at", "updated_at", "spec_origin", "state"] as const;

export interface BackfillRow {
  id: number;
  cursor: number;
  end_at: number;
  /** The backfill's own overlap policy; "" when it was given none (its fires follow the schedule's). */
  overlap: string;
  /** The backfill's last fire not skipped by overlap (null before any): the next batch's first fire's last_timestamp. */
  last_fire: number | null;
  /**
   * The schedule's spec and spec_origin when the backfill was asked for: its fires are that spec's
   * (the ones its answer counted), whatever PATCH comes meanwhile. Null for a job queued before
   * they were kept: it follows the schedule's spec as it is.
   */
  spec: ScheduleSpec | null;
  spec_origin: number | null;
}

/**
 * Typed SQL access for one ScheduleObject. The schedule row and the backfill jobs are read several
 * times by every change (the change itself, the view, each re-arm), so they are also kept in
 * memory: this object is the only writer of those tables, every write to them goes through here,
 * and the copy is what a read would answer (JSON columns as stored, then parsed). A write that
 * throws leaves the copy unknown, to be read again.
 */
export class ScheduleStore {
  readonly outbox: Outbox;
  /** The schedule row as stored (undefined: not read yet; null: none). */
  private row: Record<string, unknown> | null | undefined;
  private jobs: BackfillRow[] | undefined;

  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
    // The index row changes nothing here when delivered, and lands again harmlessly.
    this.outbox = new Outbox(sql, (key) => key === "index");
  }

  /** Seeds the copies for a database created a moment ago (every table empty): nothing to read. */
  startsEmpty(): void {
    this.row = null;
    this.jobs = [];
    this.outbox.startsEmpty();
  }

  /**
   * The schedule (a copy: callers may keep it as a snapshot across changes), read within today's
   * bounds: a row stored before a bound existed is read at it (core `withinRetryBound`) once, as it
   * is loaded (every row written since is within them), and written so at its next change.
   */
  get(): ScheduleRow | null {
    if (this.row === undefined) {
      const raw = this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM schedule WHERE id = 1").toArray()[0];
      if (raw) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(raw)) out[k] = JSON_COLS.has(k) ? JSON.parse(v as string) : v;
        this.row = withinRetryBound(out as unknown as ScheduleRow) as unknown as Record<string, unknown>;
      } else {
        this.row = null;
      }
    }
    return this.row === null ? null : ({ ...this.row } as unknown as ScheduleRow);
  }

  put(row: ScheduleRow): void {
    // A row read back carries its `id` (always 1, written below): naming it twice would be sloppy SQL.
    const cols = (Object.keys(row) as (keyof ScheduleRow)[]).filter((c) => (c as string) !== "id");
    const values = cols.map((c) => (JSON_COLS.has(c) ? JSON.stringify(row[c] ?? null) : ((row[c] as SqlStorageValue) ?? null)));
    this.row = undefined;
    this.sql.exec(`INSERT OR REPLACE INTO schedule (id, ${cols.join(", ")}) VALUES (1, ${cols.map(() => "?").join(", ")})`, ...values);
    // What `SELECT *` now answers: the columns written, every other one NULL, JSON as stored.
    const written = new Map<string, SqlStorageValue>(cols.map((c, i) => [c, values[i]!]));
    const out: Record<string, unknown> = {};
    for (const c of SCHEDULE_COLS) {
      const v = c === "id" ? 1 : (written.get(c) ?? null);
      out[c] = JSON_COLS.has(c) && typeof v === "string" ? JSON.parse(v) : v;
    }
    this.row = out;
  }

  /**
   * Records a prepared run that has begun as this schedule's fire (core `adoptPrepared`) and its
   * "started" action; returns the row written. Every path that finds a begun prepared run uses it.
   * `prior`: the run is a fire of the spec before the row's (see core `adoptPrepared`).
   */
  adopt(row: ScheduleRow, p: PreparedRun, at: number, prior = false, priorZone?: string): ScheduleRow {
    const adopted = { ...row, state: adoptPrepared(row.state, p, prior, priorZone) };
    this.put(adopted);
    this.addAction({ at, nominal: p.nominal, actual: p.actual, run_id: p.runId, kind: "scheduled", outcome: "started" });
    return adopted;
  }

  /**
   * Records a prepared run skipped before this schedule recorded its fire (core `skipPrepared`);
   * returns the row written. A start for it still in the outbox (never delivered: the run was not
   * found) is dropped, so it cannot create the run after the fire was counted as skipped.
   */
  skipPrepared(row: ScheduleRow, p: PreparedRun, at: number): ScheduleRow {
    const skipped = { ...row, state: skipPrepared(row.state, p) };
    this.put(skipped);
    this.outbox.drop(`start:${p.runId}`);
    this.addAction({ at, nominal: p.nominal, actual: p.actual, run_id: p.runId, kind: "scheduled", outcome: SKIPPED_CATCHUP });
    return skipped;
  }

  /** Records an action and keeps only the most recent ones. */
  addAction(a: ActionRow): void {
    const { id } = this.sql.exec<{ id: number }>("INSERT INTO actions (at, nominal, actual, run_id, kind, outcome) VALUES (?, ?, ?, ?, ?, ?) RETURNING id", a.at, a.nominal, a.actual, a.run_id, a.kind, a.outcome).one();
    // AUTOINCREMENT: the new id is the largest, so anything older than the last `recentActions` is at or below this.
    if (id > LIMITS.recentActions) this.sql.exec("DELETE FROM actions WHERE id <= ?", id - LIMITS.recentActions);
  }

  /** Updates the outcome of the latest action for a run (e.g. started → completed). */
  setActionOutcome(runId: string, outcome: string): void {
    this.sql.exec("UPDATE actions SET outcome = ? WHERE id = (SELECT MAX(id) FROM actions WHERE run_id = ?)", outcome, runId);
  }

  /** The outcome recorded for a trigger's request_id, if it is recent enough to be remembered. */
  triggerOutcome(requestId: string, now: number): TriggerOutcome | null {
    const row = this.sql.exec<{ run_id: string; outcome: string }>("SELECT run_id, outcome FROM trigger_requests WHERE request_id = ? AND at > ?", requestId, now - LIMITS.triggerRequestSeconds * 1000).toArray()[0];
    return row ? { run_id: row.run_id, started: row.outcome === "started", outcome: row.outcome } : null;
  }

  /** The answer recorded for a backfill's request_id, if it is recent enough to be remembered (as a trigger's). */
  backfillOutcome(requestId: string, now: number): BackfillOutcome | null {
    return this.sql.exec<{ backfill_id: number; fires: number }>("SELECT backfill_id, fires FROM backfill_requests WHERE request_id = ? AND at > ?", requestId, now - LIMITS.triggerRequestSeconds * 1000).toArray()[0] ?? null;
  }

  /** Remembers a backfill's answer under its request_id, kept as long as a trigger's. */
  recordBackfill(requestId: string, now: number, o: BackfillOutcome): void {
    this.sql.exec("INSERT OR REPLACE INTO backfill_requests (request_id, at, backfill_id, fires) VALUES (?, ?, ?, ?)", requestId, now, o.backfill_id, o.fires);
    this.forgetRequests("backfill_requests", now);
  }

  /** Remembers a trigger's outcome under its request_id; forgets those too old or beyond the most recent ones kept. */
  recordTrigger(requestId: string, now: number, o: TriggerOutcome): void {
    this.sql.exec("INSERT OR REPLACE INTO trigger_requests (request_id, at, run_id, outcome) VALUES (?, ?, ?, ?)", requestId, now, o.run_id, o.outcome);
    this.forgetRequests("trigger_requests", now);
  }

  /** Forgets the request ids too old to answer, and those beyond the most recent ones kept. */
  private forgetRequests(table: "trigger_requests" | "backfill_requests", now: number): void {
    this.sql.exec(`DELETE FROM ${table} WHERE at <= ? OR rowid <= (SELECT MAX(rowid) FROM ${table}) - ?`, now - LIMITS.triggerRequestSeconds * 1000, LIMITS.triggerRequestsKept);
  }

  actions(): ActionRow[] {
    return this.sql.exec<Record<string, SqlStorageValue>>("SELECT at, nominal, actual, run_id, kind, outcome FROM actions ORDER BY id DESC").toArray() as unknown as ActionRow[];
  }

  /** Pending backfill jobs, oldest first (a copy). */
  backfills(): BackfillRow[] {
    if (this.jobs === undefined) {
      const rows = this.sql.exec<{ id: number; cursor: number; end_at: number; overlap: string; last_fire: number | null; spec: string | null; spec_origin: number | null }>("SELECT * FROM backfills ORDER BY id").toArray();
      this.jobs = rows.map((r) => ({ ...r, spec: r.spec === null ? null : (JSON.parse(r.spec) as ScheduleSpec) }));
    }
    return [...this.jobs];
  }

  /**
   * Queues a backfill job of the schedule's `spec` as it is now (and its `specOrigin`); returns its
   * id (AUTOINCREMENT: never reused, also after a delete and a new schedule of the same id).
   */
  addBackfill(from: number, to: number, overlap: string, spec: ScheduleSpec, specOrigin: number): number {
    const jobs = this.backfills();
    this.jobs = undefined;
    const { id } = this.sql.exec<{ id: number }>("INSERT INTO backfills (cursor, end_at, overlap, spec, spec_origin) VALUES (?, ?, ?, ?, ?) RETURNING id", from, to, overlap, JSON.stringify(spec), specOrigin).one();
    this.jobs = [...jobs, { id, cursor: from, end_at: to, overlap, last_fire: null, spec, spec_origin: specOrigin }];
    return id;
  }

  /** Moves a backfill to its next batch (after `cursor`; null: done), remembering its last fire not skipped by overlap. */
  advanceBackfill(id: number, cursor: number | null, lastFire: number | null): void {
    const jobs = this.backfills();
    this.jobs = undefined;
    if (cursor === null) {
      this.sql.exec("DELETE FROM backfills WHERE id = ?", id);
      this.jobs = jobs.filter((j) => j.id !== id);
    } else {
      // The cursor is the batch's last fire: the next batch's first fire comes after it.
      this.sql.exec("UPDATE backfills SET cursor = ?, last_fire = ? WHERE id = ?", cursor, lastFire, id);
      this.jobs = jobs.map((j) => (j.id === id ? { ...j, cursor, last_fire: lastFire } : j));
    }
  }

  /**
   * Backfilled fires dropped while they waited never run: a job whose last fire not skipped is
   * one of them follows what it followed, and so on down the chain (one decision can drop a whole
   * run of a job's waiting fires, oldest first, each following the one before it).
   */
  relinkBackfills(dropped: readonly PendingFire[]): void {
    if (dropped.length === 0) return;
    for (const job of this.backfills()) {
      const last = followDropped(dropped, job.id, job.last_fire) ?? null;
      if (last !== job.last_fire) this.advanceBackfill(job.id, job.cursor, last);
    }
  }

  wipe(): void {
    this.row = undefined;
    this.jobs = undefined;
    this.sql.exec("DELETE FROM schedule; DELETE FROM actions; DELETE FROM backfills; DELETE FROM trigger_requests; DELETE FROM backfill_requests;");
    this.row = null;
    this.jobs = [];
  }
}
