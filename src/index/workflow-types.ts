/** D1 access for registered workflow types (name, task queue, input JSON Schema). */

export interface WorkflowTypeRow {
  namespace: string;
  name: string;
  task_queue: string;
  input_schema: string | null;
  build_id: string | null;
  identity: string;
  definition_hash: string;
  /** Default execution timeout (seconds) the worker declared, or null. */
  execution_timeout: number | null;
  updated_at: number;
}

/** The registered workflow type, as a statement to run alone or in a `db.batch`. */
export function workflowTypeQuery(db: D1Database, namespace: string, name: string): D1PreparedStatement {
  return db.prepare("SELECT * FROM workflow_types WHERE namespace = ? AND name = ?").bind(namespace, name);
}

export async function getWorkflowType(db: D1Database, namespace: string, name: string): Promise<WorkflowTypeRow | null> {
  return workflowTypeQuery(db, namespace, name).first<WorkflowTypeRow>();
}

/** The namespace's registered workflows by name, after `afterName` (keyset pagination). */
export async function listWorkflowTypes(db: D1Database, namespace: string, afterName: string | undefined, limit: number): Promise<WorkflowTypeRow[]> {
  const rows = await db
    .prepare("SELECT * FROM workflow_types WHERE namespace = ? AND name > ? ORDER BY name LIMIT ?")
    .bind(namespace, afterName ?? "", limit)
    .all<WorkflowTypeRow>();
  return rows.results;
}

export async function upsertWorkflowTypes(db: D1Database, rows: WorkflowTypeRow[]): Promise<void> {
  if (rows.length === 0) return;
  const stmt = db.prepare(
    `INSERT INTO workflow_types (namespace, name, task_queue, input_schema, build_id, identity, definition_hash, execution_timeout, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (namespace, name) DO UPDATE SET task_queue = excluded.task_queue, input_schema = excluded.input_schema,
       build_id = excluded.build_id, identity = excluded.identity, definition_hash = excluded.definition_hash,
       execution_timeout = excluded.execution_timeout, updated_at = excluded.updated_at`,
  );
  await db.batch(rows.map((r) => stmt.bind(r.namespace, r.name, r.task_queue, r.input_schema, r.build_id, r.identity, r.definition_hash, r.execution_timeout, r.updated_at)));
}

/**
 * The definition hash of a workflow type two registrations changed at once: neither can tell
 * which of them wrote its schedules last, so no registration reads it as unchanged (each applies
 * its own, as after a pending one). Never a {@link definitionHash} (those are numbers).
 */
export const CONTESTED_DEFINITION = "contested";

const COLUMNS = "namespace, name, task_queue, input_schema, build_id, identity, definition_hash, execution_timeout, updated_at";

/**
 * Records what a registration applied, as one batch, each row only as far as it is still true:
 * - a workflow whose schedules it changed (`intent`: it wrote its pending intent first) gets its
 *   definition hash only while the row is still that intent; another registration's intent or
 *   record since then means both changed the schedules at once, and either may have written last,
 *   so the row becomes {@link CONTESTED_DEFINITION} (its other columns as they are). Taking the last
 *   record as the definition would let the next registration of that definition read schedules
 *   holding the other one as unchanged, for good;
 * - one it left alone (unchanged, or a workflow without schedules) is written only over the row it
 *   planned against (`previous`, none: only where none was written since): a registration that
 *   changed it meanwhile keeps its record.
 */
export async function recordWorkflowTypes(db: D1Database, records: { row: WorkflowTypeRow; intent: boolean; previous: WorkflowTypeRow | null }[]): Promise<void> {
  if (records.length === 0) return;
  const t = "workflow_types";
  const mine = `${t}.definition_hash = 'pending' AND ${t}.task_queue = excluded.task_queue AND ${t}.build_id IS excluded.build_id AND ${t}.identity = excluded.identity AND ${t}.updated_at = excluded.updated_at`;
  const settle = db.prepare(
    `INSERT INTO ${t} (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
     ON CONFLICT (namespace, name) DO UPDATE SET definition_hash = CASE WHEN ${mine} THEN excluded.definition_hash ELSE '${CONTESTED_DEFINITION}' END`,
  );
  const refresh = db.prepare(
    `INSERT INTO ${t} (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
     ON CONFLICT (namespace, name) DO UPDATE SET task_queue = excluded.task_queue, input_schema = excluded.input_schema,
       build_id = excluded.build_id, identity = excluded.identity, definition_hash = excluded.definition_hash,
       execution_timeout = excluded.execution_timeout, updated_at = excluded.updated_at
     WHERE ${t}.definition_hash = ?10 AND ${t}.updated_at = ?11 AND ${t}.identity = ?12 AND ${t}.build_id IS ?13`,
  );
  await db.batch(
    records.map(({ row: r, intent, previous: p }) => {
      const values = [r.namespace, r.name, r.task_queue, r.input_schema, r.build_id, r.identity, r.definition_hash, r.execution_timeout, r.updated_at];
      return intent ? settle.bind(...values) : refresh.bind(...values, p?.definition_hash ?? null, p?.updated_at ?? null, p?.identity ?? null, p?.build_id ?? null);
    }),
  );
}

/**
 * Takes back the pending intents of a registration that was refused (a 4xx) after writing them,
 * each only while it is still that registration's (a later registration's row is left alone): the
 * previous row comes back with its definition still pending, since the schedules may hold part of
 * the refused definition, or another replica's since the previous row was read (so none is read as
 * unchanged: the next registration of the build in charge applies its own); a workflow with no
 * previous row loses the intent.
 */
export async function undoWorkflowTypeIntents(db: D1Database, undo: { intent: WorkflowTypeRow; previous: WorkflowTypeRow | null }[]): Promise<void> {
  if (undo.length === 0) return;
  const mine = "namespace = ? AND name = ? AND definition_hash = ? AND build_id IS ? AND identity = ? AND updated_at = ?";
  const restore = db.prepare(`UPDATE workflow_types SET task_queue = ?, input_schema = ?, build_id = ?, identity = ?, execution_timeout = ?, updated_at = ? WHERE ${mine}`);
  const drop = db.prepare(`DELETE FROM workflow_types WHERE ${mine}`);
  await db.batch(
    undo.map(({ intent: i, previous: p }) => {
      const where = [i.namespace, i.name, i.definition_hash, i.build_id, i.identity, i.updated_at];
      return p ? restore.bind(p.task_queue, p.input_schema, p.build_id, p.identity, p.execution_timeout, p.updated_at, ...where) : drop.bind(...where);
    }),
  );
}
