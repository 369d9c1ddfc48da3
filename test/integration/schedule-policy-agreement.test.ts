import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";

/**
 * Policy fields may sit at top level (Pipelit's shape) or under `policy` (Mistral's), and
 * `pause_on_failure` is Temporal's name for `on_failure: "pause"`. A body that gives one field two
 * different values is refused with a 422 naming it, and writes nothing: before, one of the two
 * values was silently dropped (top level won), so `{"overlap": "SKIP", "policy": {"overlap":
 * "ALLOW_ALL"}}` made a SKIP schedule without a word.
 */
describe("a policy field given twice must agree", () => {
  const base = (key: string) => ({ workflow: "policy-agree", key, cron: "0 0 * * *" });

  it.each([
    ["overlap top vs policy", { overlap: "SKIP", policy: { overlap: "ALLOW_ALL" } }, "policy.overlap"],
    ["catch-up window top vs policy", { catchup_window_seconds: 600, policy: { catchup_window_seconds: "1h" } }, "policy.catchup_window_seconds"],
    ["retry_max top vs policy", { retry_max: 3, policy: { retry_max: 1 } }, "policy.retry_max"],
    ["on_failure top vs policy", { on_failure: "dead", policy: { on_failure: "continue" } }, "policy.on_failure"],
    ["pause_on_failure true vs on_failure dead", { pause_on_failure: true, on_failure: "dead" }, "pause_on_failure"],
    ["pause_on_failure false vs policy.on_failure pause", { pause_on_failure: false, policy: { on_failure: "pause" } }, "policy.on_failure"],
  ])("create: %s is a 422 naming the field, nothing written", async (_name, extra, field) => {
    const key = uid("agree");
    const res = await api("POST", "/v1/workflows/schedules", { ...base(key), ...extra });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: "validation_failed", field });
    const listed = await api("GET", `/v1/workflows/schedules?workflow=policy-agree&key=${key}`);
    expect(listed.body.schedules).toEqual([]);
  });

  it("the same value in both places, and the alias agreeing with on_failure, are accepted", async () => {
    const res = await api("POST", "/v1/workflows/schedules", {
      ...base(uid("agree-ok")),
      overlap: "BUFFER_ONE",
      retry_max: 2,
      pause_on_failure: true,
      policy: { overlap: "BUFFER_ONE", catchup_window_seconds: 600, on_failure: "pause" },
    });
    expect(res.status).toBe(201);
    expect(res.body.policy).toMatchObject({ overlap: "BUFFER_ONE", retry_max: 2, catchup_window_seconds: 600, on_failure: "pause" });
  });

  it("PATCH: contradicting values are a 422 and the schedule keeps its policy and version", async () => {
    const created = await api("POST", "/v1/workflows/schedules", { ...base(uid("agree-patch")), overlap: "BUFFER_ALL" });
    expect(created.status).toBe(201);
    const sid = created.body.schedule_id;
    const res = await api("PATCH", `/v1/workflows/schedules/${sid}`, { overlap: "SKIP", policy: { overlap: "ALLOW_ALL" } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: "validation_failed", field: "policy.overlap" });
    const after = await api("GET", `/v1/workflows/schedules/${sid}`);
    expect(after.body).toMatchObject({ version: created.body.version, policy: { overlap: "BUFFER_ALL" } });
  });
});
