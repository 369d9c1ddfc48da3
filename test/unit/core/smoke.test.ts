import { describe, expect, it } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { compileSpec } from "../../../src/core/spec.ts";
import { between } from "../../../src/core/fire-times.ts";

describe("core smoke", () => {
  it("fires a New York 02:30 daily once on the spring-forward day, at 03:30 EDT", () => {
    const spec = compileSpec(ScheduleSpecInput.parse({ cron: "30 2 * * *", timezone: "America/New_York" }), { createdAt: 0 });
    const got = between(spec, Date.parse("2026-03-07T12:00:00Z"), Date.parse("2026-03-09T12:00:00Z")).map((t) => new Date(t).toISOString());
    expect(got).toEqual(["2026-03-08T07:30:00.000Z", "2026-03-09T06:30:00.000Z"]);
  });
});
