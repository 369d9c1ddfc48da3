import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/core/limits.ts";
import { api, uid } from "./helpers.ts";

// Bounds on what one run holds besides its history (history-pages.test.ts): pending activities,
// and what describe shows of their failures, so describe always fits one answer.

async function started() {
  const id = uid("lim");
  const queue = uid("q");
  expect((await api("POST", "/v1/workflows/executions", { workflow: "w", input: null, execution_id: id, task_queue: queue })).status).toBe(201);
  const wt = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "workflow", identity: "t", wait_seconds: 1 });
  expect(wt.status).toBe(200);
  await received(wt.body.task_token);
  return { id, queue, token: wt.body.task_token as string };
}

/**
 * Acknowledges a polled workflow task, as the SDK does for one that takes a while: these tasks
 * carry thousands of commands, and on a slow machine the 5 s delivery timeout could otherwise hand
 * them out again before they complete (the workflow task timeout, 10 s, then applies).
 */
async function received(token: string): Promise<void> {
  expect((await api("POST", "/v1/workflows/tasks/ack", { task_token: token })).status).toBe(200);
}

const schedule = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ type: "schedule_activity", seq: from + i, activity_type: "a", input: null }));

describe("run limits", () => {
  it("a workflow task that would leave more than 2,000 activities pending is refused (422 limit_exceeded) and writes nothing; 2,000 are fine", async () => {
    const { id, token } = await started();
    const before = (await api("GET", `/v1/workflows/executions/${id}`)).body.history_length;
    const refused = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands: schedule(1, LIMITS.maxPendingActivities + 1) });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: "limit_exceeded", field: `commands.${LIMITS.maxPendingActivities}` });
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body).toMatchObject({ history_length: before, pending_activities: [] });
    const ok = await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands: schedule(1, LIMITS.maxPendingActivities) });
    expect(ok.status).toBe(200);
    expect((await api("GET", `/v1/workflows/executions/${id}`)).body.pending_activities).toHaveLength(LIMITS.maxPendingActivities);
  }, 120_000);

  it("history events: a workflow task that could pass 50,000 events fails the run (HistoryLimitExceeded), unless it closes the run", async () => {
    // Each task records 9,999 steps and a zero-length timer (the SDK's checkpoint), whose firing brings the next task.
    const steps = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ type: "record_step", seq: from + i, name: "s", result: 0 }));
    const describe = async (id: string) => (await api("GET", `/v1/workflows/executions/${id}`)).body;
    async function fill(close: boolean) {
      const run = await started();
      let token = run.token;
      for (let round = 0; round < 10; round++) {
        const near = (await describe(run.id)).history_length + 2 * 10_000 > LIMITS.maxHistoryEvents;
        const last = close && near ? { type: "continue_as_new", input: { from: round } } : { type: "start_timer", seq: round + 1, duration: 0 };
        expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands: [...steps(round * 9_999 + 1, 9_999), last] })).status).toBe(200);
        const d = await describe(run.id);
        if (d.status !== "running" || d.run_number > 1) return d;
        await runDurableObjectAlarm(env.EXECUTIONS.getByName(`default/${run.id}`));
        const next = await api("POST", "/v1/workflows/tasks/poll", { task_queue: run.queue, kind: "workflow", identity: "t", wait_seconds: 1 });
        expect(next.status).toBe(200);
        token = next.body.task_token;
        await received(token);
      }
      throw new Error("the run never reached the limit");
    }
    const failed = await fill(false);
    expect(failed).toMatchObject({ status: "failed", failure: { type: "HistoryLimitExceeded", message: `history limit of ${LIMITS.maxHistoryEvents} events reached; use continue-as-new`, non_retryable: true } });
    // The refused task's steps were not recorded: the history stays below the limit.
    expect(failed.history_length).toBeLessThanOrEqual(LIMITS.maxHistoryEvents);
    expect(failed.history_length).toBeGreaterThan(LIMITS.maxHistoryEvents - 2 * 10_010);

    // The same task asking for continue-as-new goes through: the new run starts with an empty history.
    const continued = await fill(true);
    expect(continued).toMatchObject({ status: "running", run_number: 2 });
    expect(continued.history_length).toBeLessThan(5);
  }, 120_000);

  it("describe shows pending activities' last failures whole up to 8 MiB in all, then cut to message, type and retry flag", async () => {
    const { id, queue, token } = await started();
    const n = 40; // 40 failures of ~250 KB: ~10 MB, past the budget
    expect((await api("POST", "/v1/workflows/tasks/workflow/complete", { task_token: token, commands: schedule(1, n) })).status).toBe(200);
    for (let i = 0; i < n; i++) {
      const at = await api("POST", "/v1/workflows/tasks/poll", { task_queue: queue, kind: "activity", identity: "t", wait_seconds: 1 });
      expect(at.status).toBe(200);
      const failure = { message: `attempt of ${at.body.seq} failed`, type: "Flaky", details: { log: "x".repeat(250_000) } };
      expect((await api("POST", "/v1/workflows/tasks/activity/fail", { task_token: at.body.task_token, failure })).status).toBe(200);
    }
    const described = await api("GET", `/v1/workflows/executions/${id}`);
    expect(described.status).toBe(200);
    const failures = (described.body.pending_activities as { seq: number; last_failure: { message: string; type: string; details: { log?: string; truncated?: boolean; bytes?: number } } }[]).map((a) => a.last_failure);
    expect(failures).toHaveLength(n);
    const whole = failures.filter((f) => f.details.log !== undefined);
    const cut = failures.filter((f) => f.details.truncated === true);
    expect(whole.length + cut.length).toBe(n);
    expect(whole.length).toBe(Math.floor(LIMITS.describeFailureBytes / JSON.stringify({ message: "attempt of 10 failed", type: "Flaky", non_retryable: false, details: { log: "x".repeat(250_000) } }).length));
    expect(cut[0]).toMatchObject({ type: "Flaky", non_retryable: false, details: { truncated: true } });
    expect(cut[0]!.message).toMatch(/^attempt of \d+ failed$/);
    expect(cut[0]!.details.bytes).toBeGreaterThan(250_000);
  }, 120_000);
});
