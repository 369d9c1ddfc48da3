import { describe, expect, it } from "vitest";
import { complete, describeExec, poll } from "./hand-worker.ts";
import { api, uid } from "./helpers.ts";

// Signal-with-start (Temporal's SignalWithStart): a running execution is signalled; when none runs,
// one is started subject to id_reuse_policy, exactly as a plain start applies it, then signalled.
// A start the policy refuses is the plain start's error, and writes nothing.

const SWS = "/v1/workflows/executions/signal-with-start";
type Policy = "use_existing" | "reject_duplicate" | "allow_duplicate" | "allow_duplicate_failed_only";

/** An `approval` execution on its own queue, closed by its workflow (`completed`) or terminated. */
async function closed(how: "completed" | "terminated") {
  const queue = uid("q");
  const id = uid("sws");
  expect((await api("POST", "/v1/workflows/executions", { workflow: "approval", execution_id: id, task_queue: queue })).status).toBe(201);
  if (how === "terminated") {
    await api("POST", `/v1/workflows/executions/${id}/terminate`, { reason: "closed for the test" });
  } else {
    const wt = await poll(queue);
    await complete(wt.body.task_token, [{ type: "complete_workflow", result: "done" }]);
  }
  const before = await describeExec(id);
  expect(before.status).toBe(how);
  return { id, queue, before, events: await events(id) };
}

const events = async (id: string) => (await api("GET", `/v1/workflows/executions/${id}/history`)).body.events as { type: string }[];
const signalWithStart = (id: string, queue: string, policy: Policy | undefined, workflow = "approval") =>
  api("POST", SWS, { workflow, execution_id: id, task_queue: queue, ...(policy ? { id_reuse_policy: policy } : {}), signal_name: "approve", signal_input: { by: "ada" }, request_id: "r1" });

