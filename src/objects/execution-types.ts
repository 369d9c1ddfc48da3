import type { ActivityTask, IdReusePolicy, SchedulePayload, WorkflowTask } from "@sundial/sdk/protocol";
import type { CloseCallback } from "./execution-store.ts";

/** What starts an execution: the API's start, a schedule's fire, a parent's child workflow. */
export interface StartArgs {
  namespace: string;
  execution_id: string;
  workflow: string;
  input: unknown;
  task_queue: string;
  execution_timeout: number;
  id_reuse_policy: IdReusePolicy;
  schedule: SchedulePayload | null;
  callback: CloseCallback | null;
  /** Set when a parent workflow starts this execution as its child. */
  parent_execution_id?: string | null;
  /** A scheduled run prepared ahead of its fire time: its first workflow task is not handed out before this instant (ms). */
  start_at?: number;
  /** With `start_at`: the run is skipped if its first task is not available to workers by then (fire + catch-up window, ms). */
  start_by?: number;
}

/** A completion's outcome, with the tasks it leased to the completing worker (eager dispatch). */
export interface Completion {
  status: "accepted" | "duplicate";
  activity_tasks?: ActivityTask[];
  workflow_task?: WorkflowTask;
}

/** What a verified task token says (see api/tasks.ts). */
export interface TokenPayload {
  n: string;
  e: string;
  r: string;
  k: "w" | "a" | "q";
  i: number;
  a: number;
  /** Activity lease number (absent in workflow task tokens). */
  l?: number;
}
