import { describe, expect, it } from "vitest";
import { api } from "./helpers.ts";
import { setNow, T } from "./schedule-helpers.ts";

// Vixie cron's day rule through the API: a `*`-prefixed day field ANDs with the other one.
// 2027-01-01 is a Friday; Mondays: Jan 4, 11, 18, 25; Feb 1, 8, 15, 22.
describe("day-of-month and day-of-week in preview", () => {
  const preview = (body: Record<string, unknown>) => api("POST", "/v1/workflows/schedules/preview", body);

  it("`*/2` day-of-month with Monday fires on odd-numbered Mondays only; both restricted, on either", async () => {
    setNow(T("2027-01-01T00:00:00Z"));
    const and = await preview({ cron: "0 0 */2 * 1", count: 4 });
    expect(and.status, JSON.stringify(and.body)).toBe(200);
    expect(and.body.fire_times.map((f: { nominal: string }) => f.nominal.slice(0, 10))).toEqual(["2027-01-11", "2027-01-25", "2027-02-01", "2027-02-15"]);
    const or = await preview({ cron: "0 0 1 * 1", count: 3, after: "2027-01-20T00:00:00Z" });
    expect(or.body.fire_times.map((f: { nominal: string }) => f.nominal.slice(0, 10))).toEqual(["2027-01-25", "2027-02-01", "2027-02-08"]);
  });

  it("an AND no date satisfies is a 422 naming the expression", async () => {
    setNow(T("2027-01-01T00:00:00Z"));
    const r = await preview({ cron_expressions: ["0 0 30 2 */2"] });
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.body).toMatchObject({ code: "invalid_cron", field: "cron_expressions.0" });
  });
});
