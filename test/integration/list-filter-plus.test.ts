import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { eventually } from "./schedule-helpers.ts";

/**
 * Keys may hold `+` and `@` (a per-user key such as `ada+news@example.com`). Written into a URL
 * unencoded, as curl users and Pipelit-style scripts do, `?key=ada+news@example.com` arrives as
 * `ada news@example.com` (`+` means space in a query string): the schedules list answered a 422
 * saying to use "letters, digits and . _ : @ + = -" (which the caller had), and the executions list
 * filtered by `schedule_id=…+…` answered an empty page. Ids never hold a space, so a space in these
 * filters is read as the `+` it was, as `started_after` already reads a `+hh:mm` offset.
 */
describe("a + sent unencoded in an id filter", () => {
  it("?key=a+b lists the schedule of key a+b; ?schedule_id=…+… lists its runs", async () => {
    const key = `${uid("ada")}+news@example.com`;
    const workflow = uid("plus-wf");
    const created = await api("POST", "/v1/workflows/schedules", { workflow, key, cron: "0 0 * * *", task_queue: uid("q-plus") });
    expect(created.status).toBe(201);
    const sid = created.body.schedule_id as string;
    expect(sid).toBe(`${workflow}:${key}`);

    const raw = await api("GET", `/v1/workflows/schedules?key=${key}`);
    expect(raw.status).toBe(200);
    expect(raw.body.schedules.map((s: { schedule_id: string }) => s.schedule_id)).toEqual([sid]);
    const encoded = await api("GET", `/v1/workflows/schedules?key=${encodeURIComponent(key)}`);
    expect(encoded.body.schedules.map((s: { schedule_id: string }) => s.schedule_id)).toEqual([sid]);

    const trig = await api("POST", `/v1/workflows/schedules/${encodeURIComponent(sid)}/trigger`, {});
    expect(trig.status).toBe(202);
    await eventually(async () => {
      const runs = await api("GET", `/v1/workflows/executions?schedule_id=${sid}`);
      expect(runs.status).toBe(200);
      expect(runs.body.executions.map((e: { execution_id: string }) => e.execution_id)).toEqual([trig.body.run_id]);
    });
  });
});
