import { describe, expect, it } from "vitest";
import { parseCron } from "../../../src/core/cron.ts";
import { nextCronFire } from "../../../src/core/fire-times.ts";
import { zoneFor } from "../../../src/core/zone.ts";
import { aftersAround, CRONS, describeInstant, iso, seedOf, ZONES } from "./dst-oracle-cases.ts";
import { DAY, firstAfter, HOUR, OracleZone, oracleCron, oracleSweep, SEC } from "./dst-oracle-support.ts";

// Differential test: nextCronFire (src/core/fire-times.ts) against a brute-force oracle, around real
// offset changes, for DESIGN.md's DST rules:
//   - a wall time in a spring-forward gap fires once, shifted forward by the gap (wall W fires at the
//     instant W - offsetBeforeGap);
//   - a wall time that happens twice (fall-back) fires at both instants only when the hour field
//     covers all 24 hours, otherwise once, at its first occurrence;
//   - a shifted fire that lands on an instant that is also a real match is one fire.
// It guards 38f0981: a real wall just after a gap that is not a whole clock hour comes before a gap
// wall's shifted fire (Lord Howe `15,35 2 * * *`: 02:35 +11 before 02:15 -> 02:45; Troll, Caracas
// 2016, St John's 2006), which an implementation that stopped at the first shifted candidate lost.
//
// The oracle shares no code with src/core/zone.ts or src/core/cron.ts (only the two functions under
// test and their inputs are imported): offsets come from Intl.DateTimeFormat ("longOffset"), offset
// changes are found by binary search, cron fields are matched by a small matcher (numbers,
// lists, ranges, steps, `*`; 5 and 6 fields), and the next fire after `after` is the first whole
// second (6 fields) or whole minute (5 fields) past it that is a fire by the rules above, checked one
// candidate at a time. The oracle is in dst-oracle-support.ts, the zones, crons and `after` values
// in dst-oracle-cases.ts.
//
// Historical years (Kwajalein 1969, St John's 2006, Apia 2011, Casey 2009, Caracas 2016) need no
// start_at: nextCronFire is called directly, and the cron matcher works on any year.

const CHAIN_FIRES = 120;
let comparisons = 0;

describe("nextCronFire agrees with a brute-force DST oracle", () => {
  it.each(ZONES)("$zone", ({ zone: name, from, to, changes: expectedChanges }) => {
    const rangeFrom = Date.parse(`${from}T00:00:00Z`);
    const rangeTo = Date.parse(`${to}T00:00:00Z`);
    const oz = new OracleZone(name, rangeFrom - 12 * DAY, rangeTo + 12 * DAY);
    const changes = oz.changes.filter((c) => c.at >= rangeFrom && c.at <= rangeTo);
    expect(changes.length, `${name}: offset changes between ${from} and ${to}`).toBe(expectedChanges);
    const zone = zoneFor(name);
    const bad: string[] = [];
    let count = 0;
    const record = (cron: string, after: number, got: number | null, want: number | null, note = "") => {
      if (bad.length < 8) {
        bad.push(
          `${name} "${cron}"${note} after ${describeInstant(oz, after)}: got ${describeInstant(oz, got)}, want ${describeInstant(oz, want)}`,
        );
      } else bad.push("");
    };

    for (const c of changes) {
      const d = Math.abs(c.after - c.before);
      for (const text of CRONS) {
        const cron = parseCron(text, "test");
        const oc = oracleCron(text);
        const afters = aftersAround(c, seedOf(`${name} ${c.at} ${text}`));
        const lead = oc.granule === SEC ? 150 * SEC : 3 * HOUR;
        const starts = [...new Set([c.at - d - lead, c.at - lead, c.at + d - lead])];
        const end = c.at + d + lead;
        const from = Math.min(afters[0]!, ...starts);
        const until = Math.max(afters[afters.length - 1]!, end);
        // One sweep of the oracle serves every `after` and chain below.
        const fires = oracleSweep(oz, oc, from, until, 3 * DAY + d);
        expect(fires[fires.length - 1]! > until, `oracle: no fire within 3 days after ${iso(until)}: ${name} "${text}"`).toBe(true);

        // Single calls.
        for (const after of afters) {
          const want = firstAfter(fires, after);
          const got = nextCronFire(cron, zone, after);
          count++;
          if (got !== want) record(text, after, got, want);
        }

        // Chains: nextCronFire fed its own results, against the oracle's fires in order.
        for (const start of starts) {
          const want = fires.filter((t) => t > start && t <= end).slice(0, CHAIN_FIRES);
          const got: number[] = [];
          let t: number | null = start;
          while (got.length < CHAIN_FIRES) {
            t = nextCronFire(cron, zone, t);
            if (t === null || t > end) break;
            got.push(t);
          }
          count += Math.max(got.length, want.length);
          const i = got.findIndex((g, k) => g !== want[k]);
          const at = i >= 0 ? i : got.length !== want.length ? Math.min(got.length, want.length) : -1;
          if (at >= 0) {
            const prev = at === 0 ? start : want[at - 1]!;
            record(text, prev, got[at] ?? null, want[at] ?? null, ` chain from ${iso(start)}, fire #${at + 1}`);
          }
        }
      }
    }
    comparisons += count;
    const shown = bad.filter((b) => b !== "");
    expect(bad.length, `${bad.length} disagreement(s) out of ${count} comparisons; first ones:\n${shown.join("\n")}`).toBe(0);
  });

  it("made tens of thousands of comparisons", () => {
    expect(comparisons).toBeGreaterThan(10_000);
  });
});
