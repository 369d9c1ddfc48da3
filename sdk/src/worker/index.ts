/**
 * `@sundial/sdk/worker`: run workflow and activity code for the platform (Node only).
 * @example
 * import { runWorker } from "@sundial/sdk/worker";
 */
export { runWorker, type WorkerHandle } from "./run-worker.ts";
export type { WorkerBackoffOptions, WorkerOptions } from "./options.ts";
export { consoleWorkerLogger, silentWorkerLogger, type WorkerLogger, type WorkerLogFields } from "./logger.ts";
export { buildRegistration, readRegistration, toWireSchedule, type ScheduleConflict, type WireSchedule, type WorkerRegistration } from "./registration.ts";
export { resolveWorkerOptions, type ResolvedWorkerOptions } from "./options.ts";
export { Heartbeater, heartbeatIntervalMs, DEFAULT_HEARTBEAT_INTERVAL_MS, type HeartbeaterOptions } from "./heartbeater.ts";
export { LruCache } from "./lru-cache.ts";
