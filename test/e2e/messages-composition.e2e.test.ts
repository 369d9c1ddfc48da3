import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SundialApiError, SundialClient, WORKFLOW_METADATA_QUERY, type HistoryEventInfo } from "@sundial/sdk/client";
import { DEV_KEY, eventually, Platform, tempDir, WorkerProcess } from "./platform.ts";

let platform: Platform;
let client: SundialClient;
let worker: WorkerProcess;
const workers: WorkerProcess[] = [];
const logFile = join(tempDir("e2e-log"), "activities.jsonl");
const QUEUE = "messages";

function startWorker(queue: string, env: Record<string, string> = {}): WorkerProcess {
  const w = new WorkerProcess("test/e2e/fixtures/messages-worker.ts", { SUNDIAL_URL: platform.url, SUNDIAL_TASK_QUEUE: queue, ACTIVITY_LOG: logFile, ...env });
  workers.push(w);
  return w;
}

function activityLog(execution: string): { activity: string; pid: number; buggy: boolean; who?: string }[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.execution === execution);
}

async function history(id: string): Promise<HistoryEventInfo[]> {
  return (await client.executions.history(id, { pageSize: 500 })).events;
}

const types = (events: HistoryEventInfo[]) => events.map((e) => e.type);

beforeAll(async () => {
  platform = await Platform.start();
  client = new SundialClient({ url: platform.url, apiKey: DEV_KEY });
  worker = startWorker(QUEUE);
  await worker.waitFor("worker ready");
});

afterAll(async () => {
  for (const w of workers) await w.kill("SIGKILL");
  await platform?.stop();
});

describe("workflow messages end to end (wrangler dev + an SDK worker process)", () => {
  it("runs the seed's invoice approval flow: get_status while it waits, update_config (validated), approve, completes", async () => {
    const id = "invoice-approval-42";
    const started = await client.executions.start("invoice_approval", { executionId: id, taskQueue: QUEUE, input: { invoice_id: "42", pdf_url: "s3://invoices/42.pdf" } });
    expect(started.started).toBe(true);
    // The query answers from replayed state while the workflow waits for the signal.
    const waiting = await eventually(async () => {
      const s = await client.executions.query<{ status: string }>(id, "get_status");
      return s.status === "awaiting_approval" ? s : null;
    }, 60_000, "the invoice to wait for approval");
    expect(waiting).toEqual({ status: "awaiting_approval", total_cents: 250_000, approved_by: null, config: { accounting_code: "GEN-6000", approval_threshold_cents: 100_000 } });
    // The seed's handler descriptions, through the built-in metadata query.
    expect(await client.executions.query(id, WORKFLOW_METADATA_QUERY)).toEqual({
      definition: {
        type: "invoice_approval",
        signal_definitions: [{ name: "approve", description: "Approval signal" }],
        query_definitions: [{ name: "get_status", description: "Get current status" }],
        update_definitions: [{ name: "update_config", description: "Update workflow configuration" }],
      },
    });

    // An update changes the setting and returns the new config.
    const updated = await client.executions.update(id, "update_config", { accounting_code: "IT-6100" }, { updateId: "cfg-1", wait: "60s" });
    expect(updated).toEqual({ success: true, config: { accounting_code: "IT-6100", approval_threshold_cents: 100_000 } });
    // The same update id again returns the recorded result; it does not run twice.
    expect(await client.executions.update(id, "update_config", { accounting_code: "IT-6100" }, { updateId: "cfg-1", wait: "10s" })).toEqual(updated);
    // The validator rejects a bad one: 422 update_rejected, nothing written.
    const rejected = await client.executions.update(id, "update_config", { accounting_code: "bogus" }, { updateId: "cfg-bad", wait: "60s" }).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(SundialApiError);
    expect(rejected).toMatchObject({ status: 422, code: "update_rejected" });
    expect((rejected as SundialApiError).detail).toContain('unknown accounting code "bogus"');
    expect(await client.executions.query(id, "get_status")).toMatchObject({ status: "awaiting_approval", config: { accounting_code: "IT-6100" } });

    // The approval (sent twice with one request id: recorded once) lets it finish.
    await client.executions.signal(id, "approve", { approver: "ada" }, { requestId: "approve-42" });
    await client.executions.signal(id, "approve", { approver: "ada" }, { requestId: "approve-42" });
    const outcome = await client.executions.result(id, { timeout: "60s" });
    expect(outcome).toMatchObject({ status: "completed", result: { invoice_id: "42", entry: "IT-6100/ACME/250000/ada", approved_by: "ada", accounting_code: "IT-6100" } });
    expect(activityLog(id).map((l) => l.activity)).toEqual(["fetch_invoice_pdf", "extract_fields", "post_to_accounting_system"]);

    const events = await history(id);
    expect(types(events).filter((t) => t === "signal_received")).toHaveLength(1);
    expect(events.filter((e) => e.type === "update_accepted").map((e) => (e as { updateId: string }).updateId)).toEqual(["cfg-1"]);
    expect(events.filter((e) => e.type === "update_completed")).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain("cfg-bad");
    // The 2-day approval timer was cancelled once the condition held.
    expect(types(events)).toContain("timer_cancelled");
    // Queries also work on the closed run.
    expect(await client.executions.query(id, "get_status")).toMatchObject({ status: "posted", approved_by: "ada" });
    // A closed run takes no more signals or updates.
    const late = await platform.api("POST", `/v1/workflows/executions/${id}/signals/approve`, { input: { approver: "bob" } });
    expect(late.status).toBe(409);
  });
});

