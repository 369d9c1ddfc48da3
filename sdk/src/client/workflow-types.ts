import * as wire from "../protocol/workflow-types.ts";
import type { CallOptions } from "./call-options.ts";
import { parse } from "./parse-response.ts";
import type { HttpTransport } from "./http.ts";
import { everyItem } from "./pages.ts";
import { CALL_OPTIONS, optionNames, rejectUnknownOptions } from "./options.ts";

/** A registered workflow: what the last worker that registered it declared. */
export interface WorkflowType {
  name: string;
  taskQueue: string;
  /** The JSON Schema its inputs are checked against, as registered (keys untouched); null: any JSON. */
  inputSchema: Record<string, unknown> | null;
  /** Default execution timeout of its runs (seconds), or null (1 h). */
  executionTimeout: number | null;
  buildId: string | null;
  /** The identity of the worker that registered it. */
  identity: string;
  /** RFC 3339. */
  updatedAt: string;
}

/** Options of {@link WorkflowTypesClient.list} and `listAll` (which starts at `pageToken` when given). */
export interface ListWorkflowTypesOptions extends CallOptions {
  /** 1-500, default 50 (the platform's). */
  pageSize?: number;
  pageToken?: string;
}

/** A page of registered workflows, by name. */
export interface WorkflowTypePage {
  workflowTypes: WorkflowType[];
  nextPageToken: string | null;
}

const BASE = "/v1/workflows/types";
/** Checked as every client call's options are: a misspelt `pageSize` would be dropped without a word. */
const LIST_OPTIONS = optionNames({ pageSize: true, pageToken: true, signal: true } satisfies Record<keyof ListWorkflowTypesOptions, true>);

/** Not camelize(): the JSON Schema's own keys (a property named `report_type`) must stay as registered. */
function fromWire(t: wire.WorkflowTypeInfo): WorkflowType {
  return { name: t.name, taskQueue: t.task_queue, inputSchema: t.input_schema, executionTimeout: t.execution_timeout, buildId: t.build_id, identity: t.identity, updatedAt: t.updated_at };
}

/**
 * Registered workflows (`/v1/workflows/types`): what workers registered, with each workflow's input
 * JSON Schema — what a console needs to render a start form. Workers register; this only reads.
 * @example
 * const report = await client.workflows.get("daily-report");
 * console.log(report.inputSchema); // { type: "object", properties: { report_type: { type: "string" } }, … }
 */
export class WorkflowTypesClient {
  private readonly http: HttpTransport;

  constructor(http: HttpTransport) {
    this.http = http;
  }

  /** One registered workflow; a `SundialApiError` with code `workflow_not_found` (404) when no worker registered it. */
  async get(name: string, options: CallOptions = {}): Promise<WorkflowType> {
    rejectUnknownOptions(options, CALL_OPTIONS, "");
    const answer = await this.http.request("GET", `${BASE}/${encodeURIComponent(name)}`, { signal: options.signal });
    return fromWire(parse(wire.WorkflowTypeInfo, answer));
  }

  /** One page, by name. */
  async list(options: ListWorkflowTypesOptions = {}): Promise<WorkflowTypePage> {
    rejectUnknownOptions(options, LIST_OPTIONS, "");
    const answer = await this.http.request("GET", BASE, { query: { page_size: options.pageSize, page_token: options.pageToken }, signal: options.signal });
    const page = parse(wire.ListWorkflowTypesResponse, answer);
    return { workflowTypes: page.workflow_types.map(fromWire), nextPageToken: page.next_page_token };
  }

  /**
   * Every registered workflow, fetching pages as the loop goes, from `pageToken` when given (a token
   * `list` answered). An aborted `signal` ends the loop with its reason.
   * @example for await (const w of client.workflows.listAll({ pageSize: 100 })) console.log(w.name);
   */
  listAll(options: ListWorkflowTypesOptions = {}): AsyncGenerator<WorkflowType, void, undefined> {
    return everyItem(options.pageToken, async (pageToken) => {
      const page = await this.list({ ...options, ...(pageToken === undefined ? {} : { pageToken }) });
      return { items: page.workflowTypes, nextPageToken: page.nextPageToken };
    }, options.signal);
  }
}
