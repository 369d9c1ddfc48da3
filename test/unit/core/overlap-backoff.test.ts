import { describe, expect, it } from "vitest";
import { decideOverlap, OVERLAP_POLICIES, type OverlapDecision, type OverlapPolicy } from "../../../src/core/overlap.ts";
import { activityRetryDelaySeconds, alarmRetryDelayMs, DEFAULT_RETRY_POLICY, retryDecision, scheduleRetryDelaySeconds, type RetryPolicy } from "../../../src/core/backoff.ts";

describe("decideOverlap", () => {
  const NONE: OverlapDecision<string> = { start: [], buffer: [], cancel: [], terminate: [], skipped: [] };
  type Row = [OverlapPolicy, string[], string[], string[], Partial<OverlapDecision<string>>, number?];
  it.each<Row>([
    // policy, running, buffer, due, expected (rest empty), bufferCap
    ["SKIP", [], [], ["a"], { start: ["a"] }],
    ["SKIP", [], [], ["a", "b", "c"], { start: ["a"], skipped: ["b", "c"] }],
    ["SKIP", ["r1"], [], ["a"], { skipped: ["a"] }],
    ["SKIP", ["r1"], [], ["a", "b"], { skipped: ["a", "b"] }],
    ["SKIP", ["r1"], ["x"], ["a"], { skipped: ["x", "a"] }],
    ["BUFFER_ONE", [], [], ["a"], { start: ["a"] }],
    ["BUFFER_ONE", [], [], ["a", "b", "c"], { start: ["a"], buffer: ["b"], skipped: ["c"] }],
    ["BUFFER_ONE", ["r1"], [], ["a"], { buffer: ["a"] }],
    ["BUFFER_ONE", ["r1"], [], ["a", "b", "c"], { buffer: ["a"], skipped: ["b", "c"] }],
    ["BUFFER_ONE", ["r1"], ["x"], ["a"], { buffer: ["x"], skipped: ["a"] }],
    ["BUFFER_ONE", ["r1"], ["x"], [], { buffer: ["x"] }],
    ["BUFFER_ONE", [], ["x"], ["a"], { start: ["x"], buffer: ["a"] }],
    ["BUFFER_ONE", [], ["x"], [], { start: ["x"] }],
    ["BUFFER_ALL", [], [], ["a", "b", "c"], { start: ["a"], buffer: ["b", "c"] }],
    ["BUFFER_ALL", ["r1"], ["x"], ["a", "b"], { buffer: ["x", "a", "b"] }],
    ["BUFFER_ALL", ["r1"], ["x", "y"], ["a", "b"], { buffer: ["x", "y", "a"], skipped: ["b"] }, 3],
    ["BUFFER_ALL", [], ["x", "y", "z"], ["a"], { start: ["x"], buffer: ["y", "z", "a"] }, 3],
    ["BUFFER_ALL", [], ["x", "y", "z"], ["a", "b"], { start: ["x"], buffer: ["y", "z", "a"], skipped: ["b"] }, 3],
    ["BUFFER_ALL", [], ["x"], [], { start: ["x"] }],
    ["CANCEL_OTHER", ["r1"], [], ["a"], { cancel: ["r1"], buffer: ["a"] }],
    ["CANCEL_OTHER", ["r1", "r2"], ["x"], ["a", "b"], { cancel: ["r1", "r2"], buffer: ["b"], skipped: ["x", "a"] }],
    ["CANCEL_OTHER", [], [], ["a", "b"], { start: ["b"], skipped: ["a"] }],
    ["CANCEL_OTHER", [], ["x"], [], { start: ["x"] }],
    ["TERMINATE_OTHER", ["r1"], [], ["a"], { terminate: ["r1"], start: ["a"] }],
    ["TERMINATE_OTHER", ["r1"], [], ["a", "b", "c"], { terminate: ["r1"], start: ["c"], skipped: ["a", "b"] }],
    ["TERMINATE_OTHER", [], [], ["a"], { start: ["a"] }],
    ["ALLOW_ALL", ["r1", "r2"], [], ["a", "b"], { start: ["a", "b"] }],
    ["ALLOW_ALL", [], ["x"], ["a"], { start: ["x", "a"] }],
  ])("%s running=%j buffer=%j due=%j", (policy, running, buffer, due, expected, bufferCap = 1_000) => {
    expect(decideOverlap({ policy, running, buffer, due, bufferCap })).toEqual({ ...NONE, ...expected });
  });

  it.each(OVERLAP_POLICIES.map((p) => [p]))("%s with nothing due and nothing buffered does nothing", (policy) => {
    expect(decideOverlap<string>({ policy, running: ["r1"], buffer: [], due: [], bufferCap: 1_000 })).toEqual(NONE);
    expect(decideOverlap<string>({ policy, running: [], buffer: [], due: [], bufferCap: 1_000 })).toEqual(NONE);
  });

  it("does not alias its inputs", () => {
    const running = ["r1"];
    const buffer = ["x"];
    const due = ["a"];
    const d = decideOverlap({ policy: "CANCEL_OTHER", running, buffer, due, bufferCap: 10 });
    d.cancel.push("mutated");
    d.skipped.push("mutated");
    expect(running).toEqual(["r1"]);
    expect(buffer).toEqual(["x"]);
    expect(due).toEqual(["a"]);
  });
});

