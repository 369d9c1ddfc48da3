/** D1 access for the schedules index (per-user listing, upsert lookups); ScheduleObjects are the truth. */
import type { WorkflowTypeRow } from "./workflow-types.ts";

export interface ScheduleIndexRow {
  namespace: string;
  schedule_id: string;
  workflow: string;
  key: string;
  status: string;
  source: string;
  next_fire_at: number | null;
  last_fire_at: number | null;
  /** The next fire's actual instant (jitter applied); null with next_fire_at. */
  next_run_at: number | null;
  /** Runs fired so far (Pipelit's current repeat). */
  current_repeat: number;
  /** Retries of the current fire (Pipelit's current retry). */
  current_retry: number;
  created_at: number;
  updated_at: number;
}

/** Outbox entries written before migration 0004 lack the progress columns: they default. */
export async function upsertSchedule(db: D1Database, r: ScheduleIndexRow): Promise<void> {
  await db
    .prepare(
      `INSERT INTO schedules (namespace, schedule_id, workflow, key, status, source, next_fire_at, last_fire_at, next_run_at, current_repeat, current_retry, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (namespace, schedule_id) DO UPDATE SET workflow = excluded.workflow, key = excluded.key, status = excluded.status,
         source = excluded.source, next_fire_at = excluded.next_fire_at, last_fire_at = excluded.last_fire_at, next_run_at = excluded.next_run_at,
         current_repeat = excluded.current_repeat, current_retry = excluded.current_retry, created_at = excluded.created_at, updated_at = excluded.updated_at
       WHERE excluded.updated_at >= schedules.updated_at`,
    )
    .bind(r.namespace, r.schedule_id, r.workflow, r.key, r.status, r.source, r.next_fire_at, r.last_fire_at, r.next_run_at ?? null, r.current_repeat ?? 0, r.current_retry ?? 0, r.created_at, r.updated_at)
    .run();
}

/**
 * Deletes a schedule's row. Given the (workflow, key) the schedule held, only a row still holding
 * it: a registration re-creating the id with another key claims the id's row before the old
 * object's delete arrives, and that claim must stay.
 */
export async function deleteScheduleRow(db: D1Database, namespace: string, scheduleId: string, pair?: { workflow: string; key: string }): Promise<void> {
  if (pair) await db.prepare("DELETE FROM schedules WHERE namespace = ? AND schedule_id = ? AND workflow = ? AND key = ?").bind(namespace, scheduleId, pair.workflow, pair.key).run();
  else await db.prepare("DELETE FROM schedules WHERE namespace = ? AND schedule_id = ?").bind(namespace, scheduleId).run();
}

/** The schedule holding (workflow, key), as a statement to run alone or in a `db.batch`. */
export function findByWorkflowKeyQuery(db: D1Database, namespace: string, workflow: string, key: string): D1PreparedStatement {
  return db.prepare("SELECT * FROM schedules WHERE namespace = ? AND workflow = ? AND key = ?").bind(namespace, workflow, key);
}

export async function findByWorkflowKey(db: D1Database, namespace: string, workflow: string, key: string): Promise<ScheduleIndexRow | null> {
  return findByWorkflowKeyQuery(db, namespace, workflow, key).first<ScheduleIndexRow>();
}

/**
 * The namespace's schedule count: one row of `namespace_schedule_counts`, which triggers on
 * `schedules` keep exact (migration 0003), so it costs the same at 100k schedules as at 10.
 */
export function scheduleCountQuery(db: D1Database, namespace: string): D1PreparedStatement {
  return db.prepare("SELECT n FROM namespace_schedule_counts WHERE namespace = ?").bind(namespace);
}

/** Reads the result of {@link scheduleCountQuery} (no row: the namespace never had a schedule). */
export function scheduleCountOf(r: D1Result): number {
  return (r.results[0] as { n: number } | undefined)?.n ?? 0;
}

export async function countSchedules(db: D1Database, namespace: string): Promise<number> {
  return scheduleCountOf(await scheduleCountQuery(db, namespace).all());
}

/** What creating a schedule reads (and claims) first, see {@link lookupForCreate}. */
export interface CreateLookup {
  /** The registered workflow type (its input schema and default execution timeout), or null. */
  type: WorkflowTypeRow | null;
  /** The schedule holding (workflow, key) now: this create's id when it claimed the pair. */
  holder: string | null;
  /** Where the holder comes from: `code` also while a registration's claim awaits its object. */
  holderSource: string | null;
  /** This create claimed (workflow, key) and its id: a new schedule. */
  claimed: boolean;
  /** The namespace's schedule count (for the per-namespace limit). */
  count: number;
  /** The create's id is indexed already (another pair's schedule, or a claim under way). */
  idTaken: boolean;
  /** When `idTaken`, the row holding the id: the pair it holds and where it comes from. */
  idHolder: { workflow: string; key: string; source: string } | null;
}

/**
 * What a create needs before its object is touched, in ONE D1 round trip (a batch is one
 * transaction): the workflow's registration, the schedule holding (workflow, key), the namespace's
 * count — and, when nobody holds the pair and the namespace is under its limit, the claim of the
 * pair and the id for this create. The claim is a placeholder index row (updated_at 0) that the
 * object's own row replaces. Without it the index row was written by the object's outbox after
 * the change, so two creates of one pair under different ids (an explicit `schedule_id`, then the
 * default id) both made an object, and the second's row could never be written. A claim that
 * already exists (the pair held) writes nothing.
 */
