import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { clock } from "../clock.ts";
import { armAlarm } from "./names.ts";
import { migratedOnFirstUse, type Sql, type SqlMigration } from "./sql-migrations.ts";
import { PollerBook, type PartitionState } from "../core/task-queue-pollers.ts";

/** A queue entry: a pointer to work an ExecutionObject owns (the object decides if it is still current). */
export interface QueuedTask {
  kind: "workflow" | "activity";
  /**
   * The workflow's name (workflow and query tasks) or the activity's type: a poll that names the
   * types its worker runs gets only tasks of those types. Absent on tasks queued before the queue
   * recorded types: any poller takes those.
   */
  type?: string;
  execution_id: string;
  /** Workflow task: its scheduled event id. Activity: its seq. */
  ref: number;
  attempt: number;
  /** Not handed out before this instant (ms): a scheduled run prepared ahead of its fire time. */
  visible_at?: number;
  /**
   * Set on tasks the queue hands out: when the task became available to pollers (the enqueue, or
   * for a delayed task the moment the queue released it; never before `visible_at`).
   */
  available_at?: number;
}

export const TASK_QUEUE_MIGRATIONS: SqlMigration[] = [
  {
    id: 1,
    description: "FIFO of queued tasks",
    sql: `CREATE TABLE tasks (
            id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, execution_id TEXT NOT NULL,
            ref INTEGER NOT NULL, attempt INTEGER NOT NULL, enqueued_at INTEGER NOT NULL,
            UNIQUE (kind, execution_id, ref, attempt));
          CREATE INDEX tasks_kind ON tasks (kind, id);`,
  },
  {
    id: 2,
    description: "delayed visibility: tasks of runs prepared ahead of their fire time",
    sql: `ALTER TABLE tasks ADD COLUMN visible_at INTEGER NOT NULL DEFAULT 0;
          ALTER TABLE tasks ADD COLUMN released_at INTEGER;
          CREATE INDEX tasks_visible ON tasks (kind, visible_at, id);`,
  },
  {
    id: 3,
    description: "task types: a poll gets only the workflows or activities its worker runs",
    sql: `ALTER TABLE tasks ADD COLUMN type TEXT;`,
  },
  {
    id: 4,
    description: "a typed poll finds its types' oldest task through an index, never scanning other types' backlog",
    sql: `CREATE INDEX tasks_typed ON tasks (kind, type, visible_at, id);`,
  },
];

/**
 * The oldest visible task of one of the poll's types (json_each(?3)) or of none (queued before
 * types): each type's first row comes from the tasks_typed index, so tasks of types nobody polling
 * runs (a fleet that is down) are never read, however many wait.
 */
export const TYPED_TAKE_SQL = `SELECT * FROM (
    SELECT t.* FROM json_each(?3) j JOIN tasks t ON t.id = (
      SELECT id FROM tasks WHERE kind = ?1 AND type = j.value AND visible_at <= ?2 ORDER BY visible_at, id LIMIT 1)
    UNION ALL
    SELECT * FROM (SELECT * FROM tasks WHERE kind = ?1 AND type IS NULL AND visible_at <= ?2 ORDER BY visible_at, id LIMIT 1)
  ) ORDER BY visible_at, id LIMIT 1`;

type TaskRow = { id: number; kind: string; type: string | null; execution_id: string; ref: number; attempt: number; visible_at: number; released_at: number | null; enqueued_at: number };

/** The task types a poll accepts (null: any), as a set for hand-overs and as JSON for the table's `json_each`. */
interface TypeFilter {
  set: ReadonlySet<string>;
  json: string;
}

function typeFilter(types: readonly string[] | null | undefined): TypeFilter | null {
  return types ? { set: new Set(types), json: JSON.stringify(types) } : null;
}

/** Whether a poll accepting `filter` may take `task` (a task without a type goes to anyone). */
function accepts(filter: TypeFilter | null, task: QueuedTask): boolean {
  return filter === null || task.type === undefined || filter.set.has(task.type);
}

