-- Pipelit's list shows each job's next run time and its current repeat and retry counts: the
-- schedules index carries them (kept by each ScheduleObject's index outbox, written when they change).
-- next_run_at: the next fire's actual instant (with jitter), ms; current_repeat: runs fired so far;
-- current_retry: retries of the current fire.
ALTER TABLE schedules ADD COLUMN next_run_at INTEGER;
ALTER TABLE schedules ADD COLUMN current_repeat INTEGER NOT NULL DEFAULT 0;
ALTER TABLE schedules ADD COLUMN current_retry INTEGER NOT NULL DEFAULT 0;
