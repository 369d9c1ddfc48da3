-- D1 is an index, not the source of truth: Durable Objects own state and write through to these
-- tables (retrying from an outbox), so listing and per-user lookups are fast.

CREATE TABLE api_keys (
  key_id      TEXT PRIMARY KEY,
  namespace   TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('admin', 'app', 'worker')),
  secret_hash TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
CREATE INDEX api_keys_namespace ON api_keys (namespace, created_at);

CREATE TABLE workflow_types (
  namespace    TEXT NOT NULL,
  name         TEXT NOT NULL,
  task_queue   TEXT NOT NULL,
  input_schema TEXT,
  build_id     TEXT,
  identity     TEXT NOT NULL,
  definition_hash TEXT NOT NULL DEFAULT '',
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (namespace, name)
);

CREATE TABLE executions (
  namespace    TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  run_id       TEXT NOT NULL,
  workflow     TEXT NOT NULL,
  status       TEXT NOT NULL,
  task_queue   TEXT NOT NULL,
  schedule_id  TEXT,
  started_at   INTEGER NOT NULL,
  closed_at    INTEGER,
  PRIMARY KEY (namespace, execution_id)
);
CREATE INDEX executions_list ON executions (namespace, started_at DESC, execution_id DESC);
CREATE INDEX executions_by_workflow ON executions (namespace, workflow, started_at DESC, execution_id DESC);
CREATE INDEX executions_by_status ON executions (namespace, status, started_at DESC, execution_id DESC);

CREATE TABLE schedules (
  namespace    TEXT NOT NULL,
  schedule_id  TEXT NOT NULL,
  workflow     TEXT NOT NULL,
  key          TEXT NOT NULL,
  status       TEXT NOT NULL,
  source       TEXT NOT NULL DEFAULT 'api',
  next_fire_at INTEGER,
  last_fire_at INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (namespace, schedule_id)
);
CREATE UNIQUE INDEX schedules_workflow_key ON schedules (namespace, workflow, key);
CREATE INDEX schedules_by_key ON schedules (namespace, key, schedule_id);
CREATE INDEX schedules_by_status ON schedules (namespace, status, schedule_id);
CREATE INDEX schedules_by_workflow ON schedules (namespace, workflow, schedule_id);
