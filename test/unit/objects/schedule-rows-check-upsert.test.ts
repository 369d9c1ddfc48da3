import { describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE_POLICY, ScheduleSpecInput } from "@sundial/sdk/protocol";
import { initialState } from "../../../src/core/schedule/machine.ts";
import { checkUpsert } from "../../../src/objects/schedule-rows.ts";
import type { ScheduleRow } from "../../../src/objects/schedule-store.ts";
import type { ScheduleDefinition } from "../../../src/objects/schedule-types.ts";

// Neither an API create nor a registration takes over a schedule of the other source (README,
// "Schedules declared in code"); the registration's claim refuses first, this is the object's guard.

const spec = ScheduleSpecInput.parse({ interval_seconds: 600 });
const T0 = Date.UTC(2027, 0, 4);
const row = (source: "api" | "code"): ScheduleRow => ({ namespace: "default", schedule_id: "wf:code-0", workflow: "wf", key: "code-0", source, spec, policy: DEFAULT_SCHEDULE_POLICY, input: null, task_queue: "q", execution_timeout: null, version: 1, created_at: T0, updated_at: T0, spec_origin: T0, state: initialState(T0, false, "") });
const def = (source: "api" | "code"): ScheduleDefinition => ({ namespace: "default", schedule_id: "wf:code-0", workflow: "wf", key: "code-0", source, spec, policy: DEFAULT_SCHEDULE_POLICY, input: null, task_queue: "q", execution_timeout: undefined, paused: false, note: "" });

describe("checkUpsert", () => {
  it.each([
    ["an API create over a code schedule", "code", "api"],
    ["a registration over an API schedule", "api", "code"],
  ] as const)("%s is a 409 schedule_key_taken", (_name, held, sent) => {
    expect(() => checkUpsert(row(held), def(sent))).toThrow(expect.objectContaining({ code: "schedule_key_taken", status: 409 }));
  });

  it.each(["api", "code"] as const)("a %s upsert of its own source goes through", (source) => {
    expect(() => checkUpsert(row(source), def(source))).not.toThrow();
  });

  it("a registration over an API schedule under an explicit id of a code schedule's form is a 409 too", () => {
    const explicit = { ...row("api"), key: "nightly" };
    expect(() => checkUpsert(explicit, { ...def("code"), key: "nightly" })).toThrow(expect.objectContaining({ code: "schedule_key_taken", status: 409 }));
  });
});

