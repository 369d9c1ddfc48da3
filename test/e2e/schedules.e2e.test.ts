import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, Platform, WorkerProcess } from "./platform.ts";

let platform: Platform;
let worker: WorkerProcess;
const QUEUE = "scheduled";

beforeAll(async () => {
  platform = await Platform.start();
  worker = new WorkerProcess("test/e2e/fixtures/invoice-worker.ts", { SUNDIAL_URL: platform.url, SUNDIAL_TASK_QUEUE: QUEUE, FAIL_FIRST_HEALTH: "1" });
  await worker.waitFor("worker ready", 60_000);
});

afterAll(async () => {
  await worker?.kill("SIGKILL");
  await platform?.stop();
});

async function runsOf(scheduleId: string): Promise<{ execution_id: string; status: string }[]> {
  const r = await platform.api("GET", `/v1/workflows/executions?schedule_id=${encodeURIComponent(scheduleId)}&page_size=500`);
  return r.body.executions;
}

const nominalOf = (runId: string, scheduleId: string) => runId.slice(scheduleId.length + 1, scheduleId.length + 25);

describe("schedules end to end (wrangler dev + an SDK worker)", () => {
  it("Mistral: a report schedule with SKIP fires on its cron and passes input and the payload", async () => {
    const create = await platform.api("POST", "/v1/workflows/schedules", {
      workflow: "report_workflow",
      task_queue: QUEUE,
      input: { report_type: "daily" },
      cron_expressions: ["*/2 * * * * *"],
      policy: { catchup_window_seconds: 60, overlap: "SKIP" },
    });
    expect(create.status).toBe(201);
    const id = create.body.schedule_id;
    const done = await eventually(async () => {
      const runs = (await runsOf(id)).filter((r) => r.status === "completed");
      return runs.length >= 3 ? runs : null;
    }, 60_000, "three completed report runs");
    const first = (await platform.api("GET", `/v1/workflows/executions/${encodeURIComponent(done.at(-1)!.execution_id)}/result`)).body;
    expect(first.result.report).toBe("report daily");
    // The inline step ran once in the worker and is in history with its outcome.
    expect(first.result.header).toMatchObject({ title: "daily report", worker_pid: expect.any(Number) });
    const events = (await platform.api("GET", `/v1/workflows/executions/${encodeURIComponent(done.at(-1)!.execution_id)}/history`)).body.events;
    expect(events.filter((e: { type: string }) => e.type === "step_recorded")).toEqual([expect.objectContaining({ seq: 1, name: "header", result: first.result.header })]);
    expect(first.result.schedule).toMatchObject({ scheduleId: id, key: "global", timezone: "UTC" });
    const nominal = Date.parse(first.result.schedule.timestamp);
    expect(nominal % 2000).toBe(0);
    expect(Date.parse(first.result.schedule.upcoming) - nominal).toBe(2000);
    await platform.api("POST", `/v1/workflows/schedules/${encodeURIComponent(id)}/pause`, { note: "test done" });
  });

  it("Polos: per-user reminders in several zones, upserted by key", async () => {
    const zones = { user_ny: "America/New_York", user_ldn: "Europe/London", user_del: "Asia/Kolkata" } as const;
    const ids: string[] = [];
    for (const [key, timezone] of Object.entries(zones)) {
      const r = await platform.api("POST", "/v1/workflows/schedules", { workflow: "report_workflow", task_queue: QUEUE, key, timezone, cron: "*/3 * * * * *", input: { report_type: key } });
      expect(r.status).toBe(201);
      ids.push(r.body.schedule_id);
    }
    // Same workflow + key = an update of the same schedule, not a second one.
    const again = await platform.api("POST", "/v1/workflows/schedules", { workflow: "report_workflow", task_queue: QUEUE, key: "user_ny", timezone: "America/New_York", cron: "*/3 * * * * *", input: { report_type: "user_ny" } });
    expect(again.status).toBe(200);
    expect(again.body.schedule_id).toBe(ids[0]);
    for (const [i, [key, timezone]] of Object.entries(zones).entries()) {
      const run = await eventually(async () => (await runsOf(ids[i]!)).find((r) => r.status === "completed"), 60_000, `a run for ${key}`);
      const res = (await platform.api("GET", `/v1/workflows/executions/${encodeURIComponent(run.execution_id)}/result`)).body;
      expect(res.result.schedule).toMatchObject({ key, timezone });
      expect(res.result.report).toBe(`report ${key}`);
    }
    const listed = await platform.api("GET", "/v1/workflows/schedules?key=user_ldn");
    expect(listed.body.schedules.map((s: { schedule_id: string }) => s.schedule_id)).toEqual([ids[1]]);
    for (const id of ids) await platform.api("DELETE", `/v1/workflows/schedules/${encodeURIComponent(id)}`);
  });

  it("Pipelit: an interval health check whose failed run is retried for the same nominal time", async () => {
    const create = await platform.api("POST", "/v1/workflows/schedules", { workflow: "health-monitor", task_queue: QUEUE, interval_seconds: 3, repeat_count: 1, retry_max: 2, retry_delay_seconds: 1 });
    expect(create.status).toBe(201);
    const id = create.body.schedule_id;
    const described = await eventually(async () => {
      const d = (await platform.api("GET", `/v1/workflows/schedules/${encodeURIComponent(id)}`)).body;
      return d.status === "completed" ? d : null;
    }, 60_000, "the health check to complete");
    expect(described.counters).toMatchObject({ fired: 2, failed: 1 });
    const runs = await runsOf(id);
    const byId = Object.fromEntries(runs.map((r) => [r.execution_id, r.status]));
    const [failed] = runs.filter((r) => !r.execution_id.includes(":retry-"));
    expect(failed!.status).toBe("failed");
    expect(byId[`${failed!.execution_id}:retry-1`]).toBe("completed");
  });

  it("every fire inside the catch-up window runs exactly once across a SIGKILL of the platform", async () => {
    const create = await platform.api("POST", "/v1/workflows/schedules", {
      workflow: "report_workflow",
      task_queue: QUEUE,
      key: "restart",
      input: { report_type: "restart" },
      cron_expressions: ["* * * * * *"],
      policy: { catchup_window_seconds: 3600, overlap: "ALLOW_ALL" },
    });
    const id = create.body.schedule_id;
    const createdAt = Date.parse(create.body.created_at);
    await eventually(async () => (await runsOf(id)).length >= 2, 30_000, "the first fires");
    await platform.crash();
    await new Promise((r) => setTimeout(r, 4_000)); // fires come due while the platform is down
    await platform.boot();
    const downtimeCovered = Date.now();
    // A run that completed, not just one listed: the next fire's run is prepared (and listed) ahead of its time.
    await eventually(async () => (await runsOf(id)).some((r) => r.status === "completed" && Date.parse(nominalOf(r.execution_id, id)) >= downtimeCovered + 2_000), 60_000, "fires after the restart");
    await platform.api("POST", `/v1/workflows/schedules/${encodeURIComponent(id)}/pause`, {});
    const nominals = (await runsOf(id)).map((r) => Date.parse(nominalOf(r.execution_id, id))).sort((a, b) => a - b);
    expect(new Set(nominals).size).toBe(nominals.length); // none twice
    // None lost: every second from the first fire after creation to the last one started is there.
    const first = Math.floor(createdAt / 1000) * 1000 + 1000;
    expect(nominals[0]).toBe(first);
    for (let i = 1; i < nominals.length; i++) expect(nominals[i]! - nominals[i - 1]!).toBe(1000);
    expect(nominals.length).toBeGreaterThan(8);
  });
  it("prepared start: a one-shot 45 s ahead exists beforehand, is held until its time, then runs within a second", async () => {
    const at = Math.ceil((Date.now() + 45_000) / 1000) * 1000;
    const create = await platform.api("POST", "/v1/workflows/schedules", { workflow: "report_workflow", task_queue: QUEUE, key: "prepared", at: new Date(at).toISOString(), input: { report_type: "prepared" } });
    expect(create.status).toBe(201);
    const id = create.body.schedule_id;
    const runId = `${id}:${new Date(at).toISOString()}`;
    // Prepared 30-60 s ahead: well before the fire, the run exists, with the worker polling, yet nothing ran.
    await new Promise((r) => setTimeout(r, Math.max(0, at - 12_000 - Date.now())));
    const early = await platform.api("GET", `/v1/workflows/executions/${encodeURIComponent(runId)}`);
    expect(early.status, JSON.stringify(early.body)).toBe(200);
    expect(early.body).toMatchObject({ status: "running", started_at: new Date(at).toISOString() });
    const result = await platform.api("GET", `/v1/workflows/executions/${encodeURIComponent(runId)}/result?wait_seconds=30`);
    expect(result.body.status).toBe("completed");
    expect(result.body.result.schedule.timestamp).toBe(new Date(at).toISOString());
    const events = (await platform.api("GET", `/v1/workflows/executions/${encodeURIComponent(runId)}/history?page_size=100`)).body.events as { type: string; ts: string; visible_at?: string }[];
    expect(events.find((e) => e.type === "workflow_task_scheduled")?.visible_at).toBe(new Date(at).toISOString());
    const leased = Date.parse(events.find((e) => e.type === "workflow_task_started")!.ts);
    expect(leased).toBeGreaterThanOrEqual(at);
    expect(leased - at).toBeLessThan(1_000);
  }, 90_000);
});
