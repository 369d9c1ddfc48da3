-- Rows indexed before 0004 have no next_run_at: use the nominal next fire until the schedule next
-- writes its index row (exact for schedules without jitter). Their current_repeat/current_retry
-- read 0 until then (the schedule's own GET has the true counts).
UPDATE schedules SET next_run_at = next_fire_at WHERE next_run_at IS NULL AND next_fire_at IS NOT NULL;
