import { toRfc3339, type Failure, type HistoryEvent, type SchedulePayload } from "@sundial/sdk/protocol";
import { utf8Length } from "@sundial/sdk/protocol";
import { takeWithin, type EventRow } from "../core/execution/history-pages.ts";
import { EXECUTION_CLOSED_FAILURE, EXECUTION_CLOSED_MARK, LEGACY_EXECUTION_CLOSED_GLOB } from "../core/execution/update-close.ts";
import { SUMMARY_COLUMNS, type ActivityRow, type ActivitySummary, type ChildRow, type RunRow, type UpdateRow, type UpdateState } from "./execution-rows.ts";
import { Outbox } from "./outbox.ts";
import type { Sql } from "./sql-migrations.ts";

// The rows the store reads and writes, and their helpers, live in execution-rows.ts; they are
// exported from here too, so the objects import the store's whole vocabulary from one place.
export * from "./execution-rows.ts";

type Attrs = Record<string, unknown>;

function toEvent(r: EventRow): HistoryEvent {
  return { ...(JSON.parse(r.attrs) as Attrs), id: r.id, type: r.type, ts: toRfc3339(r.ts) } as HistoryEvent;
}
type Row = Record<string, SqlStorageValue>;
type TimerRow = { seq: number; started_event_id: number; fire_at: number };

