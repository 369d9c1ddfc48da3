import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { ResultTimeoutError, SundialApiError, SundialClient, SundialConnectionError, type FailureInfo, type KeyKind } from "@sundial/sdk/client";
import { defineWorkflow } from "@sundial/sdk/workflow";

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that answers from a script and records each request. */
function scripted(answers: ((req: Seen) => Response | Promise<Response>)[]) {
  const seen: Seen[] = [];
  const fetchImpl = (async (input: URL | string, init?: RequestInit) => {
    const req: Seen = {
      method: init?.method ?? "GET",
      url: String(input),
      headers: init?.headers as Record<string, string>,
      body: init?.body === undefined ? undefined : JSON.parse(init.body as string),
    };
    seen.push(req);
    const answer = answers.shift();
    if (!answer) throw new Error(`unexpected request ${req.method} ${req.url}`);
    return answer(req);
  }) as typeof fetch;
  return { seen, client: new SundialClient({ url: "http://platform.test/", apiKey: "dev.key", fetch: fetchImpl }) };
}

const json = (status: number, body: unknown, type = "application/json") => () => new Response(JSON.stringify(body), { status, headers: { "content-type": type } });

const wireExecution = {
  execution_id: "order-17",
  run_id: "run-1",
  workflow: "order",
  status: "running",
  task_queue: "default",
  input: { order_id: "o-1", line_items: [{ sku_code: "A" }] },
  failure: null,
  started_at: "2026-11-22T09:00:00.000Z",
  closed_at: null,
  execution_timeout: 7200,
  history_length: 7,
  history_size_bytes: 1024,
  cancel_requested: false,
  pending_activities: [{ seq: 1, activity_type: "charge", state: "backing_off", attempt: 2, last_failure: { message: "busy", type: "Busy", non_retryable: false, details: { retry_after_ms: 5 } }, last_heartbeat_at: null, next_attempt_at: "2026-11-22T09:00:02.000Z" }],
  schedule: null,  run_number: 1,
  previous_run_id: null,
  parent_execution_id: null,
  parent_run_id: null,
};

const order = defineWorkflow({ name: "order", input: z.object({ order_id: z.string() }), executionTimeout: "2h", taskQueue: "orders", run: async () => null });

describe("SundialClient.whoami", () => {
  it("maps the worker info to camelCase", async () => {
    const { seen, client } = scripted([json(200, { scheduler_url: "https://sundial.example.com", namespace: "acme", tls: true, key_id: "k1", key_kind: "worker" })]);
    expect(await client.whoami()).toEqual({ schedulerUrl: "https://sundial.example.com", namespace: "acme", tls: true, keyId: "k1", keyKind: "worker" });
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(["GET http://platform.test/v1/workflows/workers/whoami"]);
  });

  it("types the key kind as the three kinds there are, and refuses any other", async () => {
    const { client } = scripted([json(200, { scheduler_url: "https://s.example", namespace: "acme", tls: true, key_id: "k1", key_kind: "admin" }), json(200, { scheduler_url: "https://s.example", namespace: "acme", tls: true, key_id: "k1", key_kind: "root" })]);
    expectTypeOf((await client.whoami()).keyKind).toEqualTypeOf<KeyKind>();
    await expect(client.whoami()).rejects.toMatchObject({ code: "invalid_response", detail: expect.stringContaining("at key_kind") });
  });
});

