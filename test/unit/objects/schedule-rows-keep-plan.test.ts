import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput, type ScheduleSpec } from "@sundial/sdk/protocol";
import { initialState, tick, type ScheduleState } from "../../../src/core/schedule/machine.ts";
import { compileSpec } from "../../../src/core/spec.ts";
import { patchedRow, sameDefinition, upsertedRow } from "../../../src/objects/schedule-rows.ts";
import type { ScheduleRow } from "../../../src/objects/schedule-store.ts";
import type { ScheduleDefinition } from "../../../src/objects/schedule-types.ts";

// A create or PATCH that sends the spec a schedule already has keeps its plan (interval anchor,
// repeat_count runs counted, catch-up position): README, PATCH and "Time semantics".

const T0 = Date.UTC(2027, 0, 4, 0, 0, 0);
const M = 60_000;
const policy = DEFAULT_SCHEDULE_POLICY;

function row(spec: ScheduleSpec, state: ScheduleState): ScheduleRow {
  return { namespace: "default", schedule_id: "s", workflow: "wf", key: "k", source: "api", spec, policy, input: null, task_queue: "q", execution_timeout: null, version: 1, created_at: T0, updated_at: T0, spec_origin: T0, state };
}

/** Every 10 minutes from T0, three runs at most: the 00:10 fire has started. */
function oneRunUsed(spec: ScheduleSpec): ScheduleState {
  const t = tick({ spec: compileSpec(spec, { createdAt: T0 }), scheduleId: "s", policy, now: T0 + 10 * M }, initialState(T0, false, ""));
  expect(t.start).toHaveLength(1);
  return t.state;
}

const def = (spec: ScheduleSpec): ScheduleDefinition => ({ namespace: "default", schedule_id: "s", workflow: "wf", key: "k", source: "code", spec, policy, input: null, task_queue: "q", execution_timeout: undefined, paused: false, note: "" });

describe("a schedule stored with a zone spelt before zones were stored in their IANA spelling", () => {
  // Before 2026-12-05 a zone was stored as typed ("utc", "america/new_york"); the same spec sent
  // again now reads as "UTC": it is the same spec, so the plan stays (a schedule declared in code
  // is sent again at every worker start).
  const stored = { ...ScheduleSpecInput.parse({ interval_seconds: 600, repeat_count: 3 }), timezone: "utc" };
  const sent = ScheduleSpecInput.parse({ interval_seconds: 600, repeat_count: 3, timezone: "utc" });

  it("the spec sent again reads the zone in its IANA spelling", () => {
    expect(sent.timezone).toBe("UTC");
  });

  it.each<[string, (r: ScheduleRow, now: number) => ScheduleRow]>([
    ["a create (upsert)", (r, now) => upsertedRow(def(sent), r, now)],
    ["a PATCH", (r, now) => patchedRow(r, { spec: sent, input: { v: 2 } }, now)],
  ])("%s of the same spec keeps the plan, and stores the IANA spelling", (_name, change) => {
    const before = oneRunUsed(stored);
    const after = change(row(stored, before), T0 + 15 * M);
    expect(after.spec_origin).toBe(T0);
    expect(after.state).toEqual(before);
    expect(after.spec.timezone).toBe("UTC");
  });

  it("a zone that really changes still re-plans", () => {
    const other = ScheduleSpecInput.parse({ interval_seconds: 600, repeat_count: 3, timezone: "Europe/Paris" });
    const after = patchedRow(row(stored, oneRunUsed(stored)), { spec: other }, T0 + 15 * M);
    expect(after.spec_origin).toBe(T0 + 15 * M);
    expect(after.spec.timezone).toBe("Europe/Paris");
  });
});

