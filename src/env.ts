import type { ExecutionObject } from "./objects/execution-object.ts";
import type { ScheduleObject } from "./objects/schedule-object.ts";
import type { TaskQueueObject } from "./objects/task-queue-object.ts";

/** Bindings and vars of the Sundial Worker (see wrangler.toml). */
export interface Env {
  DB: D1Database;
  SCHEDULES: DurableObjectNamespace<ScheduleObject>;
  EXECUTIONS: DurableObjectNamespace<ExecutionObject>;
  TASK_QUEUES: DurableObjectNamespace<TaskQueueObject>;
  /** "true" only under `npm start` / tests: enables the development key and default secrets. */
  SUNDIAL_DEV_MODE?: string;
  /** Secret mixed into API key hashes. Required when not in dev mode; at least 32 characters when set (core/secrets.ts). */
  SUNDIAL_PEPPER?: string;
  /** HMAC key for task tokens. Required when not in dev mode; at least 32 characters when set. */
  SUNDIAL_TOKEN_SECRET?: string;
  /** Bootstrap admin key (`<key_id>.<secret>`) for a fresh deployment, optional; its secret has at least 32 characters. */
  SUNDIAL_ADMIN_KEY?: string;
  SUNDIAL_TASK_QUEUE_PARTITIONS?: string;
  /**
   * Most schedules one namespace may hold (a positive integer; default LIMITS.schedulesPerNamespace,
   * 1,000,000). A create past it is a 422 `limit_exceeded`; a malformed value falls back to the
   * default with a warning in the logs.
   */
  SUNDIAL_MAX_SCHEDULES_PER_NAMESPACE?: string;
  /** Seconds ahead of a fire that a schedule prepares its run (default 60; "0" turns it off). */
  SUNDIAL_PREPARE_AHEAD_SECONDS?: string;
  /** Tests only: D1 migrations read by the vitest config. */
  TEST_MIGRATIONS?: { name: string; queries: string[] }[];
}

type SundialEnv = Env;
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Cloudflare {
    // `env` from cloudflare:workers (tests) is typed as Cloudflare.Env.
    interface Env extends SundialEnv {}
  }
}
