-- GET /v1/workflows/executions?schedule_id=… (a schedule's runs) had no index leading with
-- schedule_id: a page read every execution of the namespace in executions_page order and kept the
-- schedule's, so paging one schedule's runs got slower with every other run in the namespace.
-- Like the workflow and status filters (0007), this index ends in the list's ORDER BY columns, so a
-- page is read in order from the cursor and stops at its LIMIT. Partial: runs no schedule started
-- (schedule_id NULL) are never listed by it, and writing them skips it.
CREATE INDEX executions_page_by_schedule ON executions (namespace, schedule_id, first_started_at DESC, execution_id DESC) WHERE schedule_id IS NOT NULL;
