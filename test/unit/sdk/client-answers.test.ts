import { describe, expect, it } from "vitest";
import { SundialApiError, SundialClient } from "@sundial/sdk/client";
import { fromList, optionNames } from "../../../sdk/src/client/options.ts";

/**
 * The client against answers it was not written for: options it does not know (a typo must not
 * be dropped in silence), and answers of a newer (a field added) or older (an optional field left
 * out) platform, which must still map to the typed result or `SundialApiError`, not `invalid_response`.
 */

interface Seen {
  method: string;
  url: string;
  body: unknown;
}

function scripted(answers: (() => Response)[]) {
  const seen: Seen[] = [];
  const fetchImpl = (async (input: URL | string, init?: RequestInit) => {
    seen.push({ method: init?.method ?? "GET", url: String(input), body: init?.body === undefined ? undefined : JSON.parse(init.body as string) });
    const answer = answers.shift();
    if (!answer) throw new Error(`unexpected request ${init?.method} ${String(input)}`);
    return answer();
  }) as typeof fetch;
  return { seen, client: new SundialClient({ url: "http://platform.test", apiKey: "dev.key", fetch: fetchImpl }) };
}

const json = (status: number, body: unknown, type = "application/json") => () => new Response(JSON.stringify(body), { status, headers: { "content-type": type } });

describe("calls whose only option is signal", () => {
  it("reject an unknown option (a typo of signal, or any other) before anything is sent", async () => {
    const { seen, client } = scripted([]);
    const signal = new AbortController().signal;
    const calls: [string, () => Promise<unknown>][] = [
      ["executions.get", () => client.executions.get("o-1", { singal: signal } as never)],
      ["executions.cancel", () => client.executions.cancel("o-1", "why", { singal: signal } as never)],
      ["executions.terminate", () => client.executions.terminate("o-1", "why", { singal: signal } as never)],
      ["schedules.get", () => client.schedules.get("s-1", { singal: signal } as never)],
      ["schedules.delete", () => client.schedules.delete("s-1", { singal: signal } as never)],
      ["schedules.pause", () => client.schedules.pause("s-1", "note", { singal: signal } as never)],
      ["workflows.get", () => client.workflows.get("hello", { singal: signal } as never)],
      ["taskQueues.describe", () => client.taskQueues.describe("default", { singal: signal } as never)],
      ["whoami", () => client.whoami({ singal: signal } as never)],
      ["health", () => client.health({ singal: signal } as never)],
    ];
    for (const [name, call] of calls) await expect(call(), name).rejects.toThrow(new TypeError("singal: unknown option; expected one of signal"));
    // The wire's name of another call's option is named too.
    await expect(client.executions.cancel("o-1", "why", { request_id: "r" } as never)).rejects.toThrow("request_id: unknown option; expected one of signal");
    expect(seen).toEqual([]);
  });

  it("still take signal, and options set to undefined", async () => {
    const { seen, client } = scripted([json(200, { status: "ok", service: "sundial" })]);
    expect(await client.health({ signal: new AbortController().signal, other: undefined } as never)).toEqual({ status: "ok", service: "sundial" });
    expect(seen).toHaveLength(1);
  });
});

const problem = (code: string, failure: unknown) => ({ type: `https://sundial.dev/problems/${code}`, title: "Unprocessable Content", status: 422, detail: "the handler threw", code, failure });

