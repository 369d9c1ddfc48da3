import type { Env } from "../env.ts";
import { upsertExecution, type ExecutionIndexRow } from "../index/executions.ts";
import { scheduleStub } from "./names.ts";
import type { Outbox } from "./outbox.ts";
import type { RunClosedNotice } from "./schedule-object.ts";

/**
 * Delivers an execution's outbox: the D1 index row, and the close notice to the schedule that
 * started the run, so the index converges and a schedule always learns its run closed.
 */
export function flushExecutionOutbox(outbox: Outbox, env: Env, now: number): Promise<boolean> {
  return outbox.flush(now, async (key, payload) => {
    if (key === "index") await upsertExecution(env.DB, payload as ExecutionIndexRow);
    else if (key === "callback") {
      const notice = payload as RunClosedNotice;
      await scheduleStub(env, notice.namespace, notice.schedule_id).runClosed(notice);
    }
  });
}
