import { toRfc3339, type Failure, type HistoryEvent, type SchedulePayload } from "@sundial/sdk/protocol";
import type { ActivityState } from "../core/execution/activity.ts";
import type { ResolvedActivityOptions } from "../core/execution/commands.ts";
import { takeWithin, utf8Length, type EventRow } from "../core/execution/history-pages.ts";
import { Outbox, OUTBOX_TABLE_SQL } from "./outbox.ts";
import type { SqlMigration } from "./sql-migrations.ts";

// Table definitions shared by the migrations that created them and the one-step schema below
// (each migration's SQL is what it always was: these only avoid writing it twice).
const RUN_V1_COLUMNS = `
        id INTEGER PRIMARY KEY CHECK (id = 1),
        namespace TEXT NOT NULL, execution_id TEXT NOT NULL, run_id TEXT NOT NULL, workflow TEXT NOT NULL,
        task_queue TEXT NOT NULL, input TEXT NOT NULL, status TEXT NOT NULL, result TEXT, failure TEXT,
        started_at INTEGER NOT NULL, closed_at INTEGER, execution_timeout INTEGER NOT NULL, deadline INTEGER NOT NULL,
        cancel_requested INTEGER NOT NULL DEFAULT 0, schedule TEXT, callback TEXT,
        last_activity_seq INTEGER NOT NULL DEFAULT 0, last_timer_seq INTEGER NOT NULL DEFAULT 0,
        wt_state TEXT NOT NULL DEFAULT 'none', wt_scheduled_event_id INTEGER NOT NULL DEFAULT 0, wt_attempt INTEGER NOT NULL DEFAULT 0,
        wt_started_at INTEGER, wt_dispatched_at INTEGER, wt_retry_at INTEGER, wt_needed INTEGER NOT NULL DEFAULT 0`;
const ACTIVITIES_V1_COLUMNS = `
        seq INTEGER PRIMARY KEY, scheduled_event_id INTEGER NOT NULL, activity_type TEXT NOT NULL, input TEXT NOT NULL,
        options TEXT NOT NULL, state TEXT NOT NULL, attempt INTEGER NOT NULL, scheduled_at INTEGER NOT NULL,
        started_at INTEGER, last_heartbeat_at INTEGER, heartbeat_details TEXT, next_attempt_at INTEGER,
        last_failure TEXT, dispatched_at INTEGER, cancel_requested INTEGER NOT NULL DEFAULT 0, identity TEXT`;
const V1_SMALL_TABLES = `
      CREATE TABLE timers (seq INTEGER PRIMARY KEY, started_event_id INTEGER NOT NULL, fire_at INTEGER NOT NULL);
      CREATE TABLE completions (task_key TEXT PRIMARY KEY, at INTEGER NOT NULL);
      ${OUTBOX_TABLE_SQL}`;
const EVENTS_TABLE = "CREATE TABLE events (id INTEGER PRIMARY KEY, type TEXT NOT NULL, ts INTEGER NOT NULL, attrs TEXT NOT NULL);";
const UPDATES_TABLE = `
      CREATE TABLE updates (
        update_id TEXT PRIMARY KEY, name TEXT NOT NULL, input TEXT NOT NULL, state TEXT NOT NULL,
        result TEXT, failure TEXT, created_at INTEGER NOT NULL
      );`;
const CHILDREN_TABLE = "CREATE TABLE children (seq INTEGER PRIMARY KEY, execution_id TEXT NOT NULL, policy TEXT NOT NULL, state TEXT NOT NULL);";