export async function lookupForCreate(db: D1Database, c: { namespace: string; scheduleId: string; workflow: string; key: string; source: string; now: number; limit: number }): Promise<CreateLookup> {
  const [insert, look] = await db.batch([
    db
      .prepare(
        `INSERT INTO schedules (namespace, schedule_id, workflow, key, status, source, created_at, updated_at)
         SELECT ?1, ?2, ?3, ?4, 'active', ?5, ?6, 0 WHERE COALESCE((SELECT n FROM namespace_schedule_counts WHERE namespace = ?1), 0) < ?7
         ON CONFLICT DO NOTHING`,
      )
      .bind(c.namespace, c.scheduleId, c.workflow, c.key, c.source, c.now, c.limit),
    db
      .prepare(
        `SELECT (SELECT schedule_id FROM schedules WHERE namespace = ?1 AND workflow = ?2 AND key = ?3) AS lookup_holder,
                (SELECT source FROM schedules WHERE namespace = ?1 AND workflow = ?2 AND key = ?3) AS lookup_holder_source,
                (SELECT n FROM namespace_schedule_counts WHERE namespace = ?1) AS lookup_count,
                EXISTS (SELECT 1 FROM schedules WHERE namespace = ?1 AND schedule_id = ?4) AS lookup_id_taken,
                (SELECT json_object('workflow', workflow, 'key', key, 'source', source) FROM schedules WHERE namespace = ?1 AND schedule_id = ?4) AS lookup_id_holder,
                t.*
         FROM (SELECT 1) LEFT JOIN workflow_types t ON t.namespace = ?1 AND t.name = ?2`,
      )
      .bind(c.namespace, c.workflow, c.key, c.scheduleId),
  ]);
  const row = (look!.results as (WorkflowTypeRow & { lookup_holder: string | null; lookup_holder_source: string | null; lookup_count: number | null; lookup_id_taken: number; lookup_id_holder: string | null })[])[0];
  if (!row) throw new Error("lookupForCreate: the lookup returned no row");
  const { lookup_holder, lookup_holder_source, lookup_count, lookup_id_taken, lookup_id_holder, ...type } = row;
  const claimed = (insert!.meta.changes ?? 0) > 0;
  const idTaken = !claimed && lookup_id_taken === 1;
  return {
    type: type.name === null ? null : type,
    holder: lookup_holder,
    holderSource: lookup_holder_source,
    claimed,
    count: lookup_count ?? 0,
    idTaken,
    idHolder: idTaken && lookup_id_holder !== null ? (JSON.parse(lookup_id_holder) as CreateLookup["idHolder"]) : null,
  };
}

/**
 * How old a claim must be before a DELETE of its id takes it for one a cut-off request left: a
 * younger one may be a create or registration still on its way to the object, and dropping it
 * would let another id claim the pair too (two schedules of one pair).
 */
export const CLAIM_ABANDONED_AFTER_MS = 60_000;

/**
 * Drops a claim whose create failed, unless the schedule's object has written its row since; with
 * `claimedBefore`, only a claim made before then.
 */
export async function releaseScheduleClaim(db: D1Database, namespace: string, scheduleId: string, claimedBefore = Number.MAX_SAFE_INTEGER): Promise<void> {
  await db.prepare("DELETE FROM schedules WHERE namespace = ? AND schedule_id = ? AND updated_at = 0 AND created_at < ?").bind(namespace, scheduleId, claimedBefore).run();
}

export interface ScheduleListQuery {
  namespace: string;
  key?: string | undefined;
  workflow?: string | undefined;
  status?: string | undefined;
  source?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

/** Ordered by schedule id (keyset pagination: stable while schedules are added). */
export async function listSchedules(db: D1Database, q: ScheduleListQuery): Promise<ScheduleIndexRow[]> {
  // Not claims (updated_at 0): a create under way, or one whose request was cut off before its object existed.
  const where = ["namespace = ?", "updated_at > 0"];
  const binds: (string | number)[] = [q.namespace];
  for (const [col, v] of [["key", q.key], ["workflow", q.workflow], ["status", q.status], ["source", q.source]] as const) {
    if (v !== undefined) {
      where.push(`${col} = ?`);
      binds.push(v);
    }
  }
  if (q.afterId !== undefined) {
    where.push("schedule_id > ?");
    binds.push(q.afterId);
  }
  const r = await db.prepare(`SELECT * FROM schedules WHERE ${where.join(" AND ")} ORDER BY schedule_id LIMIT ?`).bind(...binds, q.limit).all<ScheduleIndexRow>();
  return r.results;
}

/** Code-declared schedules of a workflow (for removing the ones a newer registration dropped). */
export async function listCodeSchedules(db: D1Database, namespace: string, workflow: string): Promise<ScheduleIndexRow[]> {
  const r = await db.prepare("SELECT * FROM schedules WHERE namespace = ? AND workflow = ? AND source = 'code'").bind(namespace, workflow).all<ScheduleIndexRow>();
  return r.results;
}