describe("a PATCH of the spec a schedule already has, whatever its status", () => {
  // README: such a PATCH "changes no plan: same next fire, same runs counted"; only a new spec
  // revives a completed schedule. A client that always sends the whole spec (with a new input,
  // say) must not give a finished repeat_count schedule its runs back.
  const spec = ScheduleSpecInput.parse({ interval_seconds: 600, repeat_count: 3 });

  it.each(["active", "paused", "completed", "dead"] as const)("%s: the plan and the status stay, the input changes", (status) => {
    const before = { ...oneRunUsed(spec), status };
    const after = patchedRow(row(spec, before), { spec, input: { v: 2 } }, T0 + 15 * M);
    expect(after.state).toEqual(before);
    expect(after.spec_origin).toBe(T0);
    expect(after.input).toEqual({ v: 2 });
  });

  it("a new spec still revives a completed schedule, from now", () => {
    const before = { ...oneRunUsed(spec), status: "completed" as const };
    const after = patchedRow(row(spec, before), { spec: { ...spec, repeat_count: 5 } }, T0 + 15 * M);
    expect(after.state.status).toBe("active");
    expect(after.spec_origin).toBe(T0 + 15 * M);
  });
});

describe("a schedule declared in code, declared again", () => {
  // sameDefinition decides whether a registration writes anything: a declared note that
  // changed is a change (it was ignored); an empty declared note keeps the stored one (a note
  // `on_failure: pause` wrote, say), as upsertedRow does.
  const spec = ScheduleSpecInput.parse({ interval_seconds: 600 });
  const stored = (note: string): ScheduleRow => ({ ...row(spec, { ...initialState(T0, false, note) }), source: "code" });

  it("with the same note writes nothing", () => {
    expect(sameDefinition(stored("nightly export"), { ...def(spec), note: "nightly export" })).toBe(true);
  });

  it("with a new note is a change, and the note is stored", () => {
    const changed = { ...def(spec), note: "nightly export, v2" };
    expect(sameDefinition(stored("nightly export"), changed)).toBe(false);
    expect(upsertedRow(changed, stored("nightly export"), T0 + M).state.note).toBe("nightly export, v2");
  });

  it("with no note keeps the stored one and writes nothing", () => {
    expect(sameDefinition(stored("paused after 3 failures"), def(spec))).toBe(true);
  });
});

describe("a schedule declared in code that is not active, declared again as it was", () => {
  // A registration re-applies every schedule of a workflow when any of them changed. The note of a
  // paused, completed or dead schedule says why (pause, on_failure, the user): compared with the
  // declared note it read as a change, and the upsert revived a dead or completed schedule (runs
  // counted afresh) and overwrote why a paused one was paused.
  const spec = ScheduleSpecInput.parse({ interval_seconds: 600, repeat_count: 3 });
  const declared = { ...def(spec), note: "nightly export" };
  const stored = (status: ScheduleState["status"], note: string): ScheduleRow => ({ ...row(spec, { ...initialState(T0, false, note), status, repeatRuns: 3 }), source: "code" });

  it.each<[ScheduleState["status"], string]>([
    ["dead", "dead after run s:2027-01-04T00:10:00.000Z failed: boom"],
    ["completed", "nightly export"],
    ["paused", "paused after run s:2027-01-04T00:10:00.000Z failed: boom"],
  ])("%s, its note %j: writes nothing", (status, note) => {
    expect(sameDefinition(stored(status, note), declared)).toBe(true);
  });

  it("a completed one whose note a resume cleared stays completed", () => {
    expect(sameDefinition(stored("completed", ""), declared)).toBe(true);
  });

  it("an active one with a new declared note still takes it, keeping its plan", () => {
    const active = stored("active", "nightly export");
    expect(sameDefinition(active, { ...declared, note: "nightly export, v2" })).toBe(false);
    const up = upsertedRow({ ...declared, note: "nightly export, v2" }, active, T0 + M);
    expect(up.state).toEqual({ ...active.state, note: "nightly export, v2" });
  });
});