interface Waiter {
  id: string;
  kind: QueuedTask["kind"];
  identity: string;
  types: TypeFilter | null;
  resolve: (t: QueuedTask | null) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Cancels of polls not (yet) held here that a queue object remembers. */
const CANCELLED_POLLS_CAP = 1_000;

/**
 * Durable FIFO for one (namespace, task queue, partition). Long polls are held here, so a task
 * enqueued while a poller waits goes straight to it (dispatch in well under a millisecond inside
 * the object). Holding requests keeps the object awake (duration billing) — the trade-off README
 * "Task queues" describes. Timeouts are not tracked here: the ExecutionObject re-dispatches any
 * task not started in time, so a poller that vanished with a task loses nothing.
 *
 * A task may carry `visible_at` (the first workflow task of a scheduled run prepared ahead of its
 * fire time): it waits in the table, invisible to polls, until a timer (backed by the alarm)
 * releases it at that instant to the pollers waiting here. One timer releases any number of runs,
 * which is what lets a thousand schedules due in the same second start within milliseconds.
 */
export class TaskQueueObject extends DurableObject<Env> {
  private waiters: Waiter[] = [];
  /** Polls cancelled before their hold arrived (insertion order: oldest first). */
  private readonly cancelled = new Set<string>();
  /** Who polled lately (memory only: a queue nobody polls may be evicted, and then has no pollers to show). */
  private readonly pollers = new PollerBook();

  /** The queue's tables, created by the first statement that needs them (the first enqueue). */
  private readonly sql: Sql;
  private tablesExist = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = migratedOnFirstUse(ctx.storage, TASK_QUEUE_MIGRATIONS);
    void ctx.blockConcurrencyWhile(async () => {
      // Woken again (after an eviction): the timer is gone, re-arm it so a release stays exact.
      if (this.hasTables()) this.armRelease();
    });
  }

  /**
   * Whether anything was ever queued here. A queue that never had a task has no tables, and what
   * only reads it (a poll, a describe, a lookup) answers from that without creating them: a GET of
   * a queue name nobody uses writes nothing.
   */
  private hasTables(): boolean {
    this.tablesExist ||= this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tasks'").toArray().length > 0;
    return this.tablesExist;
  }

  /**
   * Adds a task, or hands it straight to a waiting poller. Idempotent per (kind, execution, ref,
   * attempt). A task with a future `visible_at` waits in the table until the release timer (a
   * prepared start queued again takes the new `visible_at` and type).
   */
  enqueue(task: QueuedTask): void {
    const now = clock.now();
    const visibleAt = task.visible_at ?? 0;
    // A task put back (its poller left) keeps the instant it first became available.
    const availableAt = task.available_at ?? now;
    if (visibleAt <= now && this.handOver({ ...task, available_at: availableAt })) return;
    // An entry already queued for the same (kind, execution, ref, attempt) may be an earlier run's:
    // after a reset the new run's activity 1 may be of another type (new code), so the type is the
    // new one's. A prepared start also names its run's time: a run withdrawn and prepared again for
    // the same fire at another time (a jitter change) must not keep the old entry's. A task put back
    // (it carries available_at) changes nothing in an entry queued meanwhile: that one was sent by
    // the run since (a re-send, or a reset's new code), so its type is the current one.
    const putBack = task.available_at !== undefined;
    const prepared = visibleAt > now && !putBack;
    // A visible enqueue over an entry still held for a later time (a withdrawn prepared run's) makes it visible now.
    const onConflict = putBack
      ? "DO NOTHING"
      : `DO UPDATE SET type = excluded.type${prepared ? ", enqueued_at = excluded.enqueued_at, visible_at = excluded.visible_at, released_at = NULL" : ", released_at = CASE WHEN visible_at > excluded.visible_at THEN excluded.released_at ELSE released_at END, visible_at = MIN(visible_at, excluded.visible_at)"}`;
    this.sql.exec(
      `INSERT INTO tasks (kind, type, execution_id, ref, attempt, enqueued_at, visible_at, released_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, execution_id, ref, attempt) ${onConflict}`,
      task.kind,
      task.type ?? null,
      task.execution_id,
      task.ref,
      task.attempt,
      now,
      // A task put back at once keeps its place: it sorts by when it first became available.
      putBack && visibleAt <= now ? availableAt : Math.max(visibleAt, now),
      // A put-back held for a while keeps its first availability; a prepared start's is stamped at its release.
      visibleAt <= now || putBack ? availableAt : null,
    );
    // One timer and alarm for the earliest delayed task: re-armed only when this one comes sooner.
    if (visibleAt > now && (this.releaseAt === null || visibleAt < this.releaseAt)) this.armRelease();
  }

