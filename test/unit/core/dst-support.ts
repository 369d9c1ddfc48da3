import { expect } from "vitest";
import { ScheduleSpecInput } from "@sundial/sdk/protocol";
import { compileSpec, type CompiledSpec } from "../../../src/core/spec.ts";
import { between, next } from "../../../src/core/fire-times.ts";

/*
 * Shared by the dst*.test.ts files: DESIGN.md "Time semantics", DST rules, zone by zone, across both transitions of 2026 and 2027.
 * Every expected instant below was worked out by hand from the tz rules (and the transition dates
 * checked against the runtime's tz data, 2026c): none comes from the code under test.
 *
 * Transitions used (UTC instant of the change, local clock before -> after):
 *   America/New_York   2026-03-08T07:00Z 02:00 EST(-05) -> 03:00 EDT(-04)   2026-11-01T06:00Z 02:00 EDT -> 01:00 EST
 *                      2027-03-14T07:00Z                                     2027-11-07T06:00Z
 *   Europe/London      2026-03-29T01:00Z 01:00 GMT(+00) -> 02:00 BST(+01)   2026-10-25T01:00Z 02:00 BST -> 01:00 GMT
 *                      2027-03-28T01:00Z                                     2027-10-31T01:00Z
 *   Australia/Lord_Howe (30-minute DST)
 *                      2026-04-04T15:00Z 02:00 (+11) -> 01:30 (+10:30)       2026-10-03T15:30Z 02:00 (+10:30) -> 02:30 (+11)
 *                      2027-04-03T15:00Z                                     2027-10-02T15:30Z
 *   Pacific/Chatham    2026-04-04T14:00Z 03:45 (+13:45) -> 02:45 (+12:45)    2026-09-26T14:00Z 02:45 (+12:45) -> 03:45 (+13:45)
 *                      2027-04-03T14:00Z                                     2027-09-25T14:00Z
 *   Asia/Kolkata       none (+05:30 all year)
 *   America/Sao_Paulo  -03 all year since 2019. Its last DST: 2018-11-04T03:00Z 00:00 (-03) -> 01:00 (-02),
 *                      ended 2019-02-17T02:00Z 00:00 (-02) -> 23:00 (-03). The old rule (first Sunday of
 *                      November / third Sunday of February) would have put changes on 2026-02-15,
 *                      2026-11-01, 2027-02-21, 2027-11-07: nothing happens on those days now.
 *   Asia/Tehran        +03:30 all year since 2022. Its last DST: 2022-03-21T20:30Z 00:00 (+03:30) -> 01:00 (+04:30),
 *                      ended 2022-09-21T19:30Z 00:00 (+04:30) -> 23:00 (+03:30).
 */

export interface Row {
  name: string;
  input: ScheduleSpecInput;
  /** Window (from, to] in UTC. */
  from: string;
  to: string;
  fires: string[];
}

const CREATED = Date.parse("2015-01-01T00:00:00Z");
const iso = (ms: number): string => new Date(ms).toISOString();

function compile(input: ScheduleSpecInput): CompiledSpec {
  return compileSpec(ScheduleSpecInput.parse(input), { createdAt: CREATED });
}

/**
 * The fires in (from, to] are exactly `expected`, and `next` agrees from any instant in the window
 * (sampled every 7 minutes, plus 1 ms before and at each fire), so a fire cannot be doubled or lost
 * by where the previous computation happened to stop.
 */
export function expectFires(row: Row): void {
  const spec = compile(row.input);
  const from = Date.parse(row.from);
  const to = Date.parse(row.to);
  expect(between(spec, from, to).map(iso)).toEqual(row.fires);
  const want = row.fires.map((f) => Date.parse(f));
  const probes: number[] = [];
  for (let t = from; t < to; t += 7 * 60_000) probes.push(t);
  for (const f of want) probes.push(f - 1, f);
  const wrong: string[] = [];
  for (const t of probes) {
    const expected = want.find((f) => f > t);
    if (expected === undefined) continue;
    const got = next(spec, t);
    if (got !== expected) wrong.push(`next(${iso(t)}) = ${got === null ? "null" : iso(got)}, want ${iso(expected)}`);
  }
  expect(wrong).toEqual([]);
}

export const NY = "America/New_York";
export const LON = "Europe/London";
export const LHI = "Australia/Lord_Howe";
export const CHA = "Pacific/Chatham";
export const KOL = "Asia/Kolkata";
export const SAO = "America/Sao_Paulo";
export const THR = "Asia/Tehran";
