import { Hono } from "hono";
import { z } from "zod";
import {
  CancelRequest,
  EXECUTION_STATUSES,
  Name,
  QueryRequest,
  ResetRequest,
  SignalRequest,
  SignalWithStartRequest,
  StartExecutionRequest,
  TerminateRequest,
  UpdateRequest,
  toRfc3339,
  type ExecutionSummary,
} from "@sundial/sdk/protocol";
import { LIMITS } from "../core/limits.ts";
import { listExecutions } from "../index/executions.ts";
import type { StartArgs } from "../objects/execution-types.ts";
import { executionStub } from "../objects/names.ts";
import { unwrap } from "../objects/rpc.ts";
import { requireKind, type AppEnv } from "./auth.ts";
import { decodeCursor, decodeHistoryToken, encodeCursor, ExecutionsCursor, PageSize, PageToken } from "./pagination.ts";
import { queryFilter, queryId, queryNumber, queryTimestamp, readJson, readQuery } from "./validate.ts";
import { checkPayloadSize, checkWorkflowInput } from "./workflow-input.ts";
import { IdReference, MAX_ID_LENGTH } from "@sundial/sdk/protocol";
import { ValidationError } from "../core/errors.ts";

/** /v1/workflows/executions: start, describe, list, history, cancel, terminate, result. */
export const executionRoutes = new Hono<AppEnv>();
executionRoutes.use("*", requireKind("app"));

const ListQuery = z.strictObject({
  workflow: queryFilter(z.string().max(200)),
  status: queryFilter(z.enum(EXECUTION_STATUSES)),
  schedule_id: queryFilter(queryId(z.string().max(MAX_ID_LENGTH))),
  // The execution's first start (what the list is ordered by): [started_after, started_before).
  started_after: queryFilter(queryTimestamp),
  started_before: queryFilter(queryTimestamp),
  page_size: PageSize,
  page_token: PageToken,
});

/** A history page token: `{last event id}.{run id}` (a bare event id, as issued before 2026-12-03, is still read). */
const HistoryQuery = z.strictObject({ page_size: PageSize, page_token: z.string().optional() });
const ResultQuery = z.strictObject({ wait_seconds: queryNumber(z.number().min(0).max(60), { fraction: true }).default(0) });

function executionId(raw: string): string {
  const r = IdReference.safeParse(raw);
  if (!r.success) throw new ValidationError(`execution_id: ${r.error.issues[0]?.message ?? "invalid"}`, { field: "execution_id" });
  return r.data;
}

/** The ExecutionObject's start arguments for a start request, after checking its input. */
async function startArgs(db: D1Database, namespace: string, id: string, body: Omit<z.output<typeof StartExecutionRequest>, "wait_seconds">): Promise<StartArgs> {
  const registered = await checkWorkflowInput(db, namespace, body.workflow, body.input);
  return {
    namespace,
    execution_id: id,
    workflow: body.workflow,
    input: body.input ?? null,
    task_queue: body.task_queue ?? registered.taskQueue,
    execution_timeout: body.execution_timeout ?? registered.executionTimeout ?? LIMITS.executionTimeoutDefault,
    id_reuse_policy: body.id_reuse_policy,
    schedule: null,
    callback: null,
  };
}

/** An execution's path, the `Location` of a start's answer (201, or 200 naming the execution the id already had). */
const executionPath = (id: string) => `/v1/workflows/executions/${encodeURIComponent(id)}`;

executionRoutes.post("/", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, StartExecutionRequest);
  const id = body.execution_id ?? crypto.randomUUID();
  const args = await startArgs(c.env.DB, p.namespace, id, body);
  const r = unwrap(await executionStub(c.env, p.namespace, id).start(args, body.wait_seconds * 1000));
  c.header("location", executionPath(id));
  return c.json({ ...r.execution, started: r.started }, r.started ? 201 : 200);
});

