import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { describeSchedule, setNow, T } from "./schedule-helpers.ts";

// DESIGN: the platform validates start and schedule inputs at the edge. A schedule's input is
// checked against its workflow's registered schema when it is created (schedule-counts.test.ts),
// and so is a new input given later: a PATCH's, and a trigger's override. A refused one is a 422
// naming the field inside the input, and changes nothing.

async function registeredSchedule(prefix: string) {
  const wf = uid(`${prefix}-wf`);
  const queue = uid(`q-${prefix}`);
  const reg = await api("POST", "/v1/workflows/workers/register", {
    identity: "input-edge-test",
    task_queue: queue,
    workflows: [{ name: wf, input_schema: { type: "object", properties: { user: { type: "string" } }, required: ["user"] } }],
    activities: [],
  });
  expect(reg.status, JSON.stringify(reg.body)).toBeLessThan(300);
  const created = await api("POST", "/v1/workflows/schedules", { workflow: wf, key: uid("k"), cron: "0 8 * * *", task_queue: queue, input: { user: "ada" }, overlap: "ALLOW_ALL" });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.schedule_id as string;
}

describe("a schedule's input given after its create is checked against the registered schema", () => {
  it("PATCH: 422 invalid_input naming input.user; the schedule keeps its version and input", async () => {
    setNow(T("2027-04-01T00:00:00.000Z"));
    const sid = await registeredSchedule("patch-in");
    const before = await describeSchedule(sid);
    const bad = await api("PATCH", `/v1/workflows/schedules/${sid}`, { input: { user: 7 } });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: "invalid_input", field: "input.user" });
    const after = await describeSchedule(sid);
    expect(after.version).toBe(before.version);
    expect(after.input).toEqual({ user: "ada" });
    const good = await api("PATCH", `/v1/workflows/schedules/${sid}`, { input: { user: "grace" } });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ version: before.version + 1, input: { user: "grace" } });
  });

  it("trigger with an input override: 422 invalid_input naming input.user; no run, nothing counted", async () => {
    setNow(T("2027-04-02T00:00:00.000Z"));
    const sid = await registeredSchedule("trigger-in");
    const bad = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { input: { user: 7 }, request_id: "bad" });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: "invalid_input", field: "input.user" });
    const d = await describeSchedule(sid);
    expect(d.running).toEqual([]);
    expect(d.counters).toMatchObject({ fired: 0 });
    expect(d.recent_actions.filter((a: { kind: string }) => a.kind === "trigger")).toEqual([]);
    // The same request_id with a good input is a new request (the refused one was not remembered).
    const good = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { input: { user: "grace" }, request_id: "bad" });
    expect(good.status).toBe(202);
    expect(good.body).toMatchObject({ started: true, outcome: "started" });
  });

  it("trigger retried with its request_id gets the first answer whatever input it sends, also one the schema refuses: nothing changes", async () => {
    setNow(T("2027-04-03T00:00:00.000Z"));
    const sid = await registeredSchedule("trigger-retry-in");
    const first = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { input: { user: "grace" }, request_id: "once" });
    expect(first.status).toBe(202);
    const before = await describeSchedule(sid);
    for (const input of [{ user: 7 }, { user: "other" }]) {
      const again = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { input, request_id: "once" });
      expect([again.status, again.body]).toEqual([202, first.body]);
    }
    const after = await describeSchedule(sid);
    expect(after.running).toEqual(before.running);
    expect(after.counters).toEqual(before.counters);
    expect(after.recent_actions).toEqual(before.recent_actions);
    // Not a retry: a new request_id's input is checked.
    const fresh = await api("POST", `/v1/workflows/schedules/${sid}/trigger`, { input: { user: 7 }, request_id: "twice" });
    expect([fresh.status, fresh.body.field]).toEqual([422, "input.user"]);
  });
});

