import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/core/limits.ts";
import { storeOf, stub } from "./hand-worker.ts";
import { api, uid } from "./helpers.ts";

// A run takes at most LIMITS.maxSignalsPerRun signals: past it a signal is a 422 limit_exceeded
// naming the field at fault in the request sent (the route's `name`, signal-with-start's
// `signal_name`), and nothing is written; a retry of a recorded signal still answers as one.

const events = async (id: string) => (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string }[];

/** A running `approval` execution whose run has received the limit of signals, the last under request id "last". */
async function fullRun() {
  const id = uid("siglimit");
  const queue = uid("q");
  expect((await api("POST", "/v1/workflows/executions", { workflow: "approval", execution_id: id, task_queue: queue })).status).toBe(201);
  await runInDurableObject(stub(id), (obj) => {
    const store = storeOf(obj);
    for (let i = 1; i < LIMITS.maxSignalsPerRun; i++) store.append("signal_received", Date.now(), { name: "approve", input: null, request_id: null });
  });
  expect((await api("POST", `/v1/workflows/executions/${id}/signals/approve`, { request_id: "last" })).body).toEqual({ recorded: true });
  return { id, queue, history: await events(id) };
}

describe("the signals-per-run limit", () => {
  it("a signal past it is a 422 limit_exceeded naming name, writes nothing, and a retry of a recorded one still answers", async () => {
    const { id, history } = await fullRun();
    const over = await api("POST", `/v1/workflows/executions/${id}/signals/approve`, { request_id: "over" });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ code: "limit_exceeded", field: "name" });
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/approve`, { request_id: "last" })).body).toEqual({ recorded: false });
    expect(await events(id)).toEqual(history);
    // Refused, not marked: sent again it is refused again rather than answered as recorded.
    expect((await api("POST", `/v1/workflows/executions/${id}/signals/approve`, { request_id: "over" })).status).toBe(422);
  });

  it("a signal-with-start past it is a 422 limit_exceeded naming signal_name, and writes nothing", async () => {
    const { id, queue, history } = await fullRun();
    const over = await api("POST", "/v1/workflows/executions/signal-with-start", { workflow: "approval", execution_id: id, task_queue: queue, signal_name: "approve", request_id: "over" });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ code: "limit_exceeded", field: "signal_name" });
    expect(await events(id)).toEqual(history);
  });
});

describe("the history size limit", () => {
  it("a signal-with-start to a run whose history reached it is a 422 limit_exceeded naming signal_input, and writes nothing", async () => {
    const id = uid("sigbytes");
    const queue = uid("q");
    expect((await api("POST", "/v1/workflows/executions", { workflow: "approval", execution_id: id, task_queue: queue })).status).toBe(201);
    const blob = "x".repeat(1_048_576);
    await runInDurableObject(stub(id), (obj) => {
      const store = storeOf(obj);
      while (store.historyBytes() < LIMITS.maxHistoryBytes) store.append("signal_received", Date.now(), { name: "approve", input: blob, request_id: null });
    });
    const length = (await api("GET", `/v1/workflows/executions/${id}`)).body.history_length;
    const over = await api("POST", "/v1/workflows/executions/signal-with-start", { workflow: "approval", execution_id: id, task_queue: queue, signal_name: "approve", signal_input: 1 });
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ code: "limit_exceeded", field: "signal_input" });
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.history_length).toBe(length);
  }, 60_000);
});
