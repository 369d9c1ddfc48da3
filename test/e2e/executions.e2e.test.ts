import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, Platform, tempDir, WorkerProcess } from "./platform.ts";

let platform: Platform;
const workers: WorkerProcess[] = [];
const logFile = join(tempDir("e2e-log"), "activities.jsonl");

function startWorker(queue: string, env: Record<string, string> = {}): WorkerProcess {
  const w = new WorkerProcess("test/e2e/fixtures/invoice-worker.ts", { SUNDIAL_URL: platform.url, SUNDIAL_TASK_QUEUE: queue, ACTIVITY_LOG: logFile, ...env });
  workers.push(w);
  return w;
}

function activityLog(execution: string): { activity: string; attempt: number; pid: number; phase?: string }[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.execution === execution);
}

async function result(id: string, withinMs = 120_000) {
  return eventually(async () => {
    const r = await platform.api("GET", `/v1/workflows/executions/${encodeURIComponent(id)}/result?wait_seconds=10`);
    return r.status === 200 ? r.body : null;
  }, withinMs, `result of ${id}`);
}

async function historyTypes(id: string): Promise<{ type: string; seq?: number }[]> {
  return (await platform.api("GET", `/v1/workflows/executions/${encodeURIComponent(id)}/history?page_size=500`)).body.events;
}

beforeAll(async () => {
  platform = await Platform.start();
});

afterAll(async () => {
  for (const w of workers) await w.kill("SIGKILL");
  await platform?.stop();
});

