import { describe, expect, it } from "vitest";
import { ScheduleObject } from "../../src/objects/schedule-object.ts";
import { holdFirstCall } from "./faults.ts";
import { api, uid } from "./helpers.ts";
import { describeSchedule, setNow, T } from "./schedule-helpers.ts";

// An API create's default id is `{workflow}:{key}`; a code schedule's is `{workflow}:code-{i}`. The
// two meet when an API create, after the code schedule exists, sends key `code-{i}` (or a key that
// spells the rest of another workflow's code id). Each way is a 409 naming the field, the code
// schedule is left as it was, and nothing is claimed: never a takeover, never a 500. (The API
// create first, the registration after, is code-schedule-api-ids.test.ts.)

function register(workflow: string, schedules: Record<string, unknown>[]) {
  return api("POST", "/v1/workflows/workers/register", { identity: "ids-worker", task_queue: "ids-q", workflows: [{ name: workflow, schedules }], activities: [] });
}

const create = (workflow: string, key: string, extra: Record<string, unknown> = {}) => api("POST", "/v1/workflows/schedules", { workflow, key, cron_expressions: ["0 2 * * *"], task_queue: "ids-q", ...extra });
const listed = async (workflow: string) => (await api("GET", `/v1/workflows/schedules?workflow=${encodeURIComponent(workflow)}`)).body.schedules.map((s: { schedule_id: string; key: string; source: string }) => [s.schedule_id, s.key, s.source]);

/** The code schedule at `id` is as the registration made it. */
async function untouched(id: string, key: string) {
  expect(await describeSchedule(id)).toMatchObject({ key, source: "code", version: 1, spec: { cron_expressions: ["0 3 * * *"] } });
}

describe("an API create whose default id is a code schedule's", () => {
  it("the code schedule's own pair (key code-0): 409 schedule_key_taken naming key", async () => {
    const wf = uid("ids-same-pair");
    setNow(T("2027-06-01T00:00:00.000Z"));
    expect((await register(wf, [{ cron_expressions: ["0 3 * * *"] }])).status).toBe(200);
    const r = await create(wf, "code-0");
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body).toMatchObject({ code: "schedule_key_taken", field: "key" });
    expect(r.body.detail).toContain(`held by schedule ${wf}:code-0, declared in worker code`);
    await untouched(`${wf}:code-0`, "code-0");
  });

  it("a free pair whose default id a code schedule of another key holds: 409 schedule_exists naming schedule_id; another schedule_id creates it", async () => {
    const wf = uid("ids-other-key");
    setNow(T("2027-06-01T00:00:00.000Z"));
    expect((await register(wf, [{ key: "nightly", cron_expressions: ["0 3 * * *"] }])).status).toBe(200);
    const r = await create(wf, "code-0");
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body).toMatchObject({ code: "schedule_exists", field: "schedule_id" });
    expect(r.body.detail).toContain(`schedule ${wf}:code-0 belongs to workflow ${wf} key nightly, declared in worker code`);
    expect(r.body.detail).toContain("is this create's default id ({workflow}:{key}); create it with another schedule_id");
    await untouched(`${wf}:code-0`, "nightly");
    // Nothing was claimed: the pair is free, and a create under another id makes it.
    const mine = await create(wf, "code-0", { schedule_id: `${wf}-code-0` });
    expect(mine.status, JSON.stringify(mine.body)).toBe(201);
    await expect.poll(() => listed(wf)).toEqual([[`${wf}-code-0`, "code-0", "api"], [`${wf}:code-0`, "nightly", "code"]]);
    // And the next registration leaves both alone.
    setNow(T("2027-06-01T00:10:00.000Z"));
    expect((await register(wf, [{ key: "nightly", cron_expressions: ["0 3 * * *"] }])).status).toBe(200);
    await untouched(`${wf}:code-0`, "nightly");
    expect(await describeSchedule(`${wf}-code-0`)).toMatchObject({ source: "api", key: "code-0" });
  });

  it("another workflow's code id (workflow a, key b:code-0 is a:b:code-0): 409 schedule_exists", async () => {
    const a = uid("ids-prefix");
    const wf = `${a}:b`;
    setNow(T("2027-06-01T00:00:00.000Z"));
    expect((await register(wf, [{ cron_expressions: ["0 3 * * *"] }])).status).toBe(200);
    const r = await create(a, "b:code-0");
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body).toMatchObject({ code: "schedule_exists", field: "schedule_id" });
    await untouched(`${wf}:code-0`, "code-0");
    expect(await listed(a)).toEqual([]);
  });

  it("made while the registration has claimed the id and not yet written its object: a 409, and the registration goes through", async () => {
    const wf = uid("ids-race");
    setNow(T("2027-06-01T00:00:00.000Z"));
    const hold = holdFirstCall(ScheduleObject.prototype, "upsert");
    let registered;
    let r;
    try {
      const registration = register(wf, [{ key: "nightly", cron_expressions: ["0 3 * * *"] }]);
      await hold.reached; // the claim (wf:code-0, wf, nightly) is in the index; the object is not written
      r = await create(wf, "code-0");
      hold.release();
      registered = await registration;
    } finally {
      hold.release();
      hold.restore();
    }
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body).toMatchObject({ code: "schedule_exists", field: "schedule_id" });
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    await untouched(`${wf}:code-0`, "nightly");
    await expect.poll(() => listed(wf)).toEqual([[`${wf}:code-0`, "nightly", "code"]]);
  });

  it("made while the registration has claimed the pair (key code-0): 409 schedule_key_taken, and the registration goes through", async () => {
    const wf = uid("ids-race-pair");
    setNow(T("2027-06-01T00:00:00.000Z"));
    const hold = holdFirstCall(ScheduleObject.prototype, "upsert");
    let registered;
    let r;
    try {
      const registration = register(wf, [{ cron_expressions: ["0 3 * * *"] }]);
      await hold.reached;
      r = await create(wf, "code-0");
      hold.release();
      registered = await registration;
    } finally {
      hold.release();
      hold.restore();
    }
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body).toMatchObject({ code: "schedule_key_taken", field: "key" });
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    await untouched(`${wf}:code-0`, "code-0");
  });
});
