/** D1 access for the executions index (listing and filtering); the ExecutionObject is the truth. */

export interface ExecutionIndexRow {
  namespace: string;
  execution_id: string;
  run_id: string;
  workflow: string;
  status: string;
  task_queue: string;
  schedule_id: string | null;
  started_at: number;
  closed_at: number | null;
}

export async function upsertExecution(db: D1Database, r: ExecutionIndexRow): Promise<void> {
  await db
    .prepare(
      `INSERT INTO executions (namespace, execution_id, run_id, workflow, status, task_queue, schedule_id, started_at, closed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (namespace, execution_id) DO UPDATE SET
         run_id = excluded.run_id, workflow = excluded.workflow, status = excluded.status, task_queue = excluded.task_queue,
         schedule_id = excluded.schedule_id, started_at = excluded.started_at, closed_at = excluded.closed_at
       WHERE excluded.started_at > executions.started_at
          OR (excluded.run_id = executions.run_id AND (executions.closed_at IS NULL OR excluded.closed_at IS NOT NULL))`,
    )
    .bind(r.namespace, r.execution_id, r.run_id, r.workflow, r.status, r.task_queue, r.schedule_id, r.started_at, r.closed_at)
    .run();
}

/** Removes a run's row (a prepared scheduled run withdrawn before it began); a newer run's row stays. */
export async function deleteExecution(db: D1Database, namespace: string, executionId: string, runId: string): Promise<void> {
  await db.prepare("DELETE FROM executions WHERE namespace = ? AND execution_id = ? AND run_id = ?").bind(namespace, executionId, runId).run();
}

export interface ExecutionListQuery {
  namespace: string;
  workflow?: string | undefined;
  status?: string | undefined;
  scheduleId?: string | undefined;
  /** Keyset cursor: (started_at, execution_id) of the last row of the previous page. */
  after?: { startedAt: number; executionId: string } | undefined;
  limit: number;
}

/** Newest first, keyset-paginated so pages stay stable while executions are added. */
export async function listExecutions(db: D1Database, q: ExecutionListQuery): Promise<ExecutionIndexRow[]> {
  const where = ["namespace = ?"];
  const binds: (string | number)[] = [q.namespace];
  if (q.workflow) {
    where.push("workflow = ?");
    binds.push(q.workflow);
  }
  if (q.status) {
    where.push("status = ?");
    binds.push(q.status);
  }
  if (q.scheduleId) {
    where.push("schedule_id = ?");
    binds.push(q.scheduleId);
  }
  if (q.after) {
    where.push("(started_at < ? OR (started_at = ? AND execution_id < ?))");
    binds.push(q.after.startedAt, q.after.startedAt, q.after.executionId);
  }
  const r = await db
    .prepare(`SELECT * FROM executions WHERE ${where.join(" AND ")} ORDER BY started_at DESC, execution_id DESC LIMIT ?`)
    .bind(...binds, q.limit)
    .all<ExecutionIndexRow>();
  return r.results;
}
