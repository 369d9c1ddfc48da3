import { env } from "cloudflare:workers";
import type { ExecutionStore } from "../../src/objects/execution-store.ts";
import { api } from "./helpers.ts";

// A worker driven by hand, step by step, for tests of the execution bookkeeping (children, resets,
// continue-as-new, messages): poll a task, complete it with chosen commands, look inside the object.

/** One poll as the hand-driven worker `hand` (held up to 2 s). */
export async function poll(queue: string, kind: "workflow" | "activity" = "workflow") {
  return api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind, identity: "hand", wait_seconds: 2 });
}

/** Completes a workflow task with these commands. */
export async function complete(token: string, commands: unknown[]) {
  return api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands });
}

/** `fn`'s first truthy answer, asked every 20 ms for up to 2 s. */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("timed out");
}

export const describeExec = async (id: string) => (await api("GET", `/v1/workflows/executions/${encodeURIComponent(id)}`)).body;
export const stub = (id: string) => env.EXECUTIONS.getByName(`default/${id}`);
export const storeOf = (obj: unknown) => (obj as { store: ExecutionStore }).store;