  /** Gives a task to the longest-waiting poller of its kind that runs its type; false when none waits. */
  private handOver(task: QueuedTask): boolean {
    const w = this.waiters.find((x) => x.kind === task.kind && accepts(x.types, task));
    if (!w) return false;
    this.resolveWaiter(w, task);
    return true;
  }

  private resolveWaiter(w: Waiter, task: QueuedTask | null): void {
    this.waiters = this.waiters.filter((x) => x !== w);
    clearTimeout(w.timer);
    w.resolve(task);
  }

  /**
   * Hands delayed tasks that became visible to waiting pollers and stamps the instant they were
   * released (what `available_at` reports). Runs from a timer while the object is awake and from
   * the alarm (the durable backup if it was evicted meanwhile).
   */
  private release(): void {
    const now = clock.now();
    if (!this.hasTables()) return;
    this.sql.exec("UPDATE tasks SET released_at = ? WHERE released_at IS NULL AND visible_at <= ?", now, now);
    // Longest-waiting poller first, each taking the oldest task it runs; a kind with nothing visible is not read again.
    const drained = new Set<QueuedTask["kind"]>();
    for (const w of [...this.waiters]) {
      if (drained.has(w.kind)) continue;
      const t = this.take(w.kind, now, w.types);
      if (t) this.resolveWaiter(w, t);
      else if (w.types === null) drained.add(w.kind);
    }
    this.armRelease();
  }

  private releaseTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the timer (and alarm) will release next; null: nothing delayed. */
  private releaseAt: number | null = null;

  /** Arms the release timer and alarm at the earliest delayed task still to release. */
  private armRelease(): void {
    const next = this.sql.exec<{ at: number | null }>("SELECT MIN(visible_at) AS at FROM tasks WHERE released_at IS NULL OR visible_at > ?", clock.now()).one().at;
    if (this.releaseTimer !== null) clearTimeout(this.releaseTimer);
    this.releaseTimer = null;
    this.releaseAt = next;
    if (next === null) return;
    this.releaseTimer = setTimeout(() => {
      this.releaseTimer = null;
      this.release();
    }, Math.max(0, next - clock.now()));
    armAlarm(this.ctx.storage, next, clock.now());
  }

  override async alarm(): Promise<void> {
    this.release();
  }

  /** Removes and returns the oldest visible task of a kind (of one of the filter's types, or without a type). */
  private take(kind: QueuedTask["kind"], now: number, types: TypeFilter | null = null): QueuedTask | null {
    // Read first: a poll on an empty queue (most of them) must stay a read. Any DELETE, even one
    // that matches nothing, opens a write transaction whose commit holds the poll's answer.
    if (!this.hasTables()) return null;
    const sql = this.sql;
    const row = (
      types === null
        ? sql.exec<TaskRow>("SELECT * FROM tasks WHERE kind = ? AND visible_at <= ? ORDER BY visible_at, id LIMIT 1", kind, now)
        : sql.exec<TaskRow>(TYPED_TAKE_SQL, kind, now, types.json)
    ).toArray()[0];
    if (!row) return null;
    sql.exec("DELETE FROM tasks WHERE id = ?", row.id);
    // A delayed task taken before the timer stamped it became available at the latest now.
    return { kind: row.kind as QueuedTask["kind"], ...(row.type !== null ? { type: row.type } : {}), execution_id: row.execution_id, ref: row.ref, attempt: row.attempt, available_at: row.released_at ?? now };
  }