describe("an API create that sends a schedule as it is (Polos' create at every login)", () => {
  // It wrote a new version and an "updated" action each time, so an editor holding the version got
  // version_conflict and the 20 recent actions filled with logins. A create that changes nothing
  // writes nothing, as a PATCH that changes nothing; it still revives a completed or dead one.
  const spec = ScheduleSpecInput.parse({ cron: "0 9 * * *", timezone: "Europe/Paris" });
  const sent: ScheduleDefinition = { ...def(spec), source: "api", input: { user: "u1" } };
  const stored = (status: ScheduleState["status"], note = ""): ScheduleRow => ({ ...row(spec, { ...initialState(T0, status === "paused", note), status }), input: { user: "u1" } });

  it.each<ScheduleState["status"]>(["active", "paused"])("%s: writes nothing", (status) => {
    expect(sameDefinition(stored(status, status === "paused" ? "away" : ""), sent)).toBe(true);
  });

  it.each<ScheduleState["status"]>(["completed", "dead"])("%s: a change (the create revives it)", (status) => {
    expect(sameDefinition(stored(status), sent)).toBe(false);
  });

  it.each<[string, Partial<ScheduleDefinition>]>([
    ["another input", { input: { user: "u2" } }],
    ["another spec", { spec: ScheduleSpecInput.parse({ cron: "0 10 * * *", timezone: "Europe/Paris" }) }],
    ["another task queue", { task_queue: "other" }],
    ["an execution timeout", { execution_timeout: 60 }],
    ["another policy", { policy: { ...policy, overlap: "ALLOW_ALL" } }],
    ["a note", { note: "from the app" }],
    ["paused", { paused: true }],
  ])("with %s: a change", (_name, change) => {
    expect(sameDefinition(stored("active"), { ...sent, ...change })).toBe(false);
  });

  it("a code schedule's definition is never the same as an API create's", () => {
    expect(sameDefinition({ ...stored("active"), source: "code" }, sent)).toBe(false);
  });
});

describe("a registration that changes a code schedule but not its spec (the PATCH rule)", () => {
  // The worker's task queue, the workflow's execution timeout, the input or the policy changed:
  // upsertedRow re-planned a completed or dead schedule from now and made it active, so a finished
  // repeat_count schedule got its runs back and a dead one fired again after such a deploy. A PATCH
  // sending the spec the schedule already has changes no plan and no status; so does this.
  const spec = ScheduleSpecInput.parse({ interval_seconds: 600, repeat_count: 3 });
  const stored = (status: ScheduleState["status"], note: string): ScheduleRow => ({ ...row(spec, { ...oneRunUsed(spec), status, note }), source: "code" });
  const changes: [string, Partial<ScheduleDefinition>][] = [
    ["task queue", { task_queue: "q2" }],
    ["execution timeout", { execution_timeout: 60 }],
    ["input", { input: { v: 2 } }],
    ["policy", { policy: { ...policy, overlap: "ALLOW_ALL" } }],
  ];

  it.each(changes.flatMap(([name, change]) => (["completed", "dead", "paused", "active"] as const).map((status) => [status, name, change] as const)))(
    "%s, another %s: the plan, status and note stay; the new field is taken",
    (status, _name, change) => {
      const before = stored(status, status === "active" ? "" : `why it is ${status}`);
      const declared = { ...def(spec), ...change, note: "nightly export" };
      expect(sameDefinition(before, declared)).toBe(false);
      const after = upsertedRow(declared, before, T0 + 15 * M);
      expect(after.state).toEqual(status === "active" ? { ...before.state, note: "nightly export" } : before.state);
      expect(after.spec_origin).toBe(T0);
      expect(after.version).toBe(before.version + 1);
      expect(after).toMatchObject(Object.fromEntries(Object.entries(change).map(([k, v]) => [k, v])));
    },
  );

  it.each(["completed", "dead"] as const)("%s, declared paused: writes nothing (it fires no more, as the API refuses to pause it)", (status) => {
    expect(sameDefinition(stored(status, "why"), { ...def(spec), paused: true })).toBe(true);
    expect(upsertedRow({ ...def(spec), paused: true, task_queue: "q2" }, stored(status, "why"), T0 + 15 * M).state.status).toBe(status);
  });

  it.each(["completed", "dead"] as const)("%s, a new spec revives it, from now", (status) => {
    const after = upsertedRow({ ...def({ ...spec, repeat_count: 5 }), task_queue: "q2" }, stored(status, "why"), T0 + 15 * M);
    expect(after.state.status).toBe("active");
    expect(after.state.repeatRuns).toBe(0);
    expect(after.spec_origin).toBe(T0 + 15 * M);
  });

  it("an API create still revives a completed one, whatever spec it sends (README, create)", () => {
    const after = upsertedRow({ ...def(spec), source: "api", task_queue: "q2" }, { ...stored("completed", ""), source: "api" }, T0 + 15 * M);
    expect(after.state.status).toBe("active");
    expect(after.spec_origin).toBe(T0 + 15 * M);
  });
});