describe("answers of a newer or older platform", () => {
  it("a problem's failure with a field the client does not know (or without its optional ones) maps to SundialApiError with the failure", async () => {
    const { client } = scripted([
      json(422, problem("query_failed", { message: "boom", type: "Error", non_retryable: false, retryable_after: 5, cause: { message: "inner", category: "app" } }), "application/problem+json"),
      json(422, problem("update_rejected", { message: "no" }), "application/problem+json"),
    ]);
    const err = await client.executions.query("o-1", "q").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SundialApiError);
    expect(err).toMatchObject({ status: 422, code: "query_failed", detail: "the handler threw", failure: { message: "boom", type: "Error", nonRetryable: false, cause: { message: "inner", type: "Error", nonRetryable: false } } });
    expect((err as SundialApiError).failure).not.toHaveProperty("retryableAfter");
    await expect(client.executions.update("o-1", "u", {}, { updateId: "u-1" })).rejects.toMatchObject({ code: "update_rejected", failure: { message: "no", type: "Error", nonRetryable: false } });
  });

  it("a problem without the members RFC 9457 makes optional (type, title, status) still maps by its code", async () => {
    const { client } = scripted([json(404, { code: "execution_not_found", detail: "no execution o-1" }, "application/problem+json")]);
    await expect(client.executions.get("o-1")).rejects.toMatchObject({ name: "SundialApiError", status: 404, code: "execution_not_found", detail: "no execution o-1", type: "about:blank", title: "HTTP 404" });
  });

  const execution = {
    execution_id: "o-1",
    run_id: "run-1",
    workflow: "order",
    status: "failed",
    task_queue: "default",
    input: null,
    failure: { message: "boom", type: "Error", non_retryable: true, new_field: 1 },
    started_at: "2026-01-01T00:00:00.000Z",
    closed_at: "2026-01-01T00:00:01.000Z",
    execution_timeout: 3600,
    history_length: 5,
    history_size_bytes: 100,
    cancel_requested: false,
    pending_activities: [{ seq: 1, activity_type: "charge", state: "backing_off", attempt: 2, last_failure: { message: "declined", type: "Declined", non_retryable: false, code: "x" }, last_heartbeat_at: null, next_attempt_at: null }],
    schedule: null,
    run_number: 1,
    previous_run_id: null,
    parent_execution_id: null,
    parent_run_id: null,
  };

  it("an execution, its result and its history whose failures carry a new field are read, the field left out", async () => {
    const ts = "2026-01-01T00:00:00.000Z";
    const { client } = scripted([
      json(200, execution),
      json(200, { execution_id: "o-1", status: "failed", failure: execution.failure }),
      json(200, {
        events: [
          { id: 1, type: "activity_scheduled", ts, seq: 1, activity_type: "charge", input: null, options: { start_to_close_timeout: 10, priority: 3, retry: { maximum_attempts: 3, jitter: 0.1 } } },
          { id: 2, type: "activity_failed", ts, scheduled_event_id: 1, seq: 1, attempt: 1, failure: { message: "declined", type: "Declined", non_retryable: false, code: "x" } },
          { id: 3, type: "execution_failed", ts, failure: execution.failure },
        ],
        next_page_token: null,
      }),
    ]);
    const ex = await client.executions.get("o-1");
    expect(ex.failure).toEqual({ message: "boom", type: "Error", nonRetryable: true });
    expect(ex.pendingActivities[0]?.lastFailure).toEqual({ message: "declined", type: "Declined", nonRetryable: false });
    expect((await client.executions.result("o-1")).failure).toEqual({ message: "boom", type: "Error", nonRetryable: true });
    const { events } = await client.executions.history("o-1");
    expect(events.map((e) => e.type)).toEqual(["activity_scheduled", "activity_failed", "execution_failed"]);
    expect(events[0]).toMatchObject({ options: { startToCloseTimeout: 10, retry: { maximumAttempts: 3 } } });
    expect(events[1]).toMatchObject({ failure: { message: "declined", type: "Declined", nonRetryable: false } });
  });

  it("an answer of the wrong shape is still an invalid_response naming the field", async () => {
    const { client } = scripted([json(200, { ...execution, failure: { type: "Error" } })]);
    await expect(client.executions.get("o-1")).rejects.toMatchObject({ code: "invalid_response", detail: expect.stringContaining("at failure.message") });
  });

  it("an invalid_response reports the status the platform answered with (a 201 or 202 too), not always 200", async () => {
    const { client } = scripted([json(201, { execution_id: 17 }), json(202, { execution_id: "o-1" }), json(201, { key: 1 }), json(200, { status: "up" })]);
    await expect(client.executions.start("order")).rejects.toMatchObject({ code: "invalid_response", status: 201 });
    await expect(client.executions.cancel("o-1", "why")).rejects.toMatchObject({ code: "invalid_response", status: 202 });
    await expect(client.keys.create({ kind: "worker" })).rejects.toMatchObject({ code: "invalid_response", status: 201 });
    await expect(client.health()).rejects.toMatchObject({ code: "invalid_response", status: 200 });
  });
});

describe("the lists of option names", () => {
  it("are derived from the options types: an option the list lacks, or one the type lacks, does not compile", () => {
    interface Opts { a?: number; signal?: AbortSignal }
    expect(optionNames({ a: true, signal: true } satisfies Record<keyof Opts, true>)).toEqual(["a", "signal"]);
    // @ts-expect-error -- `signal` is missing from the list
    optionNames({ a: true } satisfies Record<keyof Opts, true>);
    // @ts-expect-error -- `b` is no option of the type
    optionNames({ a: true, b: true, signal: true } satisfies Record<keyof Opts, true>);
    expect(optionNames({ ...fromList(["a"] as const), signal: true } satisfies Record<keyof Opts, true>)).toEqual(["a", "signal"]);
  });
});

describe("the client's connection options", () => {
  it("reject an unknown option: a misspelt apiKey would fall back to SUNDIAL_API_KEY (another key, maybe another namespace) or none", () => {
    expect(() => new SundialClient({ url: "http://platform.test", apikey: "dev.key" } as never)).toThrow(new TypeError("apikey: unknown option; expected one of url, apiKey, fetch, requestTimeoutMs"));
    expect(() => new SundialClient({ url: "http://platform.test", api_key: "dev.key" } as never)).toThrow("api_key: unknown option (did you mean apiKey?)");
    expect(() => new SundialClient({ url: "http://platform.test", apiKey: "k", timeoutMs: 5_000 } as never)).toThrow("timeoutMs: unknown option; expected one of");
    expect(new SundialClient({ url: "http://platform.test", apiKey: "k", fetch: undefined, requestTimeoutMs: 5_000 }).http.baseUrl).toBe("http://platform.test");
  });
});