  /**
   * Takes the oldest task of a kind, waiting up to `waitMs` for one; null on timeout. With
   * `types` (the workflow names or activity types the polling worker runs), only a task of one of
   * those types: others stay for the workers that run them. `began`: when the HTTP poll began (it
   * calls again for each partition slice and after a stale entry), what describe shows as its last poll.
   */
  async poll(kind: QueuedTask["kind"], waitMs: number, pollId = "", types: readonly string[] | null = null, identity = "", began = clock.now()): Promise<QueuedTask | null> {
    if (identity !== "") this.pollers.record(kind, identity, types, began);
    // Its client left and the cancel got here first: take nothing for nobody, hold nothing.
    if (pollId !== "" && this.cancelled.delete(pollId)) return null;
    const filter = typeFilter(types);
    const task = this.take(kind, clock.now(), filter);
    if (task) return task;
    if (waitMs <= 0) return null;
    return new Promise<QueuedTask | null>((resolve) => {
      const waiter: Waiter = {
        id: pollId,
        kind,
        identity,
        types: filter,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(null);
        }, waitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Ends a held poll whose client went away, so no task is handed to it. A cancel can overtake the
   * hold it ends (both are calls in flight; the poll may still be probing other partitions): one
   * that finds no hold is remembered, and that hold ends as it arrives.
   */
  cancelPoll(pollId: string): void {
    if (pollId === "") return;
    const w = this.waiters.find((x) => x.id === pollId);
    if (w) return this.resolveWaiter(w, null);
    this.cancelled.add(pollId);
    // A poll that ended before it held here never comes to collect its cancel: forget the oldest.
    if (this.cancelled.size > CANCELLED_POLLS_CAP) this.cancelled.delete(this.cancelled.values().next().value!);
  }

  /**
   * Whether a task is in this queue and, if so, when it was released to pollers (null: not yet).
   * Not queued means taken (a lease may be under way) or never enqueued. A prepared run that no
   * worker took before its timeout asks, to judge the catch-up window (execution-prepared.ts).
   */
  queuedTask(kind: QueuedTask["kind"], executionId: string, ref: number, attempt: number): { queued: false } | { queued: true; released_at: number | null } {
    if (!this.hasTables()) return { queued: false };
    const row = this.sql
      .exec<{ released_at: number | null }>("SELECT released_at FROM tasks WHERE kind = ? AND execution_id = ? AND ref = ? AND attempt = ?", kind, executionId, ref, attempt)
      .toArray()[0];
    return row ? { queued: true, released_at: row.released_at } : { queued: false };
  }

  /**
   * Whether a worker serving `type` polls this partition for `kind` tasks: one holds a poll here
   * now, or began one at or after `since` (ms). Memory only, as the pollers are: an evicted queue
   * object (nobody polled it for a while) says no. A poll names its partitions all (it probes
   * them), so partition 0 knows every worker of the queue.
   */
  polledSince(kind: QueuedTask["kind"], type: string, since: number): boolean {
    if (this.waiters.some((w) => w.kind === kind && (w.types === null || w.types.set.has(type)))) return true;
    return this.pollers.list(clock.now()).some((p) => p.kind === kind && p.lastPollAt >= since && (p.types === null || p.types.includes(type)));
  }

  /** This partition's backlog and pollers (GET /v1/workflows/task-queues/{name} merges the partitions). */
  describe(): PartitionState {
    const now = clock.now();
    const pollers = this.pollers.list(now).map((p) => ({ ...p, polling: this.waiters.some((w) => w.kind === p.kind && w.identity === p.identity) }));
    if (!this.hasTables()) return { workflow: { backlog: 0, oldestAvailableAt: null, delayed: 0 }, activity: { backlog: 0, oldestAvailableAt: null }, pollers };
    const sql = this.sql;
    // Available since its release stamp, else since it became visible — and never before its
    // enqueue: rows queued before migration 2 have visible_at 0 and no stamp.
    const rows = sql
      .exec<{ kind: string; n: number; oldest: number | null }>("SELECT kind, COUNT(*) AS n, MIN(COALESCE(released_at, MAX(visible_at, enqueued_at))) AS oldest FROM tasks WHERE visible_at <= ? GROUP BY kind", now)
      .toArray();
    const kind = (k: QueuedTask["kind"]) => {
      const r = rows.find((x) => x.kind === k);
      return { backlog: r?.n ?? 0, oldestAvailableAt: r?.oldest ?? null };
    };
    const delayed = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tasks WHERE kind = 'workflow' AND visible_at > ?", now).one().n;
    return { workflow: { ...kind("workflow"), delayed }, activity: kind("activity"), pollers };
  }
}