describe("decideOverlap: each fire under its own policy (a trigger's or backfill's override)", () => {
  const NONE: OverlapDecision<string> = { start: [], buffer: [], cancel: [], terminate: [], skipped: [] };
  // A fire named "a:POLICY" has its own policy; a bare name follows the schedule's.
  const policyOf = (f: string): OverlapPolicy | undefined => (f.includes(":") ? (f.split(":")[1] as OverlapPolicy) : undefined);
  type Row = [string, OverlapPolicy, string[], string[], string[], Partial<OverlapDecision<string>>];
  it.each<Row>([
    ["a SKIP trigger is dropped alone: the scheduled fire waiting under BUFFER_ONE keeps its place", "BUFFER_ONE", ["r1"], ["x"], ["t:SKIP"], { buffer: ["x"], skipped: ["t:SKIP"] }],
    ["a trigger waiting under BUFFER_ONE is not dropped by a scheduled fire under SKIP", "SKIP", ["r1"], ["t:BUFFER_ONE"], ["f"], { buffer: ["t:BUFFER_ONE"], skipped: ["f"] }],
    ["a trigger under BUFFER_ONE waits beside nothing else; a second is dropped", "SKIP", ["r1"], [], ["t:BUFFER_ONE", "u:BUFFER_ONE"], { buffer: ["t:BUFFER_ONE"], skipped: ["u:BUFFER_ONE"] }],
    ["with the slot free the waiting trigger starts first, whatever the schedule's policy", "SKIP", [], ["t:BUFFER_ONE"], ["f"], { start: ["t:BUFFER_ONE"], skipped: ["f"] }],
    ["BUFFER_ALL backfill fires queue behind a waiting scheduled fire", "BUFFER_ONE", ["r1"], ["x"], ["b1:BUFFER_ALL", "b2:BUFFER_ALL"], { buffer: ["x", "b1:BUFFER_ALL", "b2:BUFFER_ALL"] }],
    ["an ALLOW_ALL trigger starts beside the open run and leaves the waiting fire alone", "BUFFER_ONE", ["r1"], ["x"], ["t:ALLOW_ALL"], { start: ["t:ALLOW_ALL"], buffer: ["x"] }],
    ["a CANCEL_OTHER trigger takes the place of every fire before it", "BUFFER_ALL", ["r1"], ["x", "y"], ["t:CANCEL_OTHER"], { cancel: ["r1"], buffer: ["t:CANCEL_OTHER"], skipped: ["x", "y"] }],
    ["a TERMINATE_OTHER trigger starts at once; a SKIP fire after it is dropped", "SKIP", ["r1"], ["x:BUFFER_ONE"], ["t:TERMINATE_OTHER", "f"], { terminate: ["r1"], start: ["t:TERMINATE_OTHER"], skipped: ["x:BUFFER_ONE", "f"] }],
    ["a CANCEL_OTHER fire with the slot free replaces the one about to start", "SKIP", [], [], ["f", "t:CANCEL_OTHER"], { start: ["t:CANCEL_OTHER"], skipped: ["f"] }],
    ["an ALLOW_ALL fire is dropped when a newer fire cancels the open runs", "SKIP", ["r1"], [], ["t:ALLOW_ALL", "u:CANCEL_OTHER"], { cancel: ["r1"], buffer: ["u:CANCEL_OTHER"], skipped: ["t:ALLOW_ALL"] }],
    // The newest fire's policy says what happens to the open runs: one it replaced says nothing. A
    // TERMINATE_OTHER fire replaced by a CANCEL_OTHER one had the run terminated, with nothing
    // started in its slot, and the CANCEL_OTHER fire waited for a close that never came.
    ["a CANCEL_OTHER fire after a TERMINATE_OTHER one: the run is asked to cancel, not terminated", "TERMINATE_OTHER", ["r1"], ["x"], ["t:CANCEL_OTHER"], { cancel: ["r1"], buffer: ["t:CANCEL_OTHER"], skipped: ["x"] }],
    ["a TERMINATE_OTHER fire after a CANCEL_OTHER one: the run is terminated, not also asked to cancel", "SKIP", ["r1"], [], ["c:CANCEL_OTHER", "t:TERMINATE_OTHER"], { terminate: ["r1"], start: ["t:TERMINATE_OTHER"], skipped: ["c:CANCEL_OTHER"] }],
  ])("%s", (_name, policy, running, buffer, due, expected) => {
    expect(decideOverlap({ policy, policyOf, running, buffer, due, bufferCap: 1_000 })).toEqual({ ...NONE, ...expected });
  });

  it("with one policy for every fire it decides as the schedule's policy alone", () => {
    for (const policy of OVERLAP_POLICIES) {
      for (const running of [[], ["r1"]]) {
        const buffer = ["x", "y"];
        const due = ["a", "b", "c"];
        const own = decideOverlap({ policy: "SKIP", policyOf: () => policy, running, buffer, due, bufferCap: 3 });
        expect(own).toEqual(decideOverlap({ policy, running, buffer, due, bufferCap: 3 }));
      }
    }
  });
});

