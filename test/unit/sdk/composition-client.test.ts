import { describe, expect, it } from "vitest";
import { SundialApiError, SundialClient } from "@sundial/sdk/client";

/** A fetch that answers from a script and records each request. */
function scripted(answers: (() => Response)[]) {
  const seen: { method: string; url: string; body: unknown }[] = [];
  const fetchImpl = (async (input: URL | string, init?: RequestInit) => {
    seen.push({ method: init?.method ?? "GET", url: String(input), body: init?.body === undefined ? undefined : JSON.parse(init.body as string) });
    const answer = answers.shift();
    if (!answer) throw new Error(`unexpected request ${String(input)}`);
    return answer();
  }) as typeof fetch;
  return { seen, client: new SundialClient({ url: "http://platform.test", apiKey: "dev.key", fetch: fetchImpl }) };
}

const json = (status: number, body: unknown, type = "application/json") => () => new Response(JSON.stringify(body), { status, headers: { "content-type": type } });

const wireExecution = {
  execution_id: "buggy/1",
  run_id: "run-2",
  workflow: "buggy",
  status: "running",
  task_queue: "default",
  input: null,
  failure: null,
  started_at: "2026-11-22T09:00:00.000Z",
  closed_at: null,
  execution_timeout: 3600,
  history_length: 9,
  history_size_bytes: 1024,
  cancel_requested: false,
  pending_activities: [],
  schedule: null,
  run_number: 2,
  previous_run_id: "run-1",
  parent_execution_id: null,
  parent_run_id: null,
};

describe("client.executions.reset", () => {
  it("posts event_id, reason and the exclusions (snake_case, id encoded) and returns the new run, camelCase", async () => {
    const { seen, client } = scripted([json(200, wireExecution), json(200, wireExecution)]);
    const ex = await client.executions.reset("buggy/1", { eventId: 9, reason: "bug fixed in activity logic", excludeSignals: true, excludeUpdates: false });
    expect(ex).toMatchObject({ executionId: "buggy/1", runId: "run-2", status: "running", runNumber: 2, previousRunId: "run-1" });
    await client.executions.reset("buggy/1", { eventId: 4, reason: "again" });
    expect(seen).toEqual([
      { method: "POST", url: "http://platform.test/v1/workflows/executions/buggy%2F1/reset", body: { event_id: 9, reason: "bug fixed in activity logic", exclude_signals: true, exclude_updates: false } },
      { method: "POST", url: "http://platform.test/v1/workflows/executions/buggy%2F1/reset", body: { event_id: 4, reason: "again" } },
    ]);
  });

  it("a bad reset point is the platform's 422 invalid_reset_point; bad arguments throw before anything is sent", async () => {
    const problem = { type: "https://sundial.dev/problems/invalid_reset_point", title: "t", status: 422, code: "invalid_reset_point", detail: "event_id: event 1 is an execution_started", field: "event_id" };
    const { seen, client } = scripted([json(422, problem, "application/problem+json")]);
    const err = await client.executions.reset("x", { eventId: 1, reason: "r" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SundialApiError);
    expect(err).toMatchObject({ status: 422, code: "invalid_reset_point", field: "event_id" });
    await expect(client.executions.reset("x", { eventId: 0, reason: "r" })).rejects.toThrow(TypeError);
    await expect(client.executions.reset("x", { eventId: 2.5, reason: "r" })).rejects.toThrow(TypeError);
    await expect(client.executions.reset("x", { eventId: 3, reason: "" })).rejects.toThrow("a reason is required");
    expect(seen).toHaveLength(1);
  });
});