describe("SundialClient.executions", () => {
  it("start maps camelCase options (and the definition's defaults) to the wire, and the answer back", async () => {
    const { seen, client } = scripted([json(201, { ...wireExecution, started: true })]);
    const started = await client.executions.start(order, { input: { order_id: "o-1" }, executionId: "order-17", idReusePolicy: "reject_duplicate" });
    expect(seen[0]).toMatchObject({
      method: "POST",
      url: "http://platform.test/v1/workflows/executions",
      headers: { authorization: "Bearer dev.key", "content-type": "application/json" },
      body: { workflow: "order", input: { order_id: "o-1" }, execution_id: "order-17", task_queue: "orders", execution_timeout: 7200, id_reuse_policy: "reject_duplicate" },
    });
    expect(started).toMatchObject({ executionId: "order-17", runId: "run-1", started: true, executionTimeout: 7200, historyLength: 7, cancelRequested: false });
    // Payloads keep their own keys; structural fields are camelCase all the way down.
    expect(started.input).toEqual({ order_id: "o-1", line_items: [{ sku_code: "A" }] });
    expect(started.pendingActivities[0]).toEqual({
      seq: 1,
      activityType: "charge",
      state: "backing_off",
      attempt: 2,
      lastFailure: { message: "busy", type: "Busy", nonRetryable: false, details: { retry_after_ms: 5 } },
      lastHeartbeatAt: null,
      nextAttemptAt: "2026-11-22T09:00:02.000Z",
    });
  });

  it("types what describe always carries (run lineage, a failure's cause chain) as present, and refuses an answer without it", async () => {
    const failure = { message: "charge failed", type: "ActivityFailure", non_retryable: false, cause: { message: "card declined", type: "CardDeclined", non_retryable: true } };
    const older = { ...wireExecution, parent_run_id: undefined, parent_execution_id: undefined, previous_run_id: undefined };
    const { client } = scripted([json(200, { ...wireExecution, status: "failed", failure }), json(200, { ...wireExecution, run_number: undefined }), json(200, older)]);
    const ex = await client.executions.get("order-17");
    expectTypeOf(ex.runNumber).toEqualTypeOf<number>();
    expectTypeOf(ex.parentRunId).toEqualTypeOf<string | null>();
    expectTypeOf(ex.failure).toEqualTypeOf<FailureInfo | null>();
    expectTypeOf<FailureInfo["cause"]>().toEqualTypeOf<FailureInfo | undefined>();
    expect([ex.runNumber, ex.previousRunId, ex.parentExecutionId, ex.parentRunId]).toEqual([1, null, null, null]);
    expect(ex.failure?.cause?.nonRetryable).toBe(true);
    await expect(client.executions.get("order-17")).rejects.toMatchObject({ code: "invalid_response", detail: expect.stringContaining("at run_number") });
    // A platform from before 2026-12-04 left the lineage fields out: read as null.
    expect(await client.executions.get("order-17")).toMatchObject({ previousRunId: null, parentExecutionId: null, parentRunId: null });
  });

  it("an unknown option (a typo, or the wire's snake_case name) fails with the name meant, before anything is sent", async () => {
    const { seen, client } = scripted([]);
    const calls: [() => Promise<unknown>, string][] = [
      [() => client.executions.start("order", { executionID: "o-1" } as never), "executionID: unknown option; expected one of input, executionId,"],
      [() => client.executions.start("order", { id_reuse_policy: "reject_duplicate" } as never), "id_reuse_policy: unknown option (did you mean idReusePolicy?)"],
      [() => client.executions.execute("order", { wait: "1m" } as never), "wait: unknown option; expected one of"],
      [() => client.executions.signalWithStart("order", { executionId: "o-1", signalName: "go", request_id: "r" } as never), "request_id: unknown option (did you mean requestId?)"],
      [() => client.executions.result("o-1", { timeoutSeconds: 5 } as never), "timeoutSeconds: unknown option (did you mean timeout?"],
      [() => client.executions.list({ schedule_id: "s" } as never), "schedule_id: unknown option (did you mean scheduleId?)"],
      [() => client.executions.history("o-1", { page_size: 5 } as never), "page_size: unknown option (did you mean pageSize?)"],
      [() => client.executions.signal("o-1", "go", {}, { requestID: "r" } as never), "requestID: unknown option; expected one of requestId, signal"],
      [() => client.executions.query("o-1", "q", {}, { timeout_seconds: 5 } as never), "timeout_seconds: unknown option (did you mean timeout?"],
      [() => client.executions.update("o-1", "u", {}, { update_id: "u1" } as never), "update_id: unknown option (did you mean updateId?)"],
      [() => client.executions.reset("o-1", { eventId: 3, reason: "fix", excludeSignal: true } as never), "excludeSignal: unknown option; expected one of"],
    ];
    for (const [call, message] of calls) await expect(call(), message).rejects.toThrow(message);
    expect(seen).toEqual([]);
  });

  it("maps problem+json answers to SundialApiError with status, code, field and detail", async () => {
    const body = { type: "https://sundial.dev/problems/validation_failed", title: "Unprocessable Content", status: 422, detail: "input.order_id: expected string", code: "validation_failed", field: "input.order_id", errors: [{ field: "input.order_id", message: "expected string" }] };
    const { client } = scripted([json(422, body, "application/problem+json")]);
    const err = await client.executions.start("order", { input: { order_id: 1 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SundialApiError);
    expect(err).toMatchObject({ status: 422, code: "validation_failed", field: "input.order_id", detail: "input.order_id: expected string", errors: body.errors });
    expect((err as SundialApiError).message).toBe("422 validation_failed: input.order_id: expected string");
  });

  it("a cancel of a run closed otherwise than cancelled: SundialApiError 409 execution_closed naming execution_id, not retried", async () => {
    const body = { type: "https://sundial.dev/problems/execution_closed", title: "Conflict", status: 409, detail: "cannot cancel execution a: it has already closed (completed)", code: "execution_closed", field: "execution_id" };
    const { client, seen } = scripted([json(409, body, "application/problem+json")]);
    const err = await client.executions.cancel("a", "too late").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SundialApiError);
    expect(err).toMatchObject({ status: 409, code: "execution_closed", field: "execution_id", transient: false });
    expect(seen).toHaveLength(1);
  });

  it("maps a non-problem error answer (a proxy's 502 page) and network failures", async () => {
    const { client } = scripted([() => new Response("<html>Bad gateway</html>", { status: 502, headers: { "content-type": "text/html" } })]);
    await expect(client.executions.get("x")).rejects.toMatchObject({ status: 502, code: "http_502", transient: true });
    const refused = new SundialClient({
      url: "http://platform.test",
      apiKey: "k",
      fetch: (async () => {
        throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
      }) as typeof fetch,
    });
    const err = await refused.executions.get("x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SundialConnectionError);
    expect((err as Error).message).toBe("cannot reach GET http://platform.test/v1/workflows/executions/x: fetch failed (ECONNREFUSED)");
  });

  it("refuses a body that is not JSON (a BigInt, a cycle) before sending anything, not as a network failure to retry", async () => {
    const { seen, client } = scripted([]);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const input of [{ n: 1n }, cyclic]) {
      const err = await client.executions.start("order", { input }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect(err).not.toBeInstanceOf(SundialConnectionError);
      expect((err as Error).message).toMatch(/^the body of POST \/v1\/workflows\/executions is not JSON: /);
    }
    expect(seen).toHaveLength(0);
  });

  it("result long-polls through 202s and transient errors until the execution closed", async () => {
    const running = json(202, { execution_id: "order-17", status: "running", failure: null });
    const { seen, client } = scripted([
      running,
      json(503, { type: "t", title: "Unavailable", status: 503, detail: "busy", code: "unavailable" }, "application/problem+json"),
      running,
      json(200, { execution_id: "order-17", status: "failed", failure: { message: "boom", type: "Error", non_retryable: false, cause: { message: "inner", type: "X", non_retryable: true } } }),
    ]);
    const outcome = await client.executions.result("order-17", { waitSeconds: 20 });
    expect(outcome).toEqual({ executionId: "order-17", status: "failed", failure: { message: "boom", type: "Error", nonRetryable: false, cause: { message: "inner", type: "X", nonRetryable: true } } });
    expect(seen.map((s) => s.url)).toEqual(Array(4).fill("http://platform.test/v1/workflows/executions/order-17/result?wait_seconds=20"));
  });

  it("a 503's Retry-After is on the error, and result() waits at least that long before asking again", async () => {
    const overloaded = () =>
      new Response(JSON.stringify({ type: "t", title: "Service Unavailable", status: 503, detail: "overloaded", code: "object_overloaded" }), { status: 503, headers: { "content-type": "application/problem+json", "retry-after": "1" } });
    const at: number[] = [];
    const { client } = scripted([
      () => (at.push(Date.now()), overloaded()),
      () => (at.push(Date.now()), json(200, { execution_id: "order-17", status: "completed", result: 1, failure: null })()),
      overloaded,
    ]);
    expect(await client.executions.result("order-17", { waitSeconds: 1 })).toMatchObject({ status: "completed", result: 1 });
    // The client's own backoff after one failure is at most 250 ms: the platform asked for 1 s.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(990);
    const err = await client.executions.get("order-17").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SundialApiError);
    expect(err).toMatchObject({ status: 503, code: "object_overloaded", retryAfterMs: 1000, transient: true });
  });

  it("result gives up after its own timeout with ResultTimeoutError", async () => {
    const running = json(202, { execution_id: "e", status: "running", failure: null });
    // As many answers as the millisecond can use: a script that ran out would be a connection
    // error, which result() rethrows as it is once the deadline has passed (a flake under load).
    const { seen, client } = scripted(Array.from({ length: 10_000 }, () => running));
    await expect(client.executions.result("e", { timeout: "1ms" as never })).rejects.toBeInstanceOf(ResultTimeoutError);
    // The server is never asked to hold longer than the client's own timeout allows (the default
    // would be 30 s): 1 s rounded up, or 0 if that millisecond already passed before the request.
    expect(seen[0]!.url).toMatch(/wait_seconds=[01]$/);
  });

  it("execute starts and waits in one request when the run closes within the hold", async () => {
    const { seen, client } = scripted([json(201, { ...wireExecution, status: "completed", result: { total: 3 }, closed_at: "2026-11-22T09:00:01.000Z", pending_activities: [], started: true })]);
    const outcome = await client.executions.execute(order, { input: { order_id: "o-1" } });
    expect(outcome).toEqual({ executionId: "order-17", status: "completed", result: { total: 3 }, failure: null });
    expect(seen).toHaveLength(1);
    // An id is chosen here when none is given, so a start retried after a lost answer is the same start.
    expect(seen[0]).toMatchObject({ method: "POST", url: "http://platform.test/v1/workflows/executions", body: { workflow: "order", task_queue: "orders", wait_seconds: 30 } });
    expect((seen[0]!.body as { execution_id: string }).execution_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("execute goes on with result long-polls while the run is still running, and stops at its timeout", async () => {
    const running = json(202, { execution_id: "order-17", status: "running", failure: null });
    const { seen, client } = scripted([json(201, { ...wireExecution, started: true }), running, json(200, { execution_id: "order-17", status: "completed", result: "ok", failure: null })]);
    expect(await client.executions.execute("order", { executionId: "order-17", waitSeconds: 5 })).toEqual({ executionId: "order-17", status: "completed", result: "ok", failure: null });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST http://platform.test/v1/workflows/executions",
      "GET http://platform.test/v1/workflows/executions/order-17/result?wait_seconds=5",
      "GET http://platform.test/v1/workflows/executions/order-17/result?wait_seconds=5",
    ]);
    expect(seen[0]!.body).toMatchObject({ execution_id: "order-17", wait_seconds: 5 });

    // A hold of 0 would poll without pause: it is raised to 1 s (and one past 60 s lowered to 60).
    const eager = scripted([json(201, { ...wireExecution, started: true }), json(200, { execution_id: "order-17", status: "completed", result: 1, failure: null })]);
    await eager.client.executions.execute("order", { executionId: "order-17", waitSeconds: 0 });
    expect((eager.seen[0]!.body as { wait_seconds: number }).wait_seconds).toBe(1);
    expect(eager.seen[1]!.url).toMatch(/wait_seconds=1$/);
    const patient = scripted([json(200, { execution_id: "x", status: "completed", result: 1, failure: null })]);
    await patient.client.executions.result("x", { waitSeconds: 600 });
    expect(patient.seen[0]!.url).toMatch(/wait_seconds=60$/);

    // As many "still running" answers as a slow machine may poll before the 1 ms is up (two ran out on a loaded CI run).
    const slow = scripted([json(201, { ...wireExecution, started: true }), ...Array.from({ length: 200 }, () => running)]);
    await expect(slow.client.executions.execute("order", { timeout: "1ms" as never })).rejects.toBeInstanceOf(ResultTimeoutError);
    expect((slow.seen[0]!.body as { wait_seconds?: number }).wait_seconds ?? 0).toBeLessThanOrEqual(1);
  });

  it("execute sends a start lost to a transient error again with the same id, but only under use_existing", async () => {
    const unavailable = json(503, { type: "t", title: "Unavailable", status: 503, detail: "busy", code: "unavailable" }, "application/problem+json");
    const { seen, client } = scripted([unavailable, json(200, { ...wireExecution, status: "failed", failure: { message: "boom", type: "Error", non_retryable: true }, started: false })]);
    expect(await client.executions.execute("order")).toEqual({ executionId: "order-17", status: "failed", failure: { message: "boom", type: "Error", nonRetryable: true } });
    expect(seen).toHaveLength(2);
    expect((seen[1]!.body as { execution_id: string }).execution_id).toBe((seen[0]!.body as { execution_id: string }).execution_id);

    const strict = scripted([unavailable]);
    await expect(strict.client.executions.execute("order", { idReusePolicy: "reject_duplicate" })).rejects.toMatchObject({ status: 503 });
    expect(strict.seen).toHaveLength(1);
  });

  it("list, history, cancel and terminate use the documented routes", async () => {
    const { seen, client } = scripted([
      json(200, { executions: [{ execution_id: "a", run_id: "r", workflow: "order", status: "completed", task_queue: "default", started_at: "t", closed_at: "t2", schedule_id: null }], next_page_token: "p2" }),
      json(200, { events: [{ id: 1, type: "execution_started", ts: "t", workflow: "order", input: { a_b: 1 }, task_queue: "default", execution_timeout: 60, run_id: "r" }], next_page_token: null }),
      json(202, { ...wireExecution, cancel_requested: true }),
      json(200, { ...wireExecution, status: "terminated" }),
      json(200, { executions: [], next_page_token: null }),
    ]);
    const page = await client.executions.list({ workflow: "order", status: "completed", pageSize: 10 });
    expect(page).toEqual({ executions: [{ executionId: "a", runId: "r", workflow: "order", status: "completed", taskQueue: "default", startedAt: "t", closedAt: "t2", scheduleId: null }], nextPageToken: "p2" });
    const history = await client.executions.history("a b", { pageSize: 100 });
    expect(history.events[0]).toEqual({ id: 1, type: "execution_started", ts: "t", workflow: "order", input: { a_b: 1 }, taskQueue: "default", executionTimeout: 60, runId: "r", attempt: 1, schedule: null });
    expect((await client.executions.cancel("a", "no longer needed")).cancelRequested).toBe(true);
    expect((await client.executions.terminate("a")).status).toBe("terminated");
    await client.executions.list({ scheduleId: "order:nightly", pageToken: "p2" });
    expect(seen.map((s) => `${s.method} ${s.url} ${JSON.stringify(s.body ?? null)}`)).toEqual([
      "GET http://platform.test/v1/workflows/executions?workflow=order&status=completed&page_size=10 null",
      "GET http://platform.test/v1/workflows/executions/a%20b/history?page_size=100 null",
      'POST http://platform.test/v1/workflows/executions/a/cancel {"reason":"no longer needed"}',
      'POST http://platform.test/v1/workflows/executions/a/terminate {"reason":""}',
      "GET http://platform.test/v1/workflows/executions?schedule_id=order%3Anightly&page_token=p2 null",
    ]);
  });

  it("executions.listAll walks every page with the same filters, lazily", async () => {
    const row = (id: string) => ({ execution_id: id, run_id: "r", workflow: "order", status: "completed", task_queue: "default", started_at: "t", closed_at: "t2", schedule_id: "order:nightly" });
    const { seen, client } = scripted([json(200, { executions: [row("a"), row("b")], next_page_token: "p2" }), json(200, { executions: [row("c")], next_page_token: null })]);
    const ids: string[] = [];
    for await (const e of client.executions.listAll({ scheduleId: "order:nightly", pageSize: 2 })) ids.push(e.executionId);
    expect(ids).toEqual(["a", "b", "c"]);
    expect(seen.map((s) => s.url)).toEqual([
      "http://platform.test/v1/workflows/executions?schedule_id=order%3Anightly&page_size=2",
      "http://platform.test/v1/workflows/executions?schedule_id=order%3Anightly&page_size=2&page_token=p2",
    ]);
  });
});

describe("SundialClient.keys", () => {
  const created = { key: "kA1.s3cret-s3cret", key_id: "kA1", namespace: "acme", kind: "worker", description: "billing", created_at: "2026-12-03T10:00:00.000Z" };
  it("create sends kind, namespace and description, and maps the answer (secret included, once)", async () => {
    const { seen, client } = scripted([json(201, created)]);
    expect(await client.keys.create({ kind: "worker", namespace: "acme", description: "billing" })).toEqual({ key: "kA1.s3cret-s3cret", keyId: "kA1", namespace: "acme", kind: "worker", description: "billing", createdAt: "2026-12-03T10:00:00.000Z" });
    expect(seen.map((r) => [r.method, r.url, r.body])).toEqual([["POST", "http://platform.test/v1/admin/keys", { kind: "worker", namespace: "acme", description: "billing" }]]);
  });

  const row = (id: string) => ({ key_id: id, namespace: "acme", kind: "worker", description: "", created_at: "2026-12-03T10:00:00.000Z", revoked_at: null });
  const listed = (id: string) => ({ keyId: id, namespace: "acme", kind: "worker", description: "", createdAt: "2026-12-03T10:00:00.000Z", revokedAt: null });

  it("list returns a page (keys and nextPageToken); list and revoke pass the namespace and paging as query parameters", async () => {
    const { seen, client } = scripted([json(200, { keys: [row("kA1")], next_page_token: "t1" }), () => new Response(null, { status: 204 }), json(200, { keys: [], next_page_token: null })]);
    expect(await client.keys.list({ namespace: "acme", pageSize: 1 })).toEqual({ keys: [listed("kA1")], nextPageToken: "t1" });
    await client.keys.revoke("kA1", { namespace: "acme" });
    expect(await client.keys.list({ pageToken: "t1" })).toEqual({ keys: [], nextPageToken: null });
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET http://platform.test/v1/admin/keys?namespace=acme&page_size=1",
      "DELETE http://platform.test/v1/admin/keys/kA1?namespace=acme",
      "GET http://platform.test/v1/admin/keys?page_token=t1",
    ]);
  });

  it("listAll follows next_page_token to the last page, lazily, keeping the namespace and page size", async () => {
    const { seen, client } = scripted([json(200, { keys: [row("kA1"), row("kA2")], next_page_token: "t2" }), json(200, { keys: [row("kA3")], next_page_token: null })]);
    const all = client.keys.listAll({ namespace: "acme", pageSize: 2 });
    expect(seen).toHaveLength(0);
    const ids: string[] = [];
    for await (const k of all) ids.push(k.keyId);
    expect(ids).toEqual(["kA1", "kA2", "kA3"]);
    expect(seen.map((r) => r.url)).toEqual(["http://platform.test/v1/admin/keys?namespace=acme&page_size=2", "http://platform.test/v1/admin/keys?namespace=acme&page_size=2&page_token=t2"]);
  });

  it("a misspelt option (which would act on the calling key's own namespace) fails before anything is sent", async () => {
    const { seen, client } = scripted([]);
    await expect(client.keys.create({ kind: "worker", namespce: "acme" } as never)).rejects.toThrow("namespce: unknown option; expected one of kind, namespace, description, signal");
    await expect(client.keys.list({ page_size: 5 } as never)).rejects.toThrow("page_size: unknown option (did you mean pageSize?)");
    await expect(client.keys.revoke("kA1", { namespce: "acme" } as never)).rejects.toThrow("namespce: unknown option; expected one of namespace, signal");
    await expect(client.workflows.list({ page_size: 5 } as never)).rejects.toThrow("page_size: unknown option (did you mean pageSize?)");
    await expect(client.schedules.list({ schedule_status: "paused" } as never)).rejects.toThrow("schedule_status: unknown option; expected one of key, workflow, status, source, pageSize, pageToken, signal");
    expect(seen).toEqual([]);
  });

  it("maps a refusal to SundialApiError, and an answer of the wrong shape to invalid_response", async () => {
    const { client } = scripted([
      json(403, { type: "about:blank", title: "Forbidden", status: 403, code: "wrong_key_kind", detail: "an app key cannot call this endpoint (needs admin)" }, "application/problem+json"),
      json(201, { ...created, kind: "root" }),
    ]);
    await expect(client.keys.create({ kind: "app" })).rejects.toMatchObject({ name: "SundialApiError", status: 403, code: "wrong_key_kind" });
    await expect(client.keys.create({ kind: "app" })).rejects.toMatchObject({ code: "invalid_response" });
  });
});
