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

/** A listed row: its index row and the start of the execution's first run, which orders the list. */
export interface ExecutionListRow extends ExecutionIndexRow {
  first_started_at: number;
}

/**
 * What an ExecutionObject writes to the index: its run's row, with the run's place in the
 * execution's life (absent from entries queued before they were written).
 */
export interface ExecutionIndexWrite extends ExecutionIndexRow {
  /** The run's number under its execution id: 1, then + 1 with each run (continue-as-new, reset, or a start request using the id again). */
  run_number?: number;
  /** The run this one continues (continue-as-new, reset), else null: a run begun by a start request. */
  previous_run_id?: string | null;
}

/**
 * Writes a run's row unless the row holds something newer (writes can arrive out of order: a
 * retried delivery, an object that restarted while one was under way). A row is replaced by
 * - a later write of the same run, unless it would reopen a closed run;
 * - another run that started later, or the run right after the row's (continue-as-new, reset), or
 *   a running run a start request began once the row's run had closed (an id-reuse policy):
 *   those can start in the same millisecond as the run they follow, which started_at alone refused.
 *   (Three runs begun in one millisecond, their writes out of order, can still leave an older one.)
 * `first_started_at`, the list's order, is kept through continue-as-new and reset (a
 * previous_run_id, or an entry too old to say) and set again only when a start request began the
 * id anew (see begunAnew).
 */
export async function upsertExecution(db: D1Database, r: ExecutionIndexWrite): Promise<void> {
  await db
    .prepare(
      `INSERT INTO executions (namespace, execution_id, run_id, workflow, status, task_queue, schedule_id, started_at, closed_at, first_started_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8)
       ON CONFLICT (namespace, execution_id) DO UPDATE SET
         run_id = excluded.run_id, workflow = excluded.workflow, status = excluded.status, task_queue = excluded.task_queue,
         schedule_id = excluded.schedule_id, started_at = excluded.started_at, closed_at = excluded.closed_at,
         first_started_at = CASE WHEN ?10 = 1 AND excluded.run_id <> executions.run_id THEN excluded.started_at ELSE executions.first_started_at END
       WHERE (excluded.run_id = executions.run_id AND (executions.closed_at IS NULL OR excluded.closed_at IS NOT NULL))
          OR (excluded.run_id <> executions.run_id AND (excluded.started_at > executions.started_at OR ?11 = executions.run_id
              OR (?10 = 1 AND excluded.closed_at IS NULL AND executions.closed_at IS NOT NULL AND excluded.started_at >= executions.closed_at)))`,
    )
    .bind(r.namespace, r.execution_id, r.run_id, r.workflow, r.status, r.task_queue, r.schedule_id, r.started_at, r.closed_at, begunAnew(r), r.previous_run_id ?? null)
    .run();
}

/**
 * 1 when a start request began the run (it continues no run), 0 when it continues one, null for an
 * entry queued before writes carried run_number. The run number cannot tell: a start request
 * using a closed id again numbers on from its last run.
 */
function begunAnew(r: ExecutionIndexWrite): 0 | 1 | null {
  if (r.run_number === undefined) return null;
  return (r.previous_run_id ?? null) === null ? 1 : 0;
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
  /** Only executions first started at or after this instant (ms). */
  startedAfter?: number | undefined;
  /** Only executions first started before this instant (ms). */
  startedBefore?: number | undefined;
  /** Keyset cursor: (first_started_at, execution_id) of the last row of the previous page. */
  after?: { firstStartedAt: number; executionId: string } | undefined;
  limit: number;
}

/**
 * The list's statement and its binds: newest first by the execution's first start, keyset-paginated.
 * Each filter has an index leading with (namespace, filter column) and ending in the ORDER BY's
 * columns (migrations 0007, 0008), so a page is read in order and stops at its LIMIT.
 */
export function listExecutionsStatement(q: ExecutionListQuery): { sql: string; binds: (string | number)[] } {
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
  // A range on the ORDER BY's first column: every index above still reads it in order.
  if (q.startedAfter !== undefined) {
    where.push("first_started_at >= ?");
    binds.push(q.startedAfter);
  }
  // One upper bound SQLite seeks to (it seeks by one): started_before (times are whole ms, so
  // `< before` is `<= before - 1`) or, after a cursor, the cursor's first start, whichever is
  // tighter. For the cursor it says what the OR below says, in a form SQLite can seek by: by the
  // OR alone each page read every row of the pages before it (n²/2 rows to list n).
  const upper = Math.min(q.startedBefore === undefined ? Infinity : q.startedBefore - 1, q.after?.firstStartedAt ?? Infinity);
  if (upper !== Infinity) {
    where.push("first_started_at <= ?");
    binds.push(upper);
  }
  if (q.after) {
    where.push("(first_started_at < ? OR (first_started_at = ? AND execution_id < ?))");
    binds.push(q.after.firstStartedAt, q.after.firstStartedAt, q.after.executionId);
  }
  // With a time window and no statistics (D1 runs no ANALYZE), SQLite prefers the range on
  // executions_page over the filter's own index and reads every other workflow's (status's,
  // schedule's) executions in the window: name the filter's index, which takes both.
  const filterIndex = q.scheduleId ? "executions_page_by_schedule" : q.workflow ? "executions_page_by_workflow" : q.status ? "executions_page_by_status" : null;
  const windowed = q.startedAfter !== undefined || q.startedBefore !== undefined;
  const from = filterIndex && windowed ? `executions INDEXED BY ${filterIndex}` : "executions";
  return { sql: `SELECT * FROM ${from} WHERE ${where.join(" AND ")} ORDER BY first_started_at DESC, execution_id DESC LIMIT ?`, binds: [...binds, q.limit] };
}

/**
 * Newest first by the execution's first start, keyset-paginated: pages stay stable while
 * executions are added, continue as new or are reset (a run's own started_at moves; this does not).
 */
export async function listExecutions(db: D1Database, q: ExecutionListQuery): Promise<ExecutionListRow[]> {
  const { sql, binds } = listExecutionsStatement(q);
  const r = await db
    .prepare(sql)
    .bind(...binds)
    .all<ExecutionListRow>();
  return r.results;
}
