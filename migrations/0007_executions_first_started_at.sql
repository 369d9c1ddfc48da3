-- GET /v1/workflows/executions paged by the current run's started_at: an execution that continued
-- as new or was reset while a client paged got a newer started_at, jumped in front of the client's
-- cursor and was never listed to it. The list now orders and pages by first_started_at, the start
-- of the first run the index holds for the execution, which continue-as-new and reset keep (a new
-- start of the id, by an id-reuse policy, is a new execution and sets it again); started_at stays
-- the current run's start, as listed.
ALTER TABLE executions ADD COLUMN first_started_at INTEGER;
-- Rows indexed before 0007: their current run's start is the best first start known.
UPDATE executions SET first_started_at = started_at WHERE first_started_at IS NULL;
-- A Worker still running the code from before 0007 (while a deploy rolls out) inserts rows without
-- it: give them their started_at, so no row is left out of the keyset order (NULL sorts last and
-- matches no cursor).
CREATE TRIGGER executions_first_started_at AFTER INSERT ON executions
WHEN NEW.first_started_at IS NULL
BEGIN
  UPDATE executions SET first_started_at = NEW.started_at WHERE namespace = NEW.namespace AND execution_id = NEW.execution_id;
END;

CREATE INDEX executions_page ON executions (namespace, first_started_at DESC, execution_id DESC);
CREATE INDEX executions_page_by_workflow ON executions (namespace, workflow, first_started_at DESC, execution_id DESC);
CREATE INDEX executions_page_by_status ON executions (namespace, status, first_started_at DESC, execution_id DESC);
-- The started_at orders no list any more; keeping them would only slow every index write.
DROP INDEX executions_list;
DROP INDEX executions_by_workflow;
DROP INDEX executions_by_status;