describe("child workflows end to end", () => {
  it("applies each parent close policy: ABANDON keeps running, REQUEST_CANCEL cleans up and ends cancelled, TERMINATE is terminated", async () => {
    const parent = "policy-parent-1";
    await client.executions.start("policy_parent", { executionId: parent, taskQueue: QUEUE });
    const outcome = await client.executions.result<Record<string, { executionId: string; runId: string }>>(parent, { timeout: "60s" });
    expect(outcome.status).toBe("completed");
    const ids = outcome.result!;
    expect(Object.fromEntries(Object.entries(ids).map(([p, v]) => [p, v.executionId]))).toEqual({
      ABANDON: `${parent}:child-1`,
      REQUEST_CANCEL: `${parent}:child-2`,
      TERMINATE: `${parent}:child-3`,
    });
    const [abandoned, cancelled, terminated] = [ids.ABANDON!, ids.REQUEST_CANCEL!, ids.TERMINATE!].map((c) => c.executionId) as [string, string, string];

    expect(await client.executions.result(terminated, { timeout: "30s" })).toMatchObject({ status: "terminated", failure: { message: "terminated: parent closed (parent close policy TERMINATE)" } });
    expect(await client.executions.result(cancelled, { timeout: "30s" })).toMatchObject({ status: "cancelled" });
    const cancelledEvents = await history(cancelled);
    expect(types(cancelledEvents)).toEqual(expect.arrayContaining(["execution_cancel_requested", "activity_scheduled", "activity_completed", "execution_cancelled"]));
    expect(cancelledEvents.find((e) => e.type === "execution_cancel_requested")).toMatchObject({ reason: "parent closed (parent close policy REQUEST_CANCEL)" });
    expect(activityLog(cancelled).map((l) => [l.activity, l.who])).toEqual([["cleanup", "REQUEST_CANCEL"]]);
    expect(types(await history(terminated))).not.toContain("activity_scheduled"); // no say, no cleanup

    // The abandoned child outlives its parent, knows it, and still finishes normally.
    const kid = await client.executions.get(abandoned);
    expect(kid).toMatchObject({ status: "running", parentExecutionId: parent, runId: ids.ABANDON!.runId });
    expect(await client.executions.query(abandoned, "parent")).toEqual({ label: "ABANDON" });
    await client.executions.signal(abandoned, "release");
    expect(await client.executions.result(abandoned, { timeout: "30s" })).toMatchObject({ status: "completed", result: { label: "ABANDON", released: true } });
  });

  it("a parent awaits a child's result, sees a failing child as ChildWorkflowFailure, and collects a fire-and-forget child", async () => {
    const parent = "order-with-children-1";
    // execute: the start's answer is held until the run (children and all) has closed.
    const outcome = await client.executions.execute("order_with_children", { executionId: parent, taskQueue: QUEUE, input: { order_id: "o-1", cents: 21 }, timeout: "60s" });
    expect(outcome).toMatchObject({
      status: "completed",
      result: { charged: 42, refund: "failed: cannot double 21", audit: { execution_id: `${parent}:child-1`, started: true, trail: "audited o-1" } },
    });
    expect(await client.executions.get(`${parent}:child-2`)).toMatchObject({ status: "completed", result: 42, parentExecutionId: parent, executionTimeout: 600 });
    expect(await client.executions.get(`${parent}-failing-kid`)).toMatchObject({ status: "failed", parentExecutionId: parent });
    expect(await client.executions.get(`${parent}:child-1`)).toMatchObject({ status: "completed", result: "audited o-1", parentExecutionId: parent });
    const events = await history(parent);
    if (process.env.GOLDEN_DUMP) writeFileSync(process.env.GOLDEN_DUMP, JSON.stringify(await platform.api("GET", `/v1/workflows/executions/${parent}/history?page_size=500`)));
    const childEvents = (seq: number) => events.filter((e) => e.type.startsWith("child_workflow_") && (e as { seq: number }).seq === seq).map((e) => e.type);
    // The awaited children run one after the other; the audit child runs alongside them.
    expect(events.filter((e) => e.type.startsWith("child_workflow_") && (e as { seq: number }).seq > 1).map((e) => `${e.type}:${(e as { seq: number }).seq}`)).toEqual([
      "child_workflow_initiated:2",
      "child_workflow_started:2",
      "child_workflow_completed:2",
      "child_workflow_initiated:3",
      "child_workflow_started:3",
      "child_workflow_failed:3",
    ]);
    expect(childEvents(1)).toEqual(["child_workflow_initiated", "child_workflow_started", "child_workflow_completed"]);
    expect(events.find((e) => e.type === "child_workflow_initiated")).toMatchObject({ seq: 1, workflow: "audit_trail", parentClosePolicy: "ABANDON" });
    expect(events.find((e) => e.type === "child_workflow_failed")).toMatchObject({ seq: 3, status: "failed", failure: { type: "DoubleTrouble", message: "cannot double 21" } });
  });
});

