import { HealthResponse } from "../protocol/health.ts";
import type { KeyKind } from "../protocol/keys.ts";
import { WhoAmIResponse } from "../protocol/tasks.ts";
import type { CallOptions } from "./call-options.ts";
import { camelize, type Camelize } from "./camel.ts";
import type { SundialApiError } from "./errors.ts";
import { ExecutionsClient } from "./executions.ts";
import { HttpTransport, type ConnectionOptions } from "./http.ts";
import { KeysClient } from "./keys.ts";
import { CALL_OPTIONS, rejectUnknownOptions } from "./options.ts";
import { parse } from "./parse-response.ts";
import { SchedulesClient } from "./schedules.ts";
import { TaskQueuesClient } from "./task-queues.ts";
import { WorkflowTypesClient } from "./workflow-types.ts";

/**
 * The Sundial API client: typed, camelCase in and out. One instance per process is plenty.
 * @example
 * import { SundialClient } from "@sundial/sdk/client";
 *
 * const client = new SundialClient({ url: "http://127.0.0.1:8787", apiKey: process.env.SUNDIAL_API_KEY! });
 * const { executionId } = await client.executions.start("hello", { input: { name: "Ada" } });
 * console.log(await client.executions.result(executionId));
 * await client.schedules.create({ workflow: "hello", cron: "0 9 * * *", timezone: "Europe/Paris", key: "ada", input: { name: "Ada" } });
 */
export class SundialClient {
  /** Workflow executions: start, execute, get, result, list, listAll, history, signal, signalWithStart, query, update, cancel, terminate, reset. */
  readonly executions: ExecutionsClient;
  /** Schedules: create (upsert by workflow + key), get, list, update, delete, pause, resume, trigger, backfill, preview. */
  readonly schedules: SchedulesClient;
  /** API keys (admin keys only): create, list, revoke. */
  readonly keys: KeysClient;
  /** Registered workflows and their input JSON Schemas: get, list, listAll. */
  readonly workflows: WorkflowTypesClient;
  /** Task queues: describe (backlog and the workers polling). */
  readonly taskQueues: TaskQueuesClient;
  /** The transport, shared by every resource client. */
  readonly http: HttpTransport;

  constructor(options: ConnectionOptions = {}) {
    this.http = new HttpTransport(options);
    this.executions = new ExecutionsClient(this.http);
    this.schedules = new SchedulesClient(this.http);
    this.keys = new KeysClient(this.http);
    this.workflows = new WorkflowTypesClient(this.http);
    this.taskQueues = new TaskQueuesClient(this.http);
  }

  /** Which platform, namespace and key this client talks to (`GET /v1/workflows/workers/whoami`, the Mistral seed's worker info). */
  async whoami(options: CallOptions = {}): Promise<WhoAmI> {
    rejectUnknownOptions(options, CALL_OPTIONS, "");
    const b = parse(WhoAmIResponse, await this.http.request("GET", "/v1/workflows/workers/whoami", { signal: options.signal }));
    return { schedulerUrl: b.scheduler_url, namespace: b.namespace, tls: b.tls, keyId: b.key_id, keyKind: b.key_kind };
  }

  /**
   * Whether the platform is up and configured (`GET /v1/health`, which needs no key, so a client
   * made without `apiKey` can call it): resolves to
   * `{ status: "ok", service: "sundial" }`; a deployment whose secrets are missing or too short
   * rejects with a {@link SundialApiError} 503 `not_configured` naming them (`err.field`).
   * @example
   * const { status } = await client.health({ signal: AbortSignal.timeout(2_000) }); // "ok"
   */
  async health(options: CallOptions = {}): Promise<Health> {
    rejectUnknownOptions(options, CALL_OPTIONS, "");
    return camelize(parse(HealthResponse, await this.http.request("GET", "/v1/health", { signal: options.signal })));
  }
}

/** {@link SundialClient.health}'s answer. */
export type Health = Camelize<HealthResponse>;

/** {@link SundialClient.whoami}'s answer. */
export interface WhoAmI {
  /** The platform endpoint, as the platform saw the request. */
  schedulerUrl: string;
  /** The isolation boundary the key belongs to. */
  namespace: string;
  /** Whether the connection to the platform is encrypted (https). */
  tls: boolean;
  keyId: string;
  /** `admin`, `app` or `worker`. */
  keyKind: KeyKind;
}
