import { OUTBOX_TABLE_SQL } from "./outbox.ts";
import type { SqlMigration } from "./sql-migrations.ts";

// The ExecutionObject's SQLite schema: its migrations in order, and all of them as one step for a
// new object. Table definitions are shared by the migrations that created them and the one-step schema below
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

EXECUTION_MIGRATIONS.push({
  id: 6,
  description: "a prepared scheduled run's start deadline (its fire plus the catch-up window), until its first lease decides",
  sql: `
    ALTER TABLE run ADD COLUMN start_by INTEGER;
  `,
});

EXECUTION_MIGRATIONS.push({
  id: 7,
  description: "which parent run started each child: its outbox entries and its parent's stops name that run",
  sql: `
    ALTER TABLE children ADD COLUMN parent_run TEXT;
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
  upTo: 7,
  sql: `
    CREATE TABLE run (${RUN_V1_COLUMNS},
      wt_acked INTEGER NOT NULL DEFAULT 1,
      run_number INTEGER NOT NULL DEFAULT 1, previous_run_id TEXT, last_child_seq INTEGER NOT NULL DEFAULT 0,
      last_step_seq INTEGER NOT NULL DEFAULT 0, start_by INTEGER
    );
    ${EVENTS_TABLE}
    CREATE TABLE activities (${ACTIVITIES_V1_COLUMNS},
      acked INTEGER NOT NULL DEFAULT 1, lease INTEGER NOT NULL DEFAULT 0
    );${V1_SMALL_TABLES}${UPDATES_TABLE}
    CREATE TABLE children (seq INTEGER PRIMARY KEY, execution_id TEXT NOT NULL, policy TEXT NOT NULL, state TEXT NOT NULL, parent_run TEXT);
  `,
};
