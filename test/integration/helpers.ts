import { undocumentedAnswer } from "./documented-errors.ts";
import { exports } from "cloudflare:workers";

export const DEV_KEY = "dev.sundial-local-development-key";

/** Extra request options: headers to add or override (an explicit `authorization` wins over `key`). */
export interface ApiOptions {
  headers?: Record<string, string>;
}

/**
 * Calls the Worker through its real fetch handler (routing, auth, problem+json and all). A string
 * body is sent as is, a Uint8Array as raw bytes (invalid UTF-8, say), a ReadableStream chunked
 * (no Content-Length), anything else as JSON.
 */
export async function api(method: string, path: string, body?: unknown, key: string | null = DEV_KEY, opts: ApiOptions = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  Object.assign(headers, opts.headers);
  const worker = (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default;
  const payload = body === undefined ? undefined : typeof body === "string" || body instanceof Uint8Array || body instanceof ReadableStream ? body : JSON.stringify(body);
  const res = await worker.fetch(new Request(`http://sundial.test${path}`, { method, headers, body: payload }));
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  // Every answer any integration test meets (success status and headers, or error status and code), and any header it sends, must be one the OpenAPI document lists for its route.
  const undocumented = undocumentedAnswer(method, path, res.status, (parsed as { code?: unknown } | null)?.code, new Headers(headers), res.headers);
  if (undocumented) throw new Error(`${undocumented}: ${method} ${path} → ${text.slice(0, 300)}`);
  return { status: res.status, body: parsed, headers: res.headers };
}

let counter = 0;
/** A fresh id per test, so objects never leak state between tests. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** Polls a task queue as a hand-driven worker (identity test-worker) would. */
export async function poll(kind: "workflow" | "activity", queue: string, waitSeconds = 1) {
  return api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind, identity: "test-worker", wait_seconds: waitSeconds });
}

/**
 * A run of workflow "w" whose first workflow task scheduled activity 1 (`activityType`, `options`
 * as the command's), not yet polled: the start of most hand-driven activity tests.
 */
export async function activityScheduled(prefix: string, activityType = "a", options: Record<string, unknown> = { retry: { maximum_attempts: 1 } }) {
  const id = uid(prefix);
  const queue = uid("q");
  await api("POST", "/v1/workflows/executions", { workflow: "w", execution_id: id, task_queue: queue });
  const wt = await poll("workflow", queue);
  const scheduled = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: activityType, input: null, options }] });
  if (scheduled.status !== 200) throw new Error(`scheduling activity ${activityType}: ${scheduled.status} ${JSON.stringify(scheduled.body)}`);
  return { id, queue };
}