describe("scheduleRetryDelaySeconds: doubling, capped at 10x the first delay", () => {
  it.each<[number, number, number]>([
    [60, 1, 60],
    [60, 2, 120],
    [60, 3, 240],
    [60, 4, 480],
    [60, 5, 600],
    [60, 6, 600],
    [60, 50, 600],
    [30, 1, 30],
    [30, 4, 240],
    [30, 5, 300],
    [1, 4, 8],
    [1, 5, 10],
    [600, 2, 1_200],
    [600, 9, 6_000],
    [60, 0, 60],
  ])("first %ss, retry %s -> %ss", (first, retry, expected) => {
    expect(scheduleRetryDelaySeconds(first, retry)).toBe(expected);
  });
});

describe("activity retry policy", () => {
  const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...DEFAULT_RETRY_POLICY, ...over });

  it("defaults: 1 s, x2, unlimited attempts, nothing non-retryable", () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ initial_interval: 1, backoff_coefficient: 2, maximum_attempts: 0, non_retryable_error_types: [] });
  });

  it.each<[Partial<RetryPolicy>, number, number]>([
    [{}, 1, 1],
    [{}, 2, 2],
    [{}, 3, 4],
    [{}, 7, 64],
    [{}, 8, 100], // 128 capped at 100 x initial
    [{}, 30, 100],
    [{ initial_interval: 2, backoff_coefficient: 3 }, 1, 2],
    [{ initial_interval: 2, backoff_coefficient: 3 }, 5, 162],
    [{ initial_interval: 2, backoff_coefficient: 3 }, 6, 200], // 486 capped at 200
    [{ maximum_interval: 10 }, 4, 8],
    [{ maximum_interval: 10 }, 5, 10],
    [{ maximum_interval: 10 }, 12, 10],
    [{ backoff_coefficient: 1, initial_interval: 5 }, 9, 5],
    [{ initial_interval: 0.5 }, 3, 2],
  ])("%j attempt %s -> %ss", (over, attempt, expected) => {
    expect(activityRetryDelaySeconds(policy(over), attempt)).toBe(expected);
  });

  it.each<[string, Partial<RetryPolicy>, number, { type?: string; non_retryable?: boolean }, ReturnType<typeof retryDecision>]>([
    ["first failure retried after 1 s", {}, 1, {}, { retry: true, delaySeconds: 1 }],
    ["unlimited attempts", {}, 1_000, { type: "Boom" }, { retry: true, delaySeconds: 100 }],
    ["non_retryable flag", {}, 1, { non_retryable: true }, { retry: false, reason: "non-retryable failure" }],
    ["non-retryable type", { non_retryable_error_types: ["Fatal", "Bad"] }, 1, { type: "Bad" }, { retry: false, reason: "error type Bad is non-retryable" }],
    ["other type retried", { non_retryable_error_types: ["Fatal"] }, 2, { type: "Transient" }, { retry: true, delaySeconds: 2 }],
    ["below maximum_attempts", { maximum_attempts: 3 }, 2, {}, { retry: true, delaySeconds: 2 }],
    ["at maximum_attempts", { maximum_attempts: 3 }, 3, {}, { retry: false, reason: "maximum attempts (3) reached" }],
    ["maximum_attempts 1 never retries", { maximum_attempts: 1 }, 1, {}, { retry: false, reason: "maximum attempts (1) reached" }],
    ["non-retryable wins over attempts left", { maximum_attempts: 10 }, 1, { non_retryable: true }, { retry: false, reason: "non-retryable failure" }],
  ])("%s", (_name, over, attempt, failure, expected) => {
    expect(retryDecision(policy(over), attempt, failure)).toEqual(expected);
  });
});

describe("alarmRetryDelayMs: an object's alarm after failures in a row", () => {
  it("waits 1 s, doubling, capped at 5 minutes", () => {
    expect([1, 2, 3, 4, 9, 10, 50].map(alarmRetryDelayMs)).toEqual([1_000, 2_000, 4_000, 8_000, 256_000, 300_000, 300_000]);
  });
});