/** Events with their size as SQLite knows it (octet_length: what a page costs, not counted again in JavaScript). */
const SELECT_EVENTS = "SELECT id, type, ts, attrs, octet_length(attrs) AS bytes FROM events";
/** Everything a run keeps besides its row and its history (a new run, or a reset, starts them empty). */
const CLEAR_RUN_TABLES = "DELETE FROM activities; DELETE FROM timers; DELETE FROM completions; DELETE FROM updates; DELETE FROM children;";

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
  /** Whether the updates table has any row (undefined: not read yet). Most runs never get one, and every workflow task asks. */
  private anyUpdates: boolean | undefined;
  /**
   * The pending activities' summaries and the timers as last read (undefined: read again). Every
   * re-arm reads both, most changes write neither: a write forgets the copy, the next read refills it.
   */
  private activityRows: readonly Readonly<ActivitySummary>[] | undefined;
  private timerRows: readonly Readonly<TimerRow>[] | undefined;

  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
    // The index row changes nothing here when delivered, and lands again harmlessly (a close notice
    // sent again after a reset would not be: it is deleted at once, and takes a settled index row along).
    this.outbox = new Outbox(sql, (key) => key === "index");
  }

  /** Seeds the copies for a database created a moment ago (every table empty): nothing to read. */
  startsEmpty(): void {
    this.runRow = null;
    this.lastId = this.bytes = 0;
    this.anyUpdates = false;
    this.activityRows = this.timerRows = [];
    this.outbox.startsEmpty();
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
    this.sql.exec(`INSERT OR REPLACE INTO run (id, ${cols.join(", ")}) VALUES (1, ${cols.map(() => "?").join(", ")})`, ...cols.map((c) => (r as unknown as Row)[c] ?? null));
    this.runRow = undefined;
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
    this.bytes ??= this.sql.exec<{ n: number }>("SELECT COALESCE(SUM(octet_length(attrs)), 0) AS n FROM events").one().n;
    return this.bytes;
  }

  /** The event with this id, or null. */
  event(id: number): HistoryEvent | null {
    const row = this.sql.exec<EventRow>("SELECT id, type, ts, attrs FROM events WHERE id = ?", id).toArray()[0];
    return row === undefined ? null : toEvent(row);
  }

  /**
   * Events with ids from `fromId` to `toId`, oldest first, read a page at a time (a 50 MiB history
   * never sits in memory whole); the caller may write between events.
   */
  *eventsFrom(fromId: number, toId: number): Generator<HistoryEvent> {
    for (let next = fromId; next <= toId; ) {
      const page = this.sql.exec<EventRow>("SELECT id, type, ts, attrs FROM events WHERE id >= ? AND id <= ? ORDER BY id LIMIT 200", next, toId).toArray();
      if (page.length === 0) return;
      for (const row of page) yield toEvent(row);
      next = page[page.length - 1]!.id + 1;
    }
  }

  /**
   * Starts a new run on the history before event `eventId` (reset): those events stay as they are,
   * the later ones are set aside (read them with {@link setAside}, then {@link dropSetAside}), and
   * every other table of the old run is emptied.
   */
  restartHistoryAt(eventId: number): void {
    this.lastId = this.bytes = this.anyUpdates = undefined;
    this.forgetPending();
    this.sql.exec("UPDATE events SET id = -id WHERE id >= ?", eventId);
    this.sql.exec(CLEAR_RUN_TABLES);
    this.lastId = eventId - 1;
    this.anyUpdates = false;
  }

  /** The events {@link restartHistoryAt} set aside, in their order and with their ids, a page at a time. */
  *setAside(): Generator<HistoryEvent> {
    for (let before = 0; ; ) {
      const page = this.sql.exec<EventRow>("SELECT id, type, ts, attrs FROM events WHERE id < ? ORDER BY id DESC LIMIT 200", before).toArray();
      if (page.length === 0) return;
      for (const row of page) yield toEvent({ ...row, id: -row.id });
      before = page[page.length - 1]!.id;
    }
  }

  dropSetAside(): void {
    this.bytes = undefined;
    this.sql.exec("DELETE FROM events WHERE id < 0");
  }

  /**
   * Events after `afterId` and before `beforeId`, oldest first: at most `limit`, and no more than
   * fit `maxCost` (at least one). `more`: the range holds more.
   */
  eventsPage(afterId: number, limit: number, maxCost: number, beforeId = Number.MAX_SAFE_INTEGER): { events: HistoryEvent[]; more: boolean } {
    // One row past the limit says whether the range holds more.
    const page = takeWithin(this.sql.exec<EventRow>(`${SELECT_EVENTS} WHERE id > ? AND id < ? ORDER BY id LIMIT ?`, afterId, beforeId, limit + 1), maxCost);
    const rows = page.rows.slice(0, limit);
    return { events: rows.map(toEvent), more: page.more || page.rows.length > limit };
  }

  /** The newest events that fit `maxCost` (at least the last one), oldest first. */
  eventsTail(maxCost: number): HistoryEvent[] {
    return takeWithin(this.sql.exec<EventRow>(`${SELECT_EVENTS} ORDER BY id DESC`), maxCost).rows.reverse().map(toEvent);
  }

  /** Id of the event that scheduled activity / started timer `seq` (0 if none). */
  scheduledEventOf(type: "activity_scheduled" | "timer_started", seq: number): number {
    const r = this.sql.exec<{ id: number }>("SELECT id FROM events WHERE type = ? AND json_extract(attrs, '$.seq') = ? ORDER BY id LIMIT 1", type, seq).toArray()[0];
    return r?.id ?? 0;
  }

  eventCount(): number {
    return this.lastEventId();
  }

  /**
   * Every pending activity without its payloads (input, heartbeat details, last failure: up to
   * 256 KiB each, and 2,000 activities may be pending), which timeouts and alarms never need.
   */
  activities(): readonly Readonly<ActivitySummary>[] {
    this.activityRows ??= (this.sql.exec<Row>(`SELECT ${SUMMARY_COLUMNS} FROM activities ORDER BY seq`).toArray() as unknown as ActivitySummary[]).map((r) => Object.freeze(r));
    return this.activityRows;
  }

  /** Activity `seq`'s last failure: whole, or (`cut`) only its message (at most 4,097 characters), type and retry flag, read without loading the rest. */
  lastFailure(seq: number, cut: boolean): Failure | null {
    if (!cut) return parseJson<Failure>(this.sql.exec<{ f: string | null }>("SELECT last_failure AS f FROM activities WHERE seq = ?", seq).toArray()[0]?.f ?? null);
    const r = this.sql
      .exec<{ message: string | null; type: string | null; nr: number | null }>(
        "SELECT substr(json_extract(last_failure, '$.message'), 1, 4097) AS message, json_extract(last_failure, '$.type') AS type, json_extract(last_failure, '$.non_retryable') AS nr FROM activities WHERE seq = ? AND last_failure IS NOT NULL",
        seq,
      )
      .toArray()[0];
    return r === undefined ? null : { message: r.message ?? "", type: r.type ?? "Error", non_retryable: r.nr === 1 };
  }

  activity(seq: number): ActivityRow | null {
    return (this.sql.exec<Row>("SELECT * FROM activities WHERE seq = ?", seq).toArray()[0] as unknown as ActivityRow | undefined) ?? null;
  }

  insertActivity(a: ActivityRow): void {
    const cols = Object.keys(a);
    this.sql.exec(`INSERT INTO activities (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`, ...cols.map((c) => (a as unknown as Row)[c] ?? null));
    this.activityRows = undefined;
  }

  updateActivity(seq: number, patch: Partial<ActivityRow>): void {
    const cols = Object.keys(patch);
    this.sql.exec(`UPDATE activities SET ${cols.map((c) => `${c} = ?`).join(", ")} WHERE seq = ?`, ...cols.map((c) => (patch as unknown as Row)[c] ?? null), seq);
    this.activityRows = undefined;
  }

  deleteActivity(seq: number): void {
    this.sql.exec("DELETE FROM activities WHERE seq = ?", seq);
    this.activityRows = undefined;
  }

  timers(): readonly Readonly<TimerRow>[] {
    this.timerRows ??= this.sql.exec<TimerRow>("SELECT seq, started_event_id, fire_at FROM timers ORDER BY fire_at, seq").toArray().map((r) => Object.freeze(r));
    return this.timerRows;
  }

  insertTimer(seq: number, startedEventId: number, fireAt: number): void {
    this.sql.exec("INSERT INTO timers (seq, started_event_id, fire_at) VALUES (?, ?, ?)", seq, startedEventId, fireAt);
    this.timerRows = undefined;
  }

  deleteTimer(seq: number): void {
    this.sql.exec("DELETE FROM timers WHERE seq = ?", seq);
    this.timerRows = undefined;
  }

  /** Clears a closed run's records before a new run under the same execution id. */
  resetForNewRun(): void {
    this.lastId = this.bytes = this.anyUpdates = undefined;
    this.forgetPending();
    this.sql.exec(`DELETE FROM events; ${CLEAR_RUN_TABLES}`);
    this.lastId = this.bytes = 0;
    this.anyUpdates = false;
  }

  /** Forgets the copies of the activities and timers tables (a write to either follows). */
  private forgetPending(): void {
    this.activityRows = this.timerRows = undefined;
  }

  children(): ChildRow[] {
    return this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM children ORDER BY seq").toArray() as unknown as ChildRow[];
  }

  child(seq: number): ChildRow | null {
    return (this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM children WHERE seq = ?", seq).toArray()[0] as unknown as ChildRow | undefined) ?? null;
  }

  putChild(c: ChildRow): void {
    this.sql.exec("INSERT OR REPLACE INTO children (seq, execution_id, policy, state, parent_run) VALUES (?, ?, ?, ?, ?)", c.seq, c.execution_id, c.policy, c.state, c.parent_run);
  }

  update(updateId: string): UpdateRow | null {
    return (this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM updates WHERE update_id = ?", updateId).toArray()[0] as unknown as UpdateRow | undefined) ?? null;
  }

  updatesIn(state: UpdateState): UpdateRow[] {
    this.anyUpdates ??= this.sql.exec("SELECT 1 FROM updates LIMIT 1").toArray().length > 0;
    if (!this.anyUpdates) return [];
    return this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM updates WHERE state = ? ORDER BY created_at, update_id", state).toArray() as unknown as UpdateRow[];
  }

  /** Updates of this run the workflow admitted or may still admit (all but rejected and carried ones), and those in flight (requested or accepted). */
  countUpdates(): { admitted: number; inFlight: number } {
    const r = this.sql.exec<{ admitted: number | null; inFlight: number | null }>("SELECT SUM(state NOT IN ('rejected', 'carried')) AS admitted, SUM(state IN ('requested', 'accepted')) AS inFlight FROM updates").one();
    return { admitted: r.admitted ?? 0, inFlight: r.inFlight ?? 0 };
  }

  insertUpdate(u: UpdateRow): void {
    this.anyUpdates = undefined;
    this.sql.exec("INSERT INTO updates (update_id, name, input, state, result, failure, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", u.update_id, u.name, u.input, u.state, u.result, u.failure, u.created_at);
    this.anyUpdates = true;
  }

  /**
   * The newest finished updates, oldest first: completed ones (this run's and those carried from
   * earlier runs) and those the platform failed as a run ended (`isExecutionClosedFailure`, in
   * SQL: their handler may have run; a retry must get the 409 again, never run it twice). At most `limit`, and no more than
   * `maxBytes` of results and failures. What continue-as-new carries; inputs are not read.
   * `onlyCarried`: just the rows earlier runs handed on (what a reset keeps), bounded the same way.
   */
  finishedUpdates(limit: number, maxBytes: number, onlyCarried = false): UpdateRow[] {
    return this.sql
      .exec<Record<string, SqlStorageValue>>(
        `SELECT update_id, name, state, result, failure, created_at FROM (
           SELECT rowid AS r, update_id, name, state, result, failure, created_at, ROW_NUMBER() OVER w AS n,
             SUM(COALESCE(octet_length(result), 0) + COALESCE(octet_length(failure), 0)) OVER w AS bytes
           FROM updates WHERE state = 'carried' OR (?4 = 0 AND (state = 'completed' OR (state = 'rejected' AND json_extract(failure, '$.type') = ?3
             AND (json_extract(failure, '$.details.' || ?5) = 1 OR json_extract(failure, '$.message') GLOB ?6))))
           WINDOW w AS (ORDER BY created_at DESC, rowid DESC)
         ) WHERE n <= ?1 AND bytes <= ?2 ORDER BY created_at, r`,
        limit,
        maxBytes,
        EXECUTION_CLOSED_FAILURE,
        onlyCarried ? 1 : 0,
        EXECUTION_CLOSED_MARK,
        LEGACY_EXECUTION_CLOSED_GLOB,
      )
      .toArray()
      .map((r) => ({ ...(r as unknown as Omit<UpdateRow, "input">), input: "null" }));
  }

  /** Sets an update's state and outcome; a rejected update keeps no input (only its id, name and failure answer a retry). */
  setUpdate(updateId: string, state: UpdateState, result: string | null = null, failure: string | null = null): void {
    this.sql.exec("UPDATE updates SET state = ?1, result = ?2, failure = ?3, input = CASE WHEN ?1 = 'rejected' THEN 'null' ELSE input END WHERE update_id = ?4", state, result, failure, updateId);
  }

  countEvents(type: string): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE type = ?", type).one().n;
  }

  clearPending(): void {
    this.forgetPending();
    this.sql.exec("DELETE FROM activities; DELETE FROM timers;");
  }

  /** Records that a task completion (or a signal's request id) was applied; callers ask {@link wasCompleted} first. */
  markCompleted(taskKey: string, now: number): void {
    this.sql.exec("INSERT OR IGNORE INTO completions (task_key, at) VALUES (?, ?)", taskKey, now);
  }

  wasCompleted(taskKey: string): boolean {
    return this.sql.exec("SELECT 1 FROM completions WHERE task_key = ?", taskKey).toArray().length > 0;
  }

  /**
   * The newest `limit` completion marks whose key starts with `prefix` (signal request ids), oldest
   * first: re-marked in this order, they keep their order in the next run.
   */
  marksWithPrefix(prefix: string, limit: number): { task_key: string; at: number }[] {
    return this.sql
      .exec<{ task_key: string; at: number }>("SELECT task_key, at FROM completions WHERE substr(task_key, 1, ?1) = ?2 ORDER BY at DESC, rowid DESC LIMIT ?3", prefix.length, prefix, limit)
      .toArray()
      .reverse();
  }
}

export function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

export type { Failure, SchedulePayload };
