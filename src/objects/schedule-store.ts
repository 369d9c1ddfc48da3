import type { SchedulePolicy, ScheduleSpec } from "@sundial/sdk/protocol";
import type { ScheduleState } from "../core/schedule/machine.ts";
import { LIMITS } from "../core/limits.ts";
import { Outbox, OUTBOX_TABLE_SQL } from "./outbox.ts";
import type { SqlMigration } from "./sql-migrations.ts";

export const SCHEDULE_MIGRATIONS: SqlMigration[] = [
  {
    id: 1,
    description: "schedule definition and state, recent actions, backfills, outbox",
    sql: `
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
      );
      CREATE TABLE backfills (id INTEGER PRIMARY KEY AUTOINCREMENT, cursor INTEGER NOT NULL, end_at INTEGER NOT NULL, overlap TEXT NOT NULL);
      ${OUTBOX_TABLE_SQL}
    `,
  },
];

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

/** Typed SQL access for one ScheduleObject. */
export class ScheduleStore {
  readonly outbox: Outbox;

  constructor(private readonly sql: SqlStorage) {
    this.outbox = new Outbox(sql);
  }

  get(): ScheduleRow | null {
    const raw = this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM schedule WHERE id = 1").toArray()[0];
    if (!raw) return null;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) out[k] = JSON_COLS.has(k) ? JSON.parse(v as string) : v;
    return out as unknown as ScheduleRow;
  }

  put(row: ScheduleRow): void {
    const cols = Object.keys(row) as (keyof ScheduleRow)[];
    const values = cols.map((c) => (JSON_COLS.has(c) ? JSON.stringify(row[c] ?? null) : ((row[c] as SqlStorageValue) ?? null)));
    this.sql.exec(`INSERT OR REPLACE INTO schedule (id, ${cols.join(", ")}) VALUES (1, ${cols.map(() => "?").join(", ")})`, ...values);
  }

  addAction(a: ActionRow): void {
    this.sql.exec("INSERT INTO actions (at, nominal, actual, run_id, kind, outcome) VALUES (?, ?, ?, ?, ?, ?)", a.at, a.nominal, a.actual, a.run_id, a.kind, a.outcome);
    this.sql.exec("DELETE FROM actions WHERE id <= (SELECT MAX(id) FROM actions) - ?", LIMITS.recentActions);
  }

  /** Updates the outcome of the latest action for a run (e.g. started → completed). */
  setActionOutcome(runId: string, outcome: string): void {
    this.sql.exec("UPDATE actions SET outcome = ? WHERE id = (SELECT MAX(id) FROM actions WHERE run_id = ?)", outcome, runId);
  }

  actions(): ActionRow[] {
    return this.sql.exec<Record<string, SqlStorageValue>>("SELECT at, nominal, actual, run_id, kind, outcome FROM actions ORDER BY id DESC").toArray() as unknown as ActionRow[];
  }

  backfills(): { id: number; cursor: number; end_at: number; overlap: string }[] {
    return this.sql.exec<{ id: number; cursor: number; end_at: number; overlap: string }>("SELECT * FROM backfills ORDER BY id").toArray();
  }

  addBackfill(from: number, to: number, overlap: string): void {
    this.sql.exec("INSERT INTO backfills (cursor, end_at, overlap) VALUES (?, ?, ?)", from, to, overlap);
  }

  advanceBackfill(id: number, cursor: number | null): void {
    if (cursor === null) this.sql.exec("DELETE FROM backfills WHERE id = ?", id);
    else this.sql.exec("UPDATE backfills SET cursor = ? WHERE id = ?", cursor, id);
  }

  wipe(): void {
    this.sql.exec("DELETE FROM schedule; DELETE FROM actions; DELETE FROM backfills;");
  }
}
