import { describe, expect, it } from "vitest";
import { claimVerdict, codeScheduleClaims, type CodeClaim } from "../../../src/core/code-schedule-claims.ts";

const row = (schedule_id: string, key: string, workflow = "wf") => ({ schedule_id, workflow, key });
const upsert = (i: number, key: string) => ({ id: `wf:code-${i}`, key, path: `workflows.0.schedules.${i}` });

describe("codeScheduleClaims", () => {
  it("claims new ids at once, none for an id updated in place", () => {
    const claims = codeScheduleClaims({ workflow: "wf", upserts: [upsert(0, "code-0"), upsert(1, "code-1")], existing: [row("wf:code-0", "code-0")], removals: [] });
    expect(claims).toEqual([{ ...row("wf:code-1", "code-1"), path: "workflows.0.schedules.1", isNew: true, afterRemovals: false }]);
  });

  it("a re-created id (its key changed) and a new id taking a removed schedule's key are claimed after the removals; only the new id is a new schedule", () => {
    // [a, b] declared before, [b] now: code-0 is re-created with key b, code-1 goes.
    const reordered = codeScheduleClaims({ workflow: "wf", upserts: [upsert(0, "b")], existing: [row("wf:code-0", "a"), row("wf:code-1", "b")], removals: ["wf:code-1", "wf:code-0"] });
    expect(reordered).toEqual([{ ...row("wf:code-0", "b"), path: "workflows.0.schedules.0", isNew: false, afterRemovals: true }]);
    // [a] declared before, [x, a] now: code-0 re-created with x, code-1 new with the freed a.
    const grown = codeScheduleClaims({ workflow: "wf", upserts: [upsert(0, "x"), upsert(1, "a")], existing: [row("wf:code-0", "a")], removals: ["wf:code-0"] });
    expect(grown.map((c) => [c.schedule_id, c.isNew, c.afterRemovals])).toEqual([["wf:code-0", false, true], ["wf:code-1", true, true]]);
  });
});

describe("claimVerdict", () => {
  const claim = (i: number, key: string, isNew = true): CodeClaim => ({ ...row(`wf:code-${i}`, key), path: `workflows.0.schedules.${i}`, isNew, afterRemovals: !isNew });
  const api = (id: string, key: string) => ({ ...row(id, key), source: "api" });

  it("a pair held by another schedule refuses, naming it; one held by a removal or by the same code claim does not", () => {
    const c = [claim(0, "k"), claim(1, "j")];
    const taken = claimVerdict(c, { count: 1, gonePresent: 0, holders: [api("wf:j", "j")] }, [], 10);
    expect(taken).toMatchObject({ ok: false, taken: c[1], holder: { schedule_id: "wf:j", source: "api" } });
    const gone = row("wf:code-9", "j");
    expect(claimVerdict(c, { count: 1, gonePresent: 1, holders: [{ ...gone, source: "code" }] }, [gone], 10)).toEqual({ ok: true, fresh: c });
    expect(claimVerdict(c, { count: 1, gonePresent: 0, holders: [{ ...row("wf:code-0", "k"), source: "code" }] }, [], 10)).toEqual({ ok: true, fresh: [c[1]] });
  });

  it("an API-created schedule of the claim's very triple refuses: a registration never takes one over", () => {
    // An API create of key code-0 gets the default id wf:code-0, the id of the first code schedule.
    const c = [claim(0, "code-0")];
    expect(claimVerdict(c, { count: 1, gonePresent: 0, holders: [api("wf:code-0", "code-0")] }, [], 10)).toMatchObject({ ok: false, taken: c[0], holder: { schedule_id: "wf:code-0", source: "api" } });
  });

  it("an id held with another pair refuses", () => {
    expect(claimVerdict([claim(0, "k")], { count: 1, gonePresent: 0, holders: [{ ...row("wf:code-0", "z", "other"), source: "api" }] }, [], 10)).toMatchObject({ ok: false, holder: { workflow: "other" } });
  });

  it("past the limit names the first new schedule that does not fit, counting the removals out and re-created ids as no new schedule", () => {
    const c = [claim(0, "x", false), claim(1, "a"), claim(2, "b")];
    expect(claimVerdict(c, { count: 10, gonePresent: 2, holders: [] }, [row("wf:code-0", "old"), row("wf:code-5", "gone")], 10)).toEqual({ ok: false, pastLimit: "workflows.0.schedules.2", count: 10, created: 2 });
    expect(claimVerdict(c, { count: 9, gonePresent: 2, holders: [] }, [row("wf:code-0", "old"), row("wf:code-5", "gone")], 10)).toEqual({ ok: true, fresh: c });
    // Only a re-created id: never refused, even over the limit.
    expect(claimVerdict([c[0]!], { count: 20, gonePresent: 1, holders: [] }, [row("wf:code-0", "old")], 10)).toEqual({ ok: true, fresh: [c[0]] });
  });
});
