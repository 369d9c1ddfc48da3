-- Schedules per namespace, kept in step with the schedules index by triggers, so the create path
-- reads one row instead of COUNT(*) over the namespace (~6 ms at 100k rows) and no code path that
-- writes the index can forget to update it. An upsert that takes its DO UPDATE branch fires no
-- INSERT trigger, so updating a schedule never counts it twice.

CREATE TABLE namespace_schedule_counts (
  namespace TEXT PRIMARY KEY,
  n         INTEGER NOT NULL DEFAULT 0
);

INSERT INTO namespace_schedule_counts (namespace, n)
  SELECT namespace, COUNT(*) FROM schedules GROUP BY namespace;

CREATE TRIGGER schedules_count_insert AFTER INSERT ON schedules
BEGIN
  INSERT OR IGNORE INTO namespace_schedule_counts (namespace, n) VALUES (NEW.namespace, 0);
  UPDATE namespace_schedule_counts SET n = n + 1 WHERE namespace = NEW.namespace;
END;

CREATE TRIGGER schedules_count_delete AFTER DELETE ON schedules
BEGIN
  UPDATE namespace_schedule_counts SET n = n - 1 WHERE namespace = OLD.namespace;
END;

-- No code moves a row between namespaces today; if one ever does, the counts still follow.
CREATE TRIGGER schedules_count_move AFTER UPDATE OF namespace ON schedules
WHEN OLD.namespace IS NOT NEW.namespace
BEGIN
  UPDATE namespace_schedule_counts SET n = n - 1 WHERE namespace = OLD.namespace;
  INSERT OR IGNORE INTO namespace_schedule_counts (namespace, n) VALUES (NEW.namespace, 0);
  UPDATE namespace_schedule_counts SET n = n + 1 WHERE namespace = NEW.namespace;
END;
