import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, uid } from "./helpers.ts";
import { describeSchedule, setNow, T } from "./schedule-helpers.ts";

// D1 failing after a registration has removed schedules (the claim of an id re-created with another
// key is taken once the old schedule is gone): the generic 503 said "nothing was changed", which
// was false. The answer says what was applied, and the retry (the SDK retries a 503) brings the
// schedules to the declared definition and records it. README, "Schedules declared in code".

function register(workflow: string, schedules: Record<string, unknown>[]) {
  return api("POST", "/v1/workflows/workers/register", { identity: "partway-worker", task_queue: "partway-q", build_id: "b1", workflows: [{ name: workflow, schedules }], activities: [] });
}

/** Runs `fn` while D1 refuses to insert an index row of (workflow, key): a real D1 error. */
async function whileIndexRefuses<R>(workflow: string, key: string, fn: () => Promise<R>): Promise<R> {
  const trigger = `fail_${workflow.replace(/\W/g, "_")}`;
  await env.DB.exec(`CREATE TRIGGER ${trigger} BEFORE INSERT ON schedules WHEN NEW.workflow = '${workflow}' AND NEW.key = '${key}' BEGIN SELECT RAISE(ABORT, 'index offline'); END`);
  try {
    return await fn();
  } finally {
    await env.DB.exec(`DROP TRIGGER ${trigger}`);
  }
}

const get = (id: string) => api("GET", `/v1/workflows/schedules/${encodeURIComponent(id)}`);

describe("D1 failing after a registration's removals", () => {
  it("the 503 says what was applied, not that nothing was changed, and the retry converges", async () => {
    const wf = uid("code-partway");
    setNow(T("2027-06-01T00:00:00.000Z"));
    expect((await register(wf, [{ key: "alpha", cron_expressions: ["0 8 * * *"] }, { key: "other", cron_expressions: ["0 9 * * *"] }])).status).toBe(200);

    // code-0 now declares key beta (re-created: removed first), code-1 is no longer declared.
    setNow(T("2027-06-01T00:10:00.000Z"));
    const declared = [{ key: "beta", cron_expressions: ["0 10 * * *"] }];
    const failed = await whileIndexRefuses(wf, "beta", () => register(wf, declared));
    expect(failed.status).toBe(503);
    expect(failed.body.code).toBe("index_unavailable");
    expect(failed.headers.get("retry-after")).toBe("1");
    expect(failed.body.detail).not.toContain("nothing was changed");
    expect(failed.body.detail).toContain(`the schedules declared for ${wf} were applied in part`);
    // What the answer admits: both removals happened.
    expect((await get(`${wf}:code-0`)).status).toBe(404);
    expect((await get(`${wf}:code-1`)).status).toBe(404);

    // The retry brings everything to the declared state and records it.
    setNow(T("2027-06-01T00:11:00.000Z"));
    const retried = await register(wf, declared);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    const beta = await describeSchedule(`${wf}:code-0`);
    expect(beta).toMatchObject({ key: "beta", source: "code", status: "active", spec: { cron_expressions: ["0 10 * * *"] } });
    expect((await get(`${wf}:code-1`)).status).toBe(404);
    const listed = await api("GET", `/v1/workflows/schedules?workflow=${encodeURIComponent(wf)}`);
    expect(listed.body.schedules.map((s: { schedule_id: string; key: string }) => [s.schedule_id, s.key])).toEqual([[`${wf}:code-0`, "beta"]]);
    setNow(T("2027-06-01T00:12:00.000Z"));
    expect((await register(wf, declared)).status).toBe(200);
    expect((await describeSchedule(`${wf}:code-0`)).version).toBe(beta.version);
  });

  it("D1 failing before anything was removed is still the plain 503: nothing was changed", async () => {
    const wf = uid("code-partway-none");
    setNow(T("2027-06-01T00:00:00.000Z"));
    expect((await register(wf, [{ key: "alpha", cron_expressions: ["0 8 * * *"] }])).status).toBe(200);
    setNow(T("2027-06-01T00:10:00.000Z"));
    // A second schedule, new: claimed in the first batch, before any removal or upsert.
    const failed = await whileIndexRefuses(wf, "gamma", () => register(wf, [{ key: "alpha", cron_expressions: ["0 8 * * *"] }, { key: "gamma", cron_expressions: ["0 9 * * *"] }]));
    expect(failed.status).toBe(503);
    expect(failed.body.detail).toContain("nothing was changed");
    expect(await describeSchedule(`${wf}:code-0`)).toMatchObject({ key: "alpha", version: 1 });
    expect((await get(`${wf}:code-1`)).status).toBe(404);
  });
});
