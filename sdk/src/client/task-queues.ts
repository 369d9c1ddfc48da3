import * as wire from "../protocol/task-queues.ts";
import type { CallOptions } from "./call-options.ts";
import { camelize, type Camelize } from "./camel.ts";
import type { HttpTransport } from "./http.ts";
import { CALL_OPTIONS, rejectUnknownOptions } from "./options.ts";
import { parse } from "./parse-response.ts";

/** {@link TaskQueuesClient.describe}'s answer: a queue's backlog per kind and its pollers, camelCase. */
export type TaskQueueDescription = Camelize<wire.TaskQueueDescription>;

/**
 * Task queues (`/v1/workflows/task-queues`): is any worker polling, and what waits — the first
 * thing to look at when runs do not start.
 * @example
 * const q = await client.taskQueues.describe("default");
 * if (q.workflowTasks.pollers.length === 0) console.warn(`no worker polls "default"; ${q.workflowTasks.backlog} workflow tasks wait`);
 */
export class TaskQueuesClient {
  private readonly http: HttpTransport;

  constructor(http: HttpTransport) {
    this.http = http;
  }

  /** Backlog (approximate), oldest available task and the workers seen polling in the last 5 minutes, per kind. */
  async describe(taskQueue: string, options: CallOptions = {}): Promise<TaskQueueDescription> {
    rejectUnknownOptions(options, CALL_OPTIONS, "");
    const answer = await this.http.request("GET", `/v1/workflows/task-queues/${encodeURIComponent(taskQueue)}`, { signal: options.signal });
    return camelize(parse(wire.TaskQueueDescription, answer));
  }
}
