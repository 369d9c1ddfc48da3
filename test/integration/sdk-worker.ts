import { exports } from "cloudflare:workers";
import { HttpTransport, SundialClient } from "@sundial/sdk/client";
import { LruCache, silentWorkerLogger } from "@sundial/sdk/worker";
import type { WorkflowDefinition, WorkflowState } from "@sundial/sdk/workflow";
import { WorkerApi } from "../../sdk/src/worker/api.ts";
import { DEV_KEY } from "./helpers.ts";

/** `fetch` through this Worker's real fetch handler. */
const selfFetch = (async (input: URL | string, init?: RequestInit) =>
  (exports as unknown as { default: { fetch(r: Request): Promise<Response> } }).default.fetch(new Request(input, init))) as typeof fetch;

/**
 * The SDK worker's dependencies (for `processWorkflowTask`), talking to this Worker through its
 * real fetch handler: tests drive the SDK's workflow runner against the platform task by task.
 */
export function sdkWorker(queue: string, workflows: readonly WorkflowDefinition[], identity: string) {
  const transport = new HttpTransport({ url: "http://sundial.test", apiKey: DEV_KEY, fetch: selfFetch });
  return {
    workflows: new Map<string, WorkflowDefinition>(workflows.map((w) => [w.name, w])),
    api: new WorkerApi(transport, silentWorkerLogger, { initialMs: 1, maxMs: 2, attempts: 2 }),
    logger: silentWorkerLogger,
    cache: new LruCache<string, WorkflowState>(4),
    identity,
    taskQueue: queue,
    hardStop: new AbortController().signal,
  };
}

/**
 * The SDK's client, talking to this Worker through its real fetch handler; `wrap` sees each request
 * on its way (to count requests, or to abort one once it is sent).
 */
export function sdkClient(wrap: (send: typeof fetch) => typeof fetch = (send) => send): SundialClient {
  return new SundialClient({ url: "http://sundial.test", apiKey: DEV_KEY, fetch: wrap(selfFetch) });
}
