import { describe, expect, it } from "vitest";
import { mergePartitions, PollerBook, POLLER_TTL_MS, POLLER_TYPES_CAP, POLLERS_CAP, type PartitionState } from "../../../src/core/task-queue-pollers.ts";

describe("PollerBook", () => {
  it("keeps one entry per (kind, identity) with its latest poll, most recent first, for 5 minutes", () => {
    const book = new PollerBook();
    book.record("workflow", "a", null, 1_000);
    book.record("activity", "a", ["charge"], 2_000);
    book.record("workflow", "b", ["w"], 3_000);
    book.record("workflow", "a", ["w"], 4_000);
    expect(book.list(5_000)).toEqual([
      { identity: "a", kind: "workflow", types: ["w"], lastPollAt: 4_000 },
      { identity: "b", kind: "workflow", types: ["w"], lastPollAt: 3_000 },
      { identity: "a", kind: "activity", types: ["charge"], lastPollAt: 2_000 },
    ]);
    expect(book.list(2_000 + POLLER_TTL_MS).map((p) => p.lastPollAt)).toEqual([4_000, 3_000]);
  });

  it("a call of an older poll (still held) never moves a worker's last poll back before a newer one's start", () => {
    const book = new PollerBook();
    book.record("workflow", "a", ["w"], 1_000);
    book.record("workflow", "a", ["w"], 2_000);
    // The first poll, begun at 1,000, calls again for its next partition slice.
    book.record("workflow", "a", ["w"], 1_000);
    expect(book.list(3_000)).toEqual([{ identity: "a", kind: "workflow", types: ["w"], lastPollAt: 2_000 }]);
  });

  it(`remembers at most ${POLLERS_CAP} pollers, forgetting the least recently seen`, () => {
    const book = new PollerBook();
    for (let i = 0; i < POLLERS_CAP + 5; i++) book.record("workflow", `w${i}`, null, 1_000 + i);
    book.record("workflow", "w0", null, 10_000);
    const listed = book.list(10_000).map((p) => p.identity);
    expect(listed).toHaveLength(POLLERS_CAP);
    expect(listed[0]).toBe("w0");
    expect(listed).not.toContain("w5");
    expect(listed).toContain("w6");
  });

  it(`remembers at most ${POLLER_TYPES_CAP} type names over all pollers (a poll names up to 1,000), forgetting the least recently seen`, () => {
    const book = new PollerBook();
    const types = (i: number) => Array.from({ length: 1_000 }, (_, t) => `type_${i}_${t}`);
    for (let i = 0; i < 100; i++) book.record("workflow", `w${i}`, types(i), 1_000 + i);
    const listed = book.list(2_000);
    expect(listed.reduce((n, p) => n + (p.types?.length ?? 0), 0)).toBeLessThanOrEqual(POLLER_TYPES_CAP);
    expect(listed[0]).toMatchObject({ identity: "w99", types: types(99) });
    expect(listed.map((p) => p.identity)).not.toContain("w0");
    // An entry seen again replaces its types instead of adding to them.
    for (let i = 0; i < 5; i++) book.record("workflow", "w99", types(99), 3_000 + i);
    expect(book.list(4_000).map((p) => p.identity)).toContain("w60");
  });
});

describe("mergePartitions", () => {
  const part = (over: Partial<PartitionState>): PartitionState => ({
    workflow: { backlog: 0, oldestAvailableAt: null, delayed: 0 },
    activity: { backlog: 0, oldestAvailableAt: null },
    pollers: [],
    ...over,
  });

  it("adds the backlogs, keeps the oldest, and lists a worker once per kind with its latest poll", () => {
    const merged = mergePartitions([
      part({ workflow: { backlog: 2, oldestAvailableAt: 50, delayed: 1 }, pollers: [{ identity: "a", kind: "workflow", types: null, lastPollAt: 100, polling: true }] }),
      part({ workflow: { backlog: 3, oldestAvailableAt: 20, delayed: 0 }, activity: { backlog: 1, oldestAvailableAt: 70 }, pollers: [{ identity: "a", kind: "workflow", types: null, lastPollAt: 140, polling: false }, { identity: "a", kind: "activity", types: ["x"], lastPollAt: 90, polling: false }] }),
      part({}),
    ]);
    expect(merged).toEqual({
      workflow: { backlog: 5, oldestAvailableAt: 20, delayed: 1 },
      activity: { backlog: 1, oldestAvailableAt: 70 },
      pollers: [
        { identity: "a", kind: "workflow", types: null, lastPollAt: 140, polling: true },
        { identity: "a", kind: "activity", types: ["x"], lastPollAt: 90, polling: false },
      ],
    });
  });
});
