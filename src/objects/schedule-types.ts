/** What a ScheduleObject takes over RPC, beside the wire types of @sundial/sdk/protocol (as execution-types.ts for executions). */
import type { CreateScheduleCommand, SchedulePolicy, ScheduleSpec } from "@sundial/sdk/protocol";

/** Sent by an ExecutionObject when a run this schedule started closes. */
export interface RunClosedNotice {
  namespace: string;
  schedule_id: string;
  execution_id: string;
  status: string;
  failure: { message: string } | null;
  closed_at: number;
}

/** A create or upsert, validated by the API layer (or a worker's registration, `source: "code"`), with the id it resolved to. */
export interface ScheduleDefinition extends CreateScheduleCommand {
  namespace: string;
  schedule_id: string;
  source: "api" | "code";
}

/** A partial update, already validated and normalised by the API layer. */
export interface SchedulePatch {
  spec?: ScheduleSpec;
  policy?: SchedulePolicy;
  input?: unknown;
  task_queue?: string;
  execution_timeout?: number;
  note?: string;
}
