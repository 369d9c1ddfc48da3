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
  return { id, queue, token: wt.body.task_token as string };
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
