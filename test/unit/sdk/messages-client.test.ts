import { describe, expect, it } from "vitest";
import { SundialApiError, SundialClient, UpdateFailedError, UpdateTimeoutError } from "@sundial/sdk/client";
import { defineWorkflow } from "@sundial/sdk/workflow";

interface Seen {
  method: string;
  url: string;
  body: unknown;
}

/** A fetch that answers from a script and records each request. */
function scripted(answers: (() => Response)[]) {
  const seen: Seen[] = [];
  const fetchImpl = (async (input: URL | string, init?: RequestInit) => {
    seen.push({ method: init?.method ?? "GET", url: String(input), body: init?.body === undefined ? undefined : JSON.parse(init.body as string) });
    const answer = answers.shift();
    if (!answer) throw new Error(`unexpected request ${String(input)}`);
    return answer();
  }) as typeof fetch;
  return { seen, client: new SundialClient({ url: "http://platform.test", apiKey: "dev.key", fetch: fetchImpl }) };
}

const json = (status: number, body: unknown, type = "application/json") => () => new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
const problem = (status: number, code: string, extra: Record<string, unknown> = {}) =>
  json(status, { type: `https://sundial.dev/problems/${code}`, title: "t", status, code, detail: `${code}!`, ...extra }, "application/problem+json");

const wireExecution = {
  execution_id: "invoice-42",
  run_id: "run-1",
  workflow: "invoice_approval",
  status: "running",
  task_queue: "invoices",
  input: { invoice_id: "42" },
  failure: null,
  started_at: "2026-11-22T09:00:00.000Z",
  closed_at: null,
  execution_timeout: 604800,
  history_length: 3,
  history_size_bytes: 1024,
  cancel_requested: false,
  pending_activities: [],
  schedule: null,  run_number: 1,
  previous_run_id: null,
  parent_execution_id: null,
  parent_run_id: null,
};
const BASE = "http://platform.test/v1/workflows/executions";

describe("client.executions: signals", () => {
  it("signal posts input and request_id to the signal's URL (names and ids encoded)", async () => {
    const { seen, client } = scripted([json(202, { recorded: false }), json(202, { recorded: true })]);
    await expect(client.executions.signal("invoice/42", "approve", { approver_id: "u-1" }, { requestId: "req-1" })).resolves.toEqual({ recorded: false });
    await client.executions.signal("invoice-42", "ping");
    expect(seen).toEqual([
      { method: "POST", url: `${BASE}/invoice%2F42/signals/approve`, body: { input: { approver_id: "u-1" }, request_id: "req-1" } },
      { method: "POST", url: `${BASE}/invoice-42/signals/ping`, body: {} },
    ]);
  });

  it("signalWithStart maps camelCase options and the definition's defaults; started from the body or the status", async () => {
    const invoice = defineWorkflow({ name: "invoice_approval", taskQueue: "invoices", executionTimeout: "7d", run: async () => null });
    const { seen, client } = scripted([json(201, { ...wireExecution, started: true }), json(200, wireExecution)]);
    const first = await client.executions.signalWithStart(invoice, { executionId: "invoice-42", input: { invoice_id: "42" }, signalName: "approve", signalInput: { by: "ada" }, requestId: "r-1" });
    expect(seen[0]).toMatchObject({
      method: "POST",
      url: `${BASE}/signal-with-start`,
      body: { workflow: "invoice_approval", execution_id: "invoice-42", input: { invoice_id: "42" }, task_queue: "invoices", execution_timeout: 604800, signal_name: "approve", signal_input: { by: "ada" }, request_id: "r-1" },
    });
    expect(first).toMatchObject({ executionId: "invoice-42", started: true, taskQueue: "invoices" });
    const second = await client.executions.signalWithStart("invoice_approval", { executionId: "invoice-42", signalName: "approve" });
    expect(seen[1]!.body).toEqual({ workflow: "invoice_approval", execution_id: "invoice-42", signal_name: "approve" });
    expect(second.started).toBe(false);
  });
});

describe("client.executions: queries", () => {
  it("query posts input and timeout_seconds and resolves with the result", async () => {
    const { seen, client } = scripted([json(200, { query_id: "q-1", result: { status: "awaiting_approval", total_cents: 125000 } })]);
    const status = await client.executions.query<{ status: string }>("invoice-42", "get_status", { verbose: true }, { timeout: "5s" });
    expect(status).toEqual({ status: "awaiting_approval", total_cents: 125000 });
    expect(seen[0]).toEqual({ method: "POST", url: `${BASE}/invoice-42/queries/get_status`, body: { input: { verbose: true }, timeout_seconds: 5 } });
  });

  it("query errors: 408 query_timeout, 422 query_failed with the handler's failure (camelCase), a bad timeout", async () => {
    const failure = { message: "cannot answer", type: "NoAnswer", non_retryable: true, details: { step_no: 2 } };
    const { client } = scripted([problem(408, "query_timeout"), problem(422, "query_failed", { field: "name", failure })]);
    const timeout = await client.executions.query("invoice-42", "get_status").catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(SundialApiError);
    expect(timeout).toMatchObject({ status: 408, code: "query_timeout", transient: true, failure: undefined });
    const failed = await client.executions.query("invoice-42", "get_status").catch((e: unknown) => e);
    expect(failed).toMatchObject({ status: 422, code: "query_failed", failure: { message: "cannot answer", type: "NoAnswer", nonRetryable: true, details: { step_no: 2 } } });
    await expect(client.executions.query("invoice-42", "get_status", null, { timeout: "2m" })).rejects.toThrow("query timeout must be between 1 and 60 seconds, got 120");
  });
});