describe("continue-as-new end to end", () => {
  it("a counter continues as new 10 times, then completes with count 10 in run 11", async () => {
    const id = "counter-10";
    const first = await client.executions.start("counter", { executionId: id, taskQueue: QUEUE, input: { count: 0, until: 10 } });
    const outcome = await client.executions.result<{ count: number; run_id: string }>(id, { timeout: "90s" });
    expect(outcome).toMatchObject({ status: "completed", result: { count: 10 } });
    const described = await client.executions.get(id);
    expect(described).toMatchObject({ status: "completed", runNumber: 11, runId: outcome.result!.run_id, input: { count: 10, until: 10 } });
    expect(described.previousRunId).toEqual(expect.any(String));
    expect(described.runId).not.toBe(first.runId);
    // The last run's history is its own: fresh, linked to the run before it.
    const events = await history(id);
    expect(events[0]).toMatchObject({ id: 1, type: "execution_started", input: { count: 10, until: 10 }, continuedFromRunId: described.previousRunId });
    expect(types(events)).not.toContain("activity_scheduled");
  });
});

describe("reset end to end", () => {
  it("a run that failed on a bug completes after the fix is deployed and it is reset to the failing task", async () => {
    const queue = "tally";
    const id = "tally-1";
    // Short polls: once this process is gone, its last held polls expire within a second instead
    // of taking the reset's tasks into the void (wrangler dev does not see the disconnect).
    const buggy = startWorker(queue, { BUGGY: "1", POLL_WAIT_SECONDS: "1" });
    await buggy.waitFor("worker ready");
    await client.executions.start("tally", { executionId: id, taskQueue: queue, input: { lines: [100, 20, 3] } });
    const failed = await client.executions.result(id, { timeout: "60s" });
    expect(failed).toMatchObject({ status: "failed", failure: { type: "TallyBug", message: "bug: total 123 read as a string" } });

    // Deploy the fix: the worker restarts without the bug.
    await buggy.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1_500));
    const fixed = startWorker(queue);
    await fixed.waitFor("worker ready");

    const before = await history(id);
    const failedAt = before.findIndex((e) => e.type === "execution_failed");
    const failingTask = before.slice(0, failedAt).findLast((e) => e.type === "workflow_task_completed")!;
    // Only a workflow_task_completed event is a reset point.
    const bad = await platform.api("POST", `/v1/workflows/executions/${id}/reset`, { event_id: 1, reason: "x" });
    expect(bad).toMatchObject({ status: 422, body: { code: "invalid_reset_point", field: "event_id" } });

    const reset = await client.executions.reset(id, { eventId: failingTask.id, reason: "fixed: total is a number" });
    expect(reset).toMatchObject({ status: "running", runNumber: 2 });
    const outcome = await client.executions.result(id, { timeout: "60s" });
    expect(outcome).toMatchObject({ status: "completed", result: { total: 123, posted: "posted 123" } });

    const after = await history(id);
    expect(types(after)).not.toContain("execution_failed");
    expect(after.find((e) => e.type === "workflow_task_failed")).toMatchObject({ failure: { message: "reset: fixed: total is a number", type: "ResetWorkflow" } });
    // The activity before the reset point kept its recorded result: it ran once, on the buggy build.
    const ran = activityLog(id);
    expect(ran.map((l) => [l.activity, l.buggy])).toEqual([
      ["compute_total", true],
      ["post_total", false],
    ]);
    expect(ran[1]!.pid).toBe(fixed.pid);
    await fixed.kill("SIGTERM");
  });
});
