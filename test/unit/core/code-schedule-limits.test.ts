import { describe, expect, it } from "vitest";
import { firstCreatedPastLimit, firstScheduleOverRegistrationCap, MAX_CODE_SCHEDULES_PER_REGISTRATION } from "../../../src/core/code-schedule-limits.ts";
import { LIMITS } from "../../../src/core/limits.ts";

describe("firstScheduleOverRegistrationCap", () => {
  it("is 1,000 schedules per registration, listed in LIMITS", () => {
    expect(MAX_CODE_SCHEDULES_PER_REGISTRATION).toBe(1_000);
    expect(LIMITS.codeSchedulesPerRegistration).toBe(MAX_CODE_SCHEDULES_PER_REGISTRATION);
  });

  it.each([
    [[], null],
    [[0, 0], null],
    [[100, 100, 100, 100, 100, 100, 100, 100, 100, 100], null],
    [[1_000], null],
    [[1_001], "workflows.0.schedules.1000"],
    [[100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 1], "workflows.10.schedules.0"],
    [[600, 600], "workflows.1.schedules.400"],
    [[999, 0, 2], "workflows.2.schedules.1"],
  ])("%j → %j", (perWorkflow, want) => {
    expect(firstScheduleOverRegistrationCap(perWorkflow)).toBe(want);
  });
});

describe("firstCreatedPastLimit", () => {
  const paths = (n: number) => Array.from({ length: n }, (_, i) => `workflows.0.schedules.${i}`);
  it.each([
    ["nothing new, even in a namespace over its limit", { count: 12, removed: 0, limit: 10, created: [] }, null],
    ["all fit", { count: 8, removed: 0, limit: 10, created: paths(2) }, null],
    ["one too many: names the first that does not fit", { count: 9, removed: 0, limit: 10, created: paths(2) }, "workflows.0.schedules.1"],
    ["a full namespace refuses the first", { count: 10, removed: 0, limit: 10, created: paths(1) }, "workflows.0.schedules.0"],
    ["removals make room", { count: 10, removed: 2, limit: 10, created: paths(2) }, null],
    ["over its limit, removals that leave it over still refuse", { count: 15, removed: 2, limit: 10, created: paths(1) }, "workflows.0.schedules.0"],
    ["removals beyond the count (a stale index) never make negative room", { count: 0, removed: 3, limit: 1, created: paths(2) }, "workflows.0.schedules.1"],
  ])("%s", (_, c, want) => {
    expect(firstCreatedPastLimit(c)).toBe(want);
  });
});
