import { describe, expect, it } from "vitest";
import { utf8Length } from "@sundial/sdk/protocol";
import { eventCost, takeWithin, type EventRow } from "../../../src/core/execution/history-pages.ts";

const row = (id: number, attrs = "{}"): EventRow => ({ id, type: "signal_received", ts: 0, attrs });
const big = (id: number) => row(id, JSON.stringify({ input: "x".repeat(1000) }));

describe("history pages bounded by size", () => {
  it("utf8Length counts what TextEncoder would write, without encoding", () => {
    const enc = new TextEncoder();
    for (const s of ["", "ascii", "añ€😀", "\u007f\u0080\u07ff\u0800\uffff", "😀".repeat(100), JSON.stringify({ t: "日本語\n\"x\"" })]) {
      expect(utf8Length(s), s).toBe(enc.encode(s).length);
    }
  });

  it("an event costs its JSON attributes plus an envelope", () => {
    expect(eventCost(row(1, '{"a":1}'))).toBe(7 + "signal_received".length + 64);
    expect(eventCost(big(1))).toBeGreaterThan(1000);
    // The size SQLite reports (octet_length) is taken as it is, not counted again.
    expect(eventCost({ ...row(1, '{"a":"é"}'), bytes: 10 })).toBe(10 + "signal_received".length + 64);
  });

  it("takes the leading rows that fit, and says rows were left", () => {
    const rows = [big(1), big(2), big(3)];
    const two = eventCost(rows[0]!) * 2;
    expect(takeWithin(rows, two)).toEqual({ rows: rows.slice(0, 2), more: true });
    expect(takeWithin(rows, two - 1)).toEqual({ rows: rows.slice(0, 1), more: true });
    expect(takeWithin(rows, 10 * two)).toEqual({ rows, more: false });
    expect(takeWithin([], 10)).toEqual({ rows: [], more: false });
  });

  it("always takes one row, however large, so a page moves forward", () => {
    expect(takeWithin([big(1), big(2)], 1)).toEqual({ rows: [big(1)], more: true });
  });

  it("reads a lazy source only one row past the page", () => {
    let read = 0;
    function* source() {
      for (let id = 1; id <= 1000; id++) {
        read++;
        yield big(id);
      }
    }
    expect(takeWithin(source(), eventCost(big(1)) * 3).rows.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(read).toBe(4);
  });
});