describe("client.executions: a query's deadline", () => {
  it("waits for the query's hold (its timeout, plus a margin), not the client's requestTimeoutMs", async () => {
    // A platform that answers 300 ms in, well inside the query's 1 s hold; the client's own deadline is 100 ms.
    const fetchImpl = ((_input: URL | string, init?: RequestInit) =>
      new Promise<Response>((resolve, reject) => {
        const t = setTimeout(() => resolve(json(200, { query_id: "q-1", result: { status: "ok" } })()), 300);
        init?.signal?.addEventListener("abort", () => {
          clearTimeout(t);
          reject(init.signal!.reason);
        });
      })) as typeof fetch;
    const client = new SundialClient({ url: "http://platform.test", apiKey: "dev.key", fetch: fetchImpl, requestTimeoutMs: 100 });
    await expect(client.executions.query("invoice-42", "get_status", null, { timeout: 1 })).resolves.toEqual({ status: "ok" });
    await expect(client.executions.query("invoice-42", "get_status")).resolves.toEqual({ status: "ok" });
    await expect(client.executions.get("invoice-42")).rejects.toMatchObject({ transient: true, message: expect.stringContaining("no answer within 100 ms") });
    expect(() => new SundialClient({ url: "http://platform.test", apiKey: "dev.key", requestTimeoutMs: 30 * 86_400_000 })).toThrow(RangeError);
  });
});

describe("client.executions: updates", () => {
  it("update waits through 202 answers with the same update_id and returns the result", async () => {
    const { seen, client } = scripted([
      json(202, { update_id: "upd-1", status: "pending", failure: null }),
      json(200, { update_id: "upd-1", status: "completed", result: { success: true }, failure: null }),
    ]);
    const result = await client.executions.update<{ success: boolean }>("invoice-42", "update_config", { accounting_code: "IT-6100" }, { updateId: "upd-1", waitSeconds: 0.001 });
    expect(result).toEqual({ success: true });
    expect(seen.map((s) => s.body)).toEqual([
      { input: { accounting_code: "IT-6100" }, update_id: "upd-1", wait_seconds: 1 },
      { input: { accounting_code: "IT-6100" }, update_id: "upd-1", wait_seconds: 1 },
    ]);
    expect(seen[0]!.url).toBe(`${BASE}/invoice-42/updates/update_config`);
  });

  it("generates one update id for all its attempts, and retries transient errors with it", async () => {
    const { seen, client } = scripted([problem(503, "unavailable"), json(200, { update_id: "x", status: "completed", failure: null })]);
    await expect(client.executions.update("invoice-42", "touch")).resolves.toBeUndefined();
    const ids = seen.map((s) => (s.body as { update_id: string }).update_id);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(seen[0]!.body).toEqual({ update_id: ids[0], wait_seconds: 30 });
  });

  it("a handler failure throws UpdateFailedError; a validator rejection is SundialApiError update_rejected", async () => {
    const failure = { message: "cannot explode today", type: "Boom", non_retryable: false };
    const { client } = scripted([
      json(200, { update_id: "u-9", status: "completed", failure }),
      problem(422, "update_rejected", { field: "input", failure: { message: "limit must be >= 0", type: "InvalidLimit", non_retryable: true } }),
      problem(409, "execution_closed"),
    ]);
    const failed = await client.executions.update("invoice-42", "explode", null, { updateId: "u-9" }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(UpdateFailedError);
    expect(failed).toMatchObject({ updateId: "u-9", updateName: "explode", executionId: "invoice-42", failure: { message: "cannot explode today", type: "Boom", nonRetryable: false } });
    const rejected = await client.executions.update("invoice-42", "set_limit", -1).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(SundialApiError);
    expect(rejected).toMatchObject({ status: 422, code: "update_rejected", failure: { type: "InvalidLimit", nonRetryable: true } });
    await expect(client.executions.update("invoice-42", "set_limit", 1)).rejects.toMatchObject({ status: 409, code: "execution_closed" });
  });

  it("gives up with UpdateTimeoutError (naming the update id to retry with) once `wait` passed", async () => {
    const pending = json(202, { update_id: "u-2", status: "pending", failure: null });
    const { seen, client } = scripted(Array.from({ length: 50 }, () => pending));
    const err = await client.executions.update("invoice-42", "slow", null, { updateId: "u-2", wait: 0.3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpdateTimeoutError);
    expect(err).toMatchObject({ updateId: "u-2", executionId: "invoice-42" });
    // Immediate 202s are not hammered: a pause between polls.
    expect(seen.length).toBeLessThanOrEqual(2);
  });
});
