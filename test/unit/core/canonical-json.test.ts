import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../src/core/canonical-json.ts";

describe("canonicalJson", () => {
  it("sorts every object's keys, at every depth, and keeps arrays in order", () => {
    expect(canonicalJson({ b: 2, a: { d: 1, c: [2, { z: 1, y: 0 }] } })).toBe('{"a":{"c":[2,{"y":0,"z":1}],"d":1},"b":2}');
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
  });

  it("is JSON.stringify otherwise: primitives, null, undefined members left out", () => {
    for (const v of [null, 1, "x", true, [1, "a", null], { a: undefined, b: null }]) expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
  });
});
