import { describe, expect, it } from "vitest";
import { SIGNAL_MARK_PREFIX, signalMarkKey } from "../../../src/core/execution/signal-marks.ts";

describe("signal marks", () => {
  it.each(["r1", "a:b", "w:1:1"])("the key of request id %j starts with the prefix continue-as-new carries", (requestId) => {
    const key = signalMarkKey(requestId);
    expect(key.startsWith(SIGNAL_MARK_PREFIX)).toBe(true);
    expect(key.slice(SIGNAL_MARK_PREFIX.length)).toBe(requestId);
  });

  it("never collides with a task completion key (w:…, a:…)", () => {
    expect(SIGNAL_MARK_PREFIX).not.toBe("w:");
    expect(SIGNAL_MARK_PREFIX).not.toBe("a:");
  });
});