describe("signal-with-start applies id_reuse_policy when the execution is closed", () => {
  it.each<["completed" | "terminated", Policy, string]>([
    ["completed", "reject_duplicate", "approval"],
    ["terminated", "reject_duplicate", "approval"],
    ["completed", "allow_duplicate_failed_only", "approval"],
    ["terminated", "use_existing", "other_workflow"],
  ])("a %s execution and %s (workflow %s) refuse the start: the plain start's 409, no run started, no signal recorded", async (how, policy, workflow) => {
    const { id, queue, before, events: history } = await closed(how);
    const plain = await api("POST", "/v1/workflows/executions", { workflow, execution_id: id, task_queue: queue, id_reuse_policy: policy });
    const sws = await signalWithStart(id, queue, policy, workflow);
    expect(plain.status).toBe(409);
    expect(sws.status).toBe(plain.status);
    expect(sws.headers.get("content-type")).toContain("application/problem+json");
    expect({ code: sws.body.code, field: sws.body.field }).toEqual({ code: plain.body.code, field: plain.body.field });
    expect(sws.body.code).toBe("execution_exists");
    const after = await describeExec(id);
    expect({ run_id: after.run_id, status: after.status, history_length: after.history_length }).toEqual({ run_id: before.run_id, status: how, history_length: before.history_length });
    expect(await events(id)).toEqual(history);
  });

  it("use_existing keeps the closed execution, as a plain start does: the signal finds it closed (409 execution_closed) and nothing is written", async () => {
    const { id, queue, before, events: history } = await closed("completed");
    const plain = await api("POST", "/v1/workflows/executions", { workflow: "approval", execution_id: id, task_queue: queue, id_reuse_policy: "use_existing" });
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ run_id: before.run_id, started: false });
    const sws = await signalWithStart(id, queue, "use_existing");
    expect(sws.status).toBe(409);
    expect(sws.body.code).toBe("execution_closed");
    expect((await describeExec(id)).run_id).toBe(before.run_id);
    expect(await events(id)).toEqual(history);
  });

  it.each<["completed" | "terminated", string, Policy | undefined]>([
    ["completed", "allow_duplicate", "allow_duplicate"],
    ["terminated", "allow_duplicate_failed_only", "allow_duplicate_failed_only"],
    ["completed", "no policy (signal-with-start's default: allow_duplicate)", undefined],
  ])("a %s execution and %s start a new run that gets the signal", async (how, _label, policy) => {
    const { id, queue, before } = await closed(how);
    const sws = await signalWithStart(id, queue, policy);
    expect(sws.status).toBe(201);
    expect(sws.body).toMatchObject({ execution_id: id, status: "running", started: true });
    expect(sws.body.run_id).not.toBe(before.run_id);
    const history = await events(id);
    expect(history.map((e) => e.type).filter((t) => t === "execution_started" || t === "signal_received")).toEqual(["execution_started", "signal_received"]);
    expect(history.find((e) => e.type === "signal_received")).toMatchObject({ name: "approve", input: { by: "ada" }, request_id: "r1" });
    const wt = await poll(queue);
    expect(wt.body).toMatchObject({ execution_id: id, run_id: sws.body.run_id });
  });

  it("a retry whose request_id the closed run recorded starts no second run: the signal was delivered (200, started false)", async () => {
    // The first call started the run and recorded the signal, but its answer was lost; the run
    // handled the signal and closed before the client sent the call again.
    const queue = uid("q");
    const id = uid("sws");
    const first = await signalWithStart(id, queue, undefined);
    expect(first.status).toBe(201);
    await complete((await poll(queue)).body.task_token, [{ type: "complete_workflow", result: "approved" }]);
    const history = await events(id);
    const retry = await signalWithStart(id, queue, undefined);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ run_id: first.body.run_id, status: "completed", started: false });
    expect(await events(id)).toEqual(history);
    // A new request_id is a new signal: the closed run is started again, as the policy allows.
    const next = await api("POST", SWS, { workflow: "approval", execution_id: id, task_queue: queue, signal_name: "approve", request_id: "r2" });
    expect(next.status).toBe(201);
    expect(next.body.run_id).not.toBe(first.body.run_id);
  });

  it("a retry whose request_id an earlier run recorded is not delivered to the run another call started since", async () => {
    const queue = uid("q");
    const id = uid("sws");
    const first = await signalWithStart(id, queue, undefined); // r1: its answer lost
    await complete((await poll(queue)).body.task_token, [{ type: "complete_workflow", result: "approved" }]);
    const second = await api("POST", SWS, { workflow: "approval", execution_id: id, task_queue: queue, signal_name: "approve", request_id: "r2" });
    expect(second.status).toBe(201);
    expect(second.body.run_id).not.toBe(first.body.run_id);
    const retry = await signalWithStart(id, queue, undefined);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ run_id: second.body.run_id, started: false });
    const signals = (await events(id)).filter((e) => e.type === "signal_received") as { request_id?: string }[];
    expect(signals.map((e) => e.request_id)).toEqual(["r2"]);
    // A plain signal sent again with r1 is not recorded either.
    const plain = await api("POST", `/v1/workflows/executions/${id}/signals/approve`, { request_id: "r1" });
    expect(plain.body).toEqual({ recorded: false });
  });

  it("a call naming another workflow is no retry: the run it starts gets its signal, even under a request_id the closed run recorded", async () => {
    // An earlier run of another workflow recorded r1 (signalled, then closed).
    const other = uid("sws");
    const otherQueue = uid("q");
    expect((await signalWithStart(other, otherQueue, undefined, "other_workflow")).status).toBe(201);
    await api("POST", `/v1/workflows/executions/${other}/terminate`, { reason: "closed for the test" });
    const sws = await signalWithStart(other, otherQueue, undefined, "approval");
    expect(sws.status).toBe(201);
    expect(sws.body).toMatchObject({ workflow: "approval", status: "running", started: true });
    const signals = (await events(other)).filter((e) => e.type === "signal_received") as { request_id?: string; input?: unknown }[];
    expect(signals).toEqual([expect.objectContaining({ request_id: "r1", input: { by: "ada" } })]);
    // Sent again, it is the retry of this call: not recorded twice, no new run.
    const retry = await signalWithStart(other, otherQueue, undefined, "approval");
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ run_id: sws.body.run_id, started: false });
    expect((await events(other)).filter((e) => e.type === "signal_received")).toHaveLength(1);
  });

  it("a running execution is signalled whatever the policy: no new run", async () => {
    const queue = uid("q");
    const id = uid("sws");
    const first = await api("POST", "/v1/workflows/executions", { workflow: "approval", execution_id: id, task_queue: queue });
    for (const policy of ["reject_duplicate", "allow_duplicate"] as const) {
      const sws = await api("POST", SWS, { workflow: "approval", execution_id: id, task_queue: queue, id_reuse_policy: policy, signal_name: "approve", signal_input: policy });
      expect(sws.status).toBe(200);
      expect(sws.body).toMatchObject({ run_id: first.body.run_id, status: "running", started: false });
    }
    const history = await events(id);
    expect(history.filter((e) => e.type === "signal_received").map((e) => (e as { input?: unknown }).input)).toEqual(["reject_duplicate", "allow_duplicate"]);
    expect(history.filter((e) => e.type === "execution_started")).toHaveLength(1);
  });
});