export const EXECUTION_MIGRATIONS: SqlMigration[] = [
  {
    id: 1,
    description: "run, history, pending activities and timers, completions, outbox",
    sql: `
      CREATE TABLE run (${RUN_V1_COLUMNS}
      );
      ${EVENTS_TABLE}
      CREATE TABLE activities (${ACTIVITIES_V1_COLUMNS}
      );${V1_SMALL_TABLES}
    `,
  },
  {
    id: 2,
    description: "delivery acknowledgement: a leased task not acknowledged in time was never received",
    sql: `
      ALTER TABLE run ADD COLUMN wt_acked INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE activities ADD COLUMN acked INTEGER NOT NULL DEFAULT 1;
      ALTER TABLE activities ADD COLUMN lease INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    id: 3,
    description: "workflow updates (requested, accepted, completed, rejected) with their outcome",
    sql: `${UPDATES_TABLE}
    `,
  },
];

EXECUTION_MIGRATIONS.push({
  id: 4,
  description: "run lineage (continue-as-new) and child workflows",
  sql: `
    ALTER TABLE run ADD COLUMN run_number INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE run ADD COLUMN previous_run_id TEXT;
    ALTER TABLE run ADD COLUMN last_child_seq INTEGER NOT NULL DEFAULT 0;
    ${CHILDREN_TABLE}
  `,
});

EXECUTION_MIGRATIONS.push({
  id: 5,
  description: "steps run inline by the workflow (ctx.step.run): their numbering",
  sql: `
    ALTER TABLE run ADD COLUMN last_step_seq INTEGER NOT NULL DEFAULT 0;
  `,
});

/**
 * What applying every migration above in order produces, as one schema: a brand-new
 * ExecutionObject (one per execution, so most of them are) creates it in one step instead of
 * replaying four migrations and their ALTER TABLEs. Same tables, columns, types, defaults and
 * column order; test/integration/execution-storage.test.ts compares the two. A new migration must
 * be added here too (the test fails until it is).
 */
export const EXECUTION_SCHEMA: { sql: string; upTo: number } = {
  upTo: 5,
  sql: `
    CREATE TABLE run (${RUN_V1_COLUMNS},
      wt_acked INTEGER NOT NULL DEFAULT 1,
      run_number INTEGER NOT NULL DEFAULT 1, previous_run_id TEXT, last_child_seq INTEGER NOT NULL DEFAULT 0,
      last_step_seq INTEGER NOT NULL DEFAULT 0
    );
    ${EVENTS_TABLE}
    CREATE TABLE activities (${ACTIVITIES_V1_COLUMNS},
      acked INTEGER NOT NULL DEFAULT 1, lease INTEGER NOT NULL DEFAULT 0
    );${V1_SMALL_TABLES}${UPDATES_TABLE}
    ${CHILDREN_TABLE}
  `,
};

export interface ChildRow {
  seq: number;
  execution_id: string;
  policy: "ABANDON" | "REQUEST_CANCEL" | "TERMINATE";
  state: "initiated" | "started" | "closed";
}

export type UpdateState = "requested" | "accepted" | "completed" | "rejected";

export interface UpdateRow {
  update_id: string;
  name: string;
  input: string;
  state: UpdateState;
  result: string | null;
  failure: string | null;
  created_at: number;
}

export type RunStatus = "running" | "completed" | "failed" | "timed_out" | "cancelled" | "terminated";
export type WorkflowTaskState = "none" | "scheduled" | "started" | "backoff";

/** Where to report the close of a run started by a schedule. */
export interface CloseCallback {
  /** The schedule that started this run. */
  schedule_id?: string;
  /** The parent workflow that started this run as its child `seq`. */
  parent?: { execution_id: string; seq: number };
}

export interface RunRow {
  namespace: string;
  execution_id: string;
  run_id: string;
  workflow: string;
  task_queue: string;
  input: string;
  status: RunStatus;
  result: string | null;
  failure: string | null;
  started_at: number;
  closed_at: number | null;
  execution_timeout: number;
  deadline: number;
  cancel_requested: number;
  schedule: string | null;
  callback: string | null;
  last_activity_seq: number;
  last_timer_seq: number;
  wt_state: WorkflowTaskState;
  wt_scheduled_event_id: number;
  wt_attempt: number;
  wt_started_at: number | null;
  wt_dispatched_at: number | null;
  wt_retry_at: number | null;
  wt_needed: number;
  /** 0 while a leased workflow task has not been acknowledged by the worker that received it. */
  wt_acked: number;
  run_number: number;
  previous_run_id: string | null;
  last_child_seq: number;
  last_step_seq: number;
}

export interface ActivityRow {
  seq: number;
  scheduled_event_id: number;
  activity_type: string;
  input: string;
  options: string;
  state: ActivityState["state"];
  attempt: number;
  scheduled_at: number;
  started_at: number | null;
  last_heartbeat_at: number | null;
  heartbeat_details: string | null;
  next_attempt_at: number | null;
  last_failure: string | null;
  dispatched_at: number | null;
  cancel_requested: number;
  identity: string | null;
  /** 0 while the current lease has not been acknowledged (no ack, heartbeat or result yet). */
  acked: number;
  /** Incremented on every lease; task tokens carry it, so a lost lease's token goes stale. */
  lease: number;
}

/** A freshly scheduled activity: attempt 1, queued now. */
export function newActivityRow(seq: number, scheduledEventId: number, activityType: string, input: unknown, options: unknown, now: number): ActivityRow {
  return {
    seq,
    scheduled_event_id: scheduledEventId,
    activity_type: activityType,
    input: JSON.stringify(input ?? null),
    options: JSON.stringify(options),
    state: "scheduled",
    attempt: 1,
    scheduled_at: now,
    started_at: null,
    last_heartbeat_at: null,
    heartbeat_details: null,
    next_attempt_at: null,
    last_failure: null,
    dispatched_at: now,
    cancel_requested: 0,
    identity: null,
    acked: 1,
    lease: 0,
  };
}

export function activityState(row: ActivityRow): ActivityState {
  return {
    seq: row.seq,
    state: row.state,
    attempt: row.attempt,
    options: JSON.parse(row.options) as ResolvedActivityOptions,
    scheduledAt: row.scheduled_at,
    startedAt: row.started_at,
    lastHeartbeatAt: row.last_heartbeat_at,
    nextAttemptAt: row.next_attempt_at,
    dispatchedAt: row.dispatched_at,
    acked: row.acked === 1,
  };
}

type Attrs = Record<string, unknown>;

function toEvent(r: EventRow): HistoryEvent {
  return { ...(JSON.parse(r.attrs) as Attrs), id: r.id, type: r.type, ts: toRfc3339(r.ts) } as HistoryEvent;
}
type Row = Record<string, SqlStorageValue>;

/**
 * Typed SQL access for one ExecutionObject. Synchronous: callers keep each change free of awaits.
 * The run row and the last event id are read on nearly every step of every handler, so they are
 * kept in memory as well: this object is the only writer of its database, and every write to them
 * goes through here (the copy is updated with it; a write that throws leaves it unknown).
 */
export class ExecutionStore {
  readonly outbox: Outbox;
  /** The run row as stored (undefined: not read yet). */
  private runRow: RunRow | null | undefined;
  private lastId: number | undefined;
  private bytes: number | undefined;

  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    this.outbox = new Outbox(sql);
  }

  /** The run row (a copy: callers may keep it as a snapshot across changes). */
  run(): RunRow | null {
    if (this.runRow === undefined) {
      const rows = this.sql.exec<Row>("SELECT * FROM run WHERE id = 1").toArray();
      this.runRow = (rows[0] as unknown as RunRow | undefined) ?? null;
    }
    return this.runRow === null ? null : { ...this.runRow };
  }

  insertRun(r: RunRow): void {
    const cols = Object.keys(r);
    this.runRow = undefined;
    this.sql.exec(`INSERT OR REPLACE INTO run (id, ${cols.join(", ")}) VALUES (1, ${cols.map(() => "?").join(", ")})`, ...cols.map((c) => (r as unknown as Row)[c] ?? null));
  }

  /** Forgets the run entirely (a prepared scheduled run withdrawn before it began). */
  deleteRun(): void {
    this.resetForNewRun();
    this.runRow = undefined;
    this.sql.exec("DELETE FROM run");
    this.runRow = null;
  }

  updateRun(patch: Partial<RunRow>): void {
    const cols = Object.keys(patch);
    if (cols.length === 0) return;
    const values = cols.map((c) => (patch as unknown as Row)[c] ?? null);
    const before = this.runRow;
    this.runRow = undefined;
    this.sql.exec(`UPDATE run SET ${cols.map((c) => `${c} = ?`).join(", ")} WHERE id = 1`, ...values);
    if (before) this.runRow = { ...before, ...Object.fromEntries(cols.map((c, i) => [c, values[i]])) } as RunRow;
  }

  lastEventId(): number {
    if (this.lastId === undefined) {
      this.lastId = this.sql.exec<{ n: number | null }>("SELECT MAX(id) AS n FROM events").one().n ?? 0;
      if (this.lastId === 0) this.bytes = 0; // no history yet: nothing to sum (a new run's object never reads it)
    }
    return this.lastId;
  }

  /** Appends one event; returns its id (monotonic from 1). */
  append(type: HistoryEvent["type"], ts: number, attrs: Attrs): number {
    const id = this.lastEventId() + 1;
    const json = JSON.stringify(attrs);
    const bytes = this.bytes;
    this.lastId = this.bytes = undefined;
    this.sql.exec("INSERT INTO events (id, type, ts, attrs) VALUES (?, ?, ?, ?)", id, type, ts, json);
    this.lastId = id;
    if (bytes !== undefined) this.bytes = bytes + utf8Length(json);
    return id;
  }

  /** The history's size: UTF-8 bytes of its events' JSON attributes (read once, then kept up to date). */
  historyBytes(): number {
    this.bytes ??= this.sql.exec<{ n: number }>("SELECT COALESCE(SUM(length(CAST(attrs AS BLOB))), 0) AS n FROM events").one().n;
    return this.bytes;
  }

  /** Every event of the run, oldest first (inside the object only: a large history never fits one RPC). */
  allEvents(): HistoryEvent[] {
    return this.sql.exec<EventRow>("SELECT id, type, ts, attrs FROM events ORDER BY id").toArray().map(toEvent);
  }

  /** Events after `afterId`, oldest first: at most `limit`, and no more than fit `maxCost` (at least one). `more`: the range holds more. */
  eventsPage(afterId: number, limit: number, maxCost: number): { events: HistoryEvent[]; more: boolean } {
    const page = takeWithin(this.sql.exec<EventRow>("SELECT id, type, ts, attrs FROM events WHERE id > ? ORDER BY id LIMIT ?", afterId, limit), maxCost);
    const last = page.rows[page.rows.length - 1];
    // Ids run from 1 without gaps: a full page has more after it unless it ends at the last event.
    const more = page.more || (page.rows.length === limit && last !== undefined && last.id < this.lastEventId());
    return { events: page.rows.map(toEvent), more };
  }

  /** The newest events that fit `maxCost` (at least the last one), oldest first. */
  eventsTail(maxCost: number): HistoryEvent[] {
    return takeWithin(this.sql.exec<EventRow>("SELECT id, type, ts, attrs FROM events ORDER BY id DESC"), maxCost).rows.reverse().map(toEvent);
  }

  /** Id of the event that scheduled activity / started timer `seq` (0 if none). */
  scheduledEventOf(type: "activity_scheduled" | "timer_started", seq: number): number {
    const r = this.sql.exec<{ id: number }>("SELECT id FROM events WHERE type = ? AND json_extract(attrs, '$.seq') = ? ORDER BY id LIMIT 1", type, seq).toArray()[0];
    return r?.id ?? 0;
  }

  eventCount(): number {
    return this.lastEventId();
  }

  activities(): ActivityRow[] {
    return this.sql.exec<Row>("SELECT * FROM activities ORDER BY seq").toArray() as unknown as ActivityRow[];
  }

  activity(seq: number): ActivityRow | null {
    return (this.sql.exec<Row>("SELECT * FROM activities WHERE seq = ?", seq).toArray()[0] as unknown as ActivityRow | undefined) ?? null;
  }

  insertActivity(a: ActivityRow): void {
    const cols = Object.keys(a);
    this.sql.exec(`INSERT INTO activities (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`, ...cols.map((c) => (a as unknown as Row)[c] ?? null));
  }

  updateActivity(seq: number, patch: Partial<ActivityRow>): void {
    const cols = Object.keys(patch);
    this.sql.exec(`UPDATE activities SET ${cols.map((c) => `${c} = ?`).join(", ")} WHERE seq = ?`, ...cols.map((c) => (patch as unknown as Row)[c] ?? null), seq);
  }

  deleteActivity(seq: number): void {
    this.sql.exec("DELETE FROM activities WHERE seq = ?", seq);
  }

  timers(): { seq: number; started_event_id: number; fire_at: number }[] {
    return this.sql.exec<{ seq: number; started_event_id: number; fire_at: number }>("SELECT * FROM timers ORDER BY fire_at, seq").toArray();
  }

  insertTimer(seq: number, startedEventId: number, fireAt: number): void {
    this.sql.exec("INSERT INTO timers (seq, started_event_id, fire_at) VALUES (?, ?, ?)", seq, startedEventId, fireAt);
  }

  deleteTimer(seq: number): void {
    this.sql.exec("DELETE FROM timers WHERE seq = ?", seq);
  }

  /** Clears a closed run's records before a new run under the same execution id. */
  resetForNewRun(): void {
    this.lastId = this.bytes = undefined;
    this.sql.exec("DELETE FROM events; DELETE FROM activities; DELETE FROM timers; DELETE FROM completions; DELETE FROM updates; DELETE FROM children;");
    this.lastId = this.bytes = 0;
  }

  children(): ChildRow[] {
    return this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM children ORDER BY seq").toArray() as unknown as ChildRow[];
  }

  child(seq: number): ChildRow | null {
    return (this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM children WHERE seq = ?", seq).toArray()[0] as unknown as ChildRow | undefined) ?? null;
  }

  putChild(c: ChildRow): void {
    this.sql.exec("INSERT OR REPLACE INTO children (seq, execution_id, policy, state) VALUES (?, ?, ?, ?)", c.seq, c.execution_id, c.policy, c.state);
  }

  update(updateId: string): UpdateRow | null {
    return (this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM updates WHERE update_id = ?", updateId).toArray()[0] as unknown as UpdateRow | undefined) ?? null;
  }

  updatesIn(state: UpdateState): UpdateRow[] {
    return this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM updates WHERE state = ? ORDER BY created_at, update_id", state).toArray() as unknown as UpdateRow[];
  }

  insertUpdate(u: UpdateRow): void {
    this.sql.exec("INSERT INTO updates (update_id, name, input, state, result, failure, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", u.update_id, u.name, u.input, u.state, u.result, u.failure, u.created_at);
  }

  setUpdate(updateId: string, state: UpdateState, result: string | null = null, failure: string | null = null): void {
    this.sql.exec("UPDATE updates SET state = ?, result = ?, failure = ? WHERE update_id = ?", state, result, failure, updateId);
  }

  countEvents(type: string): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE type = ?", type).one().n;
  }

  clearPending(): void {
    this.sql.exec("DELETE FROM activities; DELETE FROM timers;");
  }

  /** Records that a task completion was applied; false if it already was (a duplicate). */
  markCompleted(taskKey: string, now: number): boolean {
    const exists = this.sql.exec("SELECT 1 FROM completions WHERE task_key = ?", taskKey).toArray().length > 0;
    if (exists) return false;
    this.sql.exec("INSERT INTO completions (task_key, at) VALUES (?, ?)", taskKey, now);
    return true;
  }

  wasCompleted(taskKey: string): boolean {
    return this.sql.exec("SELECT 1 FROM completions WHERE task_key = ?", taskKey).toArray().length > 0;
  }
}

export function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

export type { Failure, SchedulePayload };
