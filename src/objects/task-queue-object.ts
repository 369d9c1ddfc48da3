import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { applySqlMigrations, type SqlMigration } from "./sql-migrations.ts";

/** A queue entry: a pointer to work an ExecutionObject owns (the object decides if it is still current). */
export interface QueuedTask {
  kind: "workflow" | "activity";
  execution_id: string;
  /** Workflow task: its scheduled event id. Activity: its seq. */
  ref: number;
  attempt: number;
}

const MIGRATIONS: SqlMigration[] = [
  {
    id: 1,
    description: "FIFO of queued tasks",
    sql: `CREATE TABLE tasks (
            id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, execution_id TEXT NOT NULL,
            ref INTEGER NOT NULL, attempt INTEGER NOT NULL, enqueued_at INTEGER NOT NULL,
            UNIQUE (kind, execution_id, ref, attempt));
          CREATE INDEX tasks_kind ON tasks (kind, id);`,
  },
];

interface Waiter {
  id: string;
  kind: QueuedTask["kind"];
  resolve: (t: QueuedTask | null) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Durable FIFO for one (namespace, task queue, partition). Long polls are held here, so a task
 * enqueued while a poller waits goes straight to it (dispatch in well under a millisecond inside
 * the object). Holding requests keeps the object awake (duration billing) — the trade-off README
 * "Task queues" describes. Timeouts are not tracked here: the ExecutionObject re-dispatches any
 * task not started in time, so a poller that vanished with a task loses nothing.
 */
export class TaskQueueObject extends DurableObject<Env> {
  private waiters: Waiter[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => applySqlMigrations(ctx.storage, MIGRATIONS));
  }

  /** Adds a task, or hands it straight to a waiting poller. Idempotent per (kind, execution, ref, attempt). */
  enqueue(task: QueuedTask): void {
    const i = this.waiters.findIndex((w) => w.kind === task.kind);
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w!.timer);
      w!.resolve(task);
      return;
    }
    this.ctx.storage.sql.exec(
      "INSERT OR IGNORE INTO tasks (kind, execution_id, ref, attempt, enqueued_at) VALUES (?, ?, ?, ?, ?)",
      task.kind,
      task.execution_id,
      task.ref,
      task.attempt,
      Date.now(),
    );
  }

  /** Takes the oldest task of a kind, waiting up to `waitMs` for one; null on timeout. */
  async poll(kind: QueuedTask["kind"], waitMs: number, pollId = ""): Promise<QueuedTask | null> {
    const row = this.ctx.storage.sql
      .exec<{ id: number; kind: string; execution_id: string; ref: number; attempt: number }>("SELECT id, kind, execution_id, ref, attempt FROM tasks WHERE kind = ? ORDER BY id LIMIT 1", kind)
      .toArray()[0];
    if (row) {
      this.ctx.storage.sql.exec("DELETE FROM tasks WHERE id = ?", row.id);
      return { kind: row.kind as QueuedTask["kind"], execution_id: row.execution_id, ref: row.ref, attempt: row.attempt };
    }
    if (waitMs <= 0) return null;
    return new Promise<QueuedTask | null>((resolve) => {
      const waiter: Waiter = {
        id: pollId,
        kind,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(null);
        }, waitMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Ends a held poll whose client went away, so no task is handed to it. */
  cancelPoll(pollId: string): void {
    const w = this.waiters.find((x) => x.id === pollId && pollId !== "");
    if (!w) return;
    this.waiters = this.waiters.filter((x) => x !== w);
    clearTimeout(w.timer);
    w.resolve(null);
  }

  /** Queued task counts per kind (for describe/bench). */
  depth(): { workflow: number; activity: number; waiting_pollers: number } {
    const rows = this.ctx.storage.sql.exec<{ kind: string; n: number }>("SELECT kind, COUNT(*) AS n FROM tasks GROUP BY kind").toArray();
    const get = (k: string) => rows.find((r) => r.kind === k)?.n ?? 0;
    return { workflow: get("workflow"), activity: get("activity"), waiting_pollers: this.waiters.length };
  }
}