executionRoutes.get("/", async (c) => {
  const p = c.get("principal");
  const q = readQuery(c, ListQuery);
  if (q.started_after !== undefined && q.started_before !== undefined && q.started_before <= q.started_after) {
    throw new ValidationError("query.started_before: must be later than started_after", { field: "query.started_before" });
  }
  const after = q.page_token ? decodeCursor(q.page_token, ExecutionsCursor) : undefined;
  const rows = await listExecutions(c.env.DB, {
    namespace: p.namespace,
    workflow: q.workflow,
    status: q.status,
    scheduleId: q.schedule_id,
    startedAfter: q.started_after,
    startedBefore: q.started_before,
    after: after ? { firstStartedAt: after.f, executionId: after.i } : undefined,
    limit: q.page_size + 1,
  });
  const page = rows.slice(0, q.page_size);
  const last = page[page.length - 1];
  const executions: ExecutionSummary[] = page.map((r) => ({
    execution_id: r.execution_id,
    run_id: r.run_id,
    workflow: r.workflow,
    status: r.status as ExecutionSummary["status"],
    task_queue: r.task_queue,
    started_at: toRfc3339(r.started_at),
    closed_at: r.closed_at === null ? null : toRfc3339(r.closed_at),
    schedule_id: r.schedule_id,
  }));
  return c.json({ executions, next_page_token: rows.length > q.page_size && last ? encodeCursor(ExecutionsCursor, { f: last.first_started_at, i: last.execution_id }) : null });
});

executionRoutes.get("/:id", async (c) => {
  const p = c.get("principal");
  return c.json(unwrap(await executionStub(c.env, p.namespace, executionId(c.req.param("id"))).describe()));
});

executionRoutes.get("/:id/history", async (c) => {
  const p = c.get("principal");
  const q = readQuery(c, HistoryQuery);
  const [after, runId] = decodeHistoryToken(q.page_token);
  return c.json(unwrap(await executionStub(c.env, p.namespace, executionId(c.req.param("id"))).history(after, q.page_size, undefined, runId)));
});

executionRoutes.post("/:id/cancel", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, CancelRequest, { optional: true });
  return c.json(unwrap(await executionStub(c.env, p.namespace, executionId(c.req.param("id"))).cancel(body.reason)), 202);
});

executionRoutes.post("/:id/terminate", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, TerminateRequest, { optional: true });
  return c.json(unwrap(await executionStub(c.env, p.namespace, executionId(c.req.param("id"))).terminate(body.reason)));
});

executionRoutes.get("/:id/result", async (c) => {
  const p = c.get("principal");
  const q = readQuery(c, ResultQuery);
  const r = unwrap(await executionStub(c.env, p.namespace, executionId(c.req.param("id"))).result(q.wait_seconds * 1000));
  return c.json(r, r.status === "running" ? 202 : 200);
});

function messageName(raw: string): string {
  const r = Name.safeParse(raw);
  if (!r.success) throw new ValidationError(`name: ${r.error.issues[0]?.message ?? "invalid"}`, { field: "name" });
  return r.data;
}

executionRoutes.post("/signal-with-start", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, SignalWithStartRequest);
  checkPayloadSize(body.signal_input, "signal_input");
  const args = await startArgs(c.env.DB, p.namespace, body.execution_id, body);
  const r = unwrap(
    await executionStub(c.env, p.namespace, body.execution_id).signalWithStart(
      args,
      body.signal_name,
      body.signal_input ?? null,
      body.request_id ?? null,
    ),
  );
  c.header("location", executionPath(body.execution_id));
  return c.json({ ...r.execution, started: r.started }, r.started ? 201 : 200);
});

executionRoutes.post("/:id/signals/:name", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, SignalRequest, { optional: true });
  checkPayloadSize(body.input, "input");
  const r = unwrap(await executionStub(c.env, p.namespace, executionId(c.req.param("id"))).signal(messageName(c.req.param("name")), body.input ?? null, body.request_id ?? null));
  return c.json(r, 202);
});

executionRoutes.post("/:id/queries/:name", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, QueryRequest, { optional: true });
  checkPayloadSize(body.input, "input");
  return c.json(unwrap(await executionStub(c.env, p.namespace, executionId(c.req.param("id"))).query(messageName(c.req.param("name")), body.input ?? null, body.timeout_seconds * 1000)));
});

executionRoutes.post("/:id/updates/:name", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, UpdateRequest, { optional: true });
  checkPayloadSize(body.input, "input");
  const updateId = body.update_id ?? crypto.randomUUID();
  const r = unwrap(await executionStub(c.env, p.namespace, executionId(c.req.param("id"))).update(messageName(c.req.param("name")), body.input ?? null, updateId, body.wait_seconds * 1000));
  return c.json(r, r.status === "completed" ? 200 : 202);
});

executionRoutes.post("/:id/reset", async (c) => {
  const p = c.get("principal");
  const body = await readJson(c, ResetRequest);
  const r = unwrap(
    await executionStub(c.env, p.namespace, executionId(c.req.param("id"))).reset({ eventId: body.event_id, reason: body.reason, excludeSignals: body.exclude_signals, excludeUpdates: body.exclude_updates }),
  );
  return c.json(r);
});
