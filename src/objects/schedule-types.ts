/** What a ScheduleObject takes over RPC, beside the wire types of @sundial/sdk/protocol (as execution-types.ts for executions). */
import type { CreateScheduleCommand, PolicyInput, SchedulePolicy, ScheduleSpec } from "@sundial/sdk/protocol";

/** Sent by an ExecutionObject when a run this schedule started closes. */
export interface RunClosedNotice {
  namespace: string;
  schedule_id: string;
  execution_id: string;
  status: string;
  failure: { message: string } | null;
  closed_at: number;
}

/**
 * A create or upsert, validated by the API layer (or a worker's registration, `source: "code"`),
 * with the id it resolved to and its task queue (the one asked for, else the workflow's registered
 * one, else `default`).
 */
export interface ScheduleDefinition extends CreateScheduleCommand {
  namespace: string;
  schedule_id: string;
  source: "api" | "code";
  task_queue: string;
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

/**
 * A PATCH as the object takes it: the policy fields given, merged into the policy the object holds
 * when the update runs (merged from a read before it, a concurrent update of another policy field
 * was written back over).
 */
export interface ScheduleUpdate extends Omit<SchedulePatch, "policy"> {
  policy?: readonly (PolicyInput | undefined)[];
}