describe("durable executions end to end (wrangler dev + SDK worker processes)", () => {
  it("runs the invoice flow (fetch → extract → branch → post) on both branches", async () => {
    const w = startWorker("invoices");
    await w.waitFor("worker ready");
    const small = await platform.api("POST", "/v1/workflows/executions", { workflow: "invoice", execution_id: "inv-small", task_queue: "invoices", input: { url: "s3://a.pdf", total: 120 } });
    const big = await platform.api("POST", "/v1/workflows/executions", { workflow: "invoice", execution_id: "inv-big", task_queue: "invoices", input: { url: "s3://b.pdf", total: 5000 } });
    expect([small.status, big.status]).toEqual([201, 201]);
    expect(await result("inv-small")).toMatchObject({ status: "completed", result: { status: "posted", branch: "auto", entry: "ACME:120" } });
    expect(await result("inv-big")).toMatchObject({ status: "completed", result: { status: "posted", branch: "approval" } });
    expect(activityLog("inv-big").map((l) => l.activity)).toEqual(["fetch_invoice_pdf", "extract_fields", "extract_fields", "request_approval", "post_to_accounting_system"]);
    // The registered input schema is enforced at the edge.
    const bad = await platform.api("POST", "/v1/workflows/executions", { workflow: "invoice", task_queue: "invoices", input: { url: 1, total: 5 } });
    expect(bad.status, JSON.stringify(bad.body)).toBe(422);
    expect(bad.body.field, JSON.stringify(bad.body)).toBe("input.url");
    await w.kill("SIGTERM");
  });

  it("shares one task queue between worker programs running different code: every task goes to a worker that runs it", async () => {
    const split = (role: string) => {
      const w = new WorkerProcess("test/e2e/fixtures/split-worker.ts", { SUNDIAL_URL: platform.url, SUNDIAL_TASK_QUEUE: "shared", ROLE: role });
      workers.push(w);
      return w;
    };
    // The unrelated program polls first: before tasks were routed by type it took the others' tasks and failed them.
    const other = split("other");
    await other.waitFor("worker ready");
    const [flows, acts] = [split("workflows"), split("activities")];
    await Promise.all([flows.waitFor("worker ready"), acts.waitFor("worker ready")]);
    const ids = [1, 2, 3, 4, 5, 6].map((n) => `split-${n}`);
    for (const [i, id] of ids.entries()) {
      expect((await platform.api("POST", "/v1/workflows/executions", { workflow: "split_report", execution_id: id, task_queue: "shared", input: { n: i + 1 } })).status).toBe(201);
    }
    expect((await platform.api("POST", "/v1/workflows/executions", { workflow: "unrelated_flow", execution_id: "split-unrelated", task_queue: "shared" })).status).toBe(201);
    for (const [i, id] of ids.entries()) expect(await result(id)).toMatchObject({ status: "completed", result: `report ${i + 1}` });
    expect(await result("split-unrelated")).toMatchObject({ status: "completed", result: "unrelated" });
    for (const id of ids) {
      const events = (await historyTypes(id)) as { type: string; identity?: string }[];
      expect(events.filter((e) => e.type === "workflow_task_failed" || e.type === "activity_failed" || e.type === "activity_timed_out")).toEqual([]);
      expect(events.filter((e) => e.type === "workflow_task_started").every((e) => e.identity?.startsWith("workflows-"))).toBe(true);
      expect(events.filter((e) => e.type === "activity_started").map((e) => e.identity?.split("-")[0])).toEqual(["activities"]);
    }
    await Promise.all([other, flows, acts].map((w) => w.kill("SIGTERM")));
  });

  it("finishes a run on another worker after the first is SIGKILLed mid-activity, recording the result once", async () => {
    const a = startWorker("crashy", { SLOW_EXTRACT_MS: "4000" });
    await a.waitFor("worker ready");
    await platform.api("POST", "/v1/workflows/executions", { workflow: "invoice", execution_id: "inv-crash", task_queue: "crashy", input: { url: "s3://c.pdf", total: 50 } });
    await eventually(async () => activityLog("inv-crash").some((l) => l.activity === "extract_fields" && l.phase === "start"), 60_000, "extract_fields to start");
    await a.kill("SIGKILL");
    const b = startWorker("crashy", { SLOW_EXTRACT_MS: "500" });
    await b.waitFor("worker ready");
    expect(await result("inv-crash")).toMatchObject({ status: "completed", result: { status: "posted" } });
    const extracts = activityLog("inv-crash").filter((l) => l.activity === "extract_fields");
    expect(extracts[0]).toMatchObject({ attempt: 1, pid: a.pid, phase: "start" });
    // The killed worker never finished; the other one did. Whether that counts as attempt 1 again
    // (A died before confirming receipt: treated as never delivered) or attempt 2 (A had confirmed,
    // then stopped heartbeating) depends on when the kill landed.
    expect(extracts.some((l) => l.pid === a.pid && l.phase === "done")).toBe(false);
    expect(extracts.at(-1)).toMatchObject({ pid: b.pid, phase: "done" });
    expect(extracts.at(-1)!.attempt).toBeLessThanOrEqual(2);
    const events = await historyTypes("inv-crash");
    const completed = events.filter((e) => e.type === "activity_completed");
    expect(completed.map((e) => e.seq)).toEqual([1, 2, 3]); // one completion per activity, none twice
    await b.kill("SIGTERM");
  });

  it("250 steps in one loop are recorded through checkpoints (zero-length timers), each run once; oversized steps fail once, an oversized task terminates once, neither loops", async () => {
    const w = startWorker("steps");
    await w.waitFor("worker ready");
    await platform.api("POST", "/v1/workflows/executions", { workflow: "many_steps", execution_id: "steps-250", task_queue: "steps", input: { n: 250 } });
    await platform.api("POST", "/v1/workflows/executions", { workflow: "oversized_steps", execution_id: "steps-big", task_queue: "steps", input: null });
    await platform.api("POST", "/v1/workflows/executions", { workflow: "oversized_task", execution_id: "task-big", task_queue: "steps", input: null });
    expect(await result("steps-250")).toMatchObject({ status: "completed", result: (250 * 251) / 2 });
    const ran = (activityLog("steps-250") as unknown as { k: number }[]).map((l) => l.k);
    expect(ran).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    const events = await historyTypes("steps-250");
    expect(events.filter((e) => e.type === "step_recorded")).toHaveLength(250);
    expect(events.filter((e) => e.type === "timer_started").map((e) => (e as { duration?: number }).duration)).toEqual([0, 0]);

    // Three values fit the task's 768 KiB of step values; the fourth is recorded as too large, and the run fails on it.
    expect(await result("steps-big")).toMatchObject({ status: "failed", failure: { type: "StepResultTooLarge" } });
    expect(activityLog("steps-big")).toHaveLength(5);
    expect((await historyTypes("steps-big")).filter((e) => e.type === "step_recorded")).toHaveLength(5);

    // Five 250 KB activity inputs: each is allowed, together they pass the 1 MiB a completion may have.
    const big = await result("task-big");
    expect(big).toMatchObject({ status: "terminated", failure: { type: "Terminated" } });
    expect(big.failure.message).toContain("PayloadTooLarge");
    expect((await historyTypes("task-big")).map((e) => e.type).slice(-2)).toEqual(["workflow_task_failed", "execution_terminated"]);
    // The history still replays (a query on the closed run answers; nothing claims a command the code never sent).
    const q = await platform.api("POST", "/v1/workflows/executions/task-big/queries/sundial.workflow_metadata", {});
    expect(q.status, JSON.stringify(q.body)).toBe(200);
    await w.kill("SIGTERM");
  });

  it("runs a workflow whose history outgrows one task (1 MiB) and one RPC (32 MiB); a query replays all of it, read in pages", async () => {
    const w = startWorker("large");
    await w.waitFor("worker ready");
    await platform.api("POST", "/v1/workflows/executions", { workflow: "large_history", execution_id: "history-35mb", task_queue: "large", input: { n: 140 } });
    expect(await result("history-35mb", 180_000)).toMatchObject({ status: "completed", result: 140 * 250_000 });
    // The worker kept the run cached: each task's newest events reached back to it, so it read no earlier history.
    expect(activityLog("history-reads")).toEqual([]);
    // Every page is bounded by size: reading the whole history takes several pages.
    const ids: number[] = [];
    let pages = 0;
    for (let token: string | null = "0"; token !== null; pages++) {
      const page = await platform.api("GET", `/v1/workflows/executions/history-35mb/history?page_size=500&page_token=${token}`);
      expect(page.status).toBe(200);
      ids.push(...page.body.events.map((e: { id: number }) => e.id));
      token = page.body.next_page_token;
    }
    expect(pages).toBeGreaterThanOrEqual(9);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    // A query replays from event 1: the worker reads everything before the task's newest events.
    const q = await platform.api("POST", "/v1/workflows/executions/history-35mb/queries/sundial.workflow_metadata", {});
    expect(q.status, JSON.stringify(q.body).slice(0, 500)).toBe(200);
    const reads = activityLog("history-reads") as unknown as { after: number; before: number }[];
    expect(reads.length).toBeGreaterThanOrEqual(8); // ~34 MB in pages of at most 4 MiB
    expect(reads[0]!.after).toBe(0);
    await w.kill("SIGTERM");
  }, 240_000);

  it("keeps every acknowledged write when the platform is SIGKILLed the moment the last 2xx arrives", async () => {
    // DESIGN: no handler acknowledges before its state is written. The test is the worker here (the
    // raw task endpoints), so the kill follows the activity's acknowledgement with nothing between.
    const q = "acked";
    const started = await platform.api("POST", "/v1/workflows/executions", { workflow: "acked_raw", execution_id: "acked-1", task_queue: q, input: null });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const poll = (kind: "workflow" | "activity") => platform.api("POST", "/v1/workflows/tasks/poll", { task_queue: q, kind, identity: "e2e-hand", wait_seconds: 10 });
    const wt = await poll("workflow");
    expect(wt.status).toBe(200);
    const scheduled = await platform.api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: wt.body.task_token, commands: [{ type: "schedule_activity", seq: 1, activity_type: "charge", input: null }] });
    expect(scheduled.status, JSON.stringify(scheduled.body)).toBe(200);
    const at = await poll("activity");
    expect(at.status).toBe(200);
    const schedule = await platform.api("POST", "/v1/workflows/schedules", { workflow: "acked_raw", key: "acked", cron: "0 0 1 1 *", paused: true });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
    const done = await platform.api("POST", "/v1/workflows/tasks/activity/complete", { task_token: at.body.task_token, result: { charged: 42 } });
    expect(done.body).toEqual({ status: "accepted" });
    await platform.crash();
    await platform.boot();

    const sched = await platform.api("GET", `/v1/workflows/schedules/${encodeURIComponent(schedule.body.schedule_id)}`);
    expect(sched.status).toBe(200);
    expect(sched.body).toMatchObject({ version: schedule.body.version, status: "paused" });
    const events = (await platform.api("GET", "/v1/workflows/executions/acked-1/history?page_size=500")).body.events as { type: string; result?: unknown }[];
    expect(events.filter((e) => e.type === "activity_completed")).toEqual([expect.objectContaining({ result: { charged: 42 } })]);
    // The run goes on from there: its next workflow task carries the recorded result.
    const next = await poll("workflow");
    expect(next.status).toBe(200);
    const closed = await platform.api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: next.body.task_token, commands: [{ type: "complete_workflow", result: "ok" }] });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(await result("acked-1")).toMatchObject({ status: "completed", result: "ok" });
  });

  it("completes a run whose platform was killed and restarted on the same state mid-run", async () => {
    const w = startWorker("restarts");
    await w.waitFor("worker ready");
    await platform.api("POST", "/v1/workflows/executions", { workflow: "invoice", execution_id: "inv-restart", task_queue: "restarts", input: { url: "s3://d.pdf", total: 10, pause_seconds: 4 } });
    await eventually(async () => (await historyTypes("inv-restart")).some((e) => e.type === "timer_started"), 60_000, "the durable sleep to start");
    await platform.restart();
    expect(await result("inv-restart")).toMatchObject({ status: "completed", result: { status: "posted" } });
    const events = await historyTypes("inv-restart");
    expect(events.filter((e) => e.type === "timer_fired")).toHaveLength(1);
    expect(events.filter((e) => e.type === "activity_completed")).toHaveLength(3);
    await w.kill("SIGTERM");
  });
});
