import { describe, expect, it } from "vitest";
import { regexes } from "zod/v4/core";
import { LIMITS } from "../../../src/core/limits.ts";
import { patternProblem } from "../../../src/core/regex-safety.ts";

/** Every regex zod's string formats use (what SDK-registered schemas carry), with the usual options. */
function zodPatterns(): [string, string][] {
  const out: [string, string][] = [];
  const args = [undefined, {}, { precision: 3 }, { precision: 0 }, { precision: -1 }, { seconds: true }, { offset: true, local: true }, 4, ":"];
  for (const [name, v] of Object.entries(regexes)) {
    if (v instanceof RegExp) out.push([name, v.source]);
    else if (typeof v === "function") {
      for (const a of args) {
        try {
          const r = (v as (x: unknown) => unknown)(a);
          if (r instanceof RegExp) out.push([`${name}(${JSON.stringify(a)})`, r.source]);
        } catch {
          /* an option this format does not take */
        }
      }
    }
  }
  return out;
}

describe("patternProblem: patterns that may backtrack catastrophically are refused", () => {
  it.each([
    ["^(a+)+$", /repeated part \(a\+\)\+/],
    ["(a*)*b", /may backtrack catastrophically/],
    ["^(a|a)*$", /more than one way/],
    ["^(a|aa)+$", /may backtrack catastrophically/],
    ["^(a|b|ab)*c$", /may backtrack catastrophically/],
    ["^(\\w+\\s?)*$", /may backtrack catastrophically/],
    ["^(.*,)*x$", /may backtrack catastrophically/],
    ["^([a-z0-9]+)*@", /may backtrack catastrophically/],
    ["(?:a*ba*)*", /may backtrack catastrophically/],
    ["(?:\\.a*a*)*", /more than one way/],
    ["(?:\\.\\d+\\.?\\d*)+", /more than one way/],
    ["(a{1,100}){10}", /may backtrack catastrophically/],
    ["^(?:(?:a+)+b)$", /may backtrack catastrophically/],
    ["(?=(a+)+b)", /may backtrack catastrophically/],
    ["^(x+x+)+y$", /may backtrack catastrophically/],
    ["(a)\\1", /backreference/],
    ["(?<x>a)\\k<x>", /backreference/],
  ])("%s", (pattern, why) => {
    expect(patternProblem(pattern)).toMatch(why);
  });

  it(`refuses a pattern longer than ${LIMITS.maxPatternLength} characters`, () => {
    expect(patternProblem("a".repeat(LIMITS.maxPatternLength))).toBeNull();
    expect(patternProblem("a".repeat(LIMITS.maxPatternLength + 1))).toMatch(/longer than 1000 characters/);
  });
});

describe("patternProblem: ordinary patterns are accepted", () => {
  it.each([
    "^[a-z0-9_-]{1,64}$",
    "^\\d{4}-\\d{2}-\\d{2}$",
    "^[A-Z]{3}$",
    "^(?:[a-z]+\\.)*[a-z]+$",
    "^(?:\\d{3}-){2}\\d{4}$",
    "^(?:ab|cd)*$",
    "^(?:a|b)*$",
    "^[a-z]+[a-z0-9]*$",
    "^\\+?[0-9 ()-]{7,20}$",
    "^https?://[^\\s/$.?#].[^\\s]*$",
    "^[\\u{1F600}-\\u{1F64F}]+$",
    "^\\p{L}[\\p{L}\\p{N}_]*$",
    "^(?<year>\\d{4})-(?<month>\\d{2})$",
    "^(?!admin$)[a-z]+$",
  ])("%s", (pattern) => {
    expect(patternProblem(pattern)).toBeNull();
  });

  it("accepts every zod string format's regex", () => {
    const refused = zodPatterns().filter(([, source]) => patternProblem(source) !== null);
    expect(refused).toEqual([]);
    expect(zodPatterns().length).toBeGreaterThan(50);
  });

  it("accepts a pattern the u-mode engine cannot compile (the validator never runs it)", () => {
    expect(patternProblem("[")).toBeNull();
  });
});

describe("accepted patterns do not blow up on adversarial strings", () => {
  // The refused ones take seconds to hours on these; the accepted neighbours stay fast.
  it.each([
    ["^(?:[a-z]+\\.)*[a-z]+$", "a".repeat(5_000) + "!"],
    ["^(?:[a-z]+\\.)*[a-z]+$", "a.".repeat(2_500) + "!"],
    ["^(?:[ -]?\\d){11,18}$", "1 ".repeat(40) + "!"],
    ["^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])\\.){3}x$", "1.1.1.1.1.1.1!"],
  ])("%s", (pattern, input) => {
    expect(patternProblem(pattern)).toBeNull();
    const t = performance.now();
    new RegExp(pattern, "u").test(input);
    expect(performance.now() - t).toBeLessThan(500);
  });

  it("analyses a deeply nested 1,000-character pattern quickly", () => {
    const t = performance.now();
    expect(patternProblem("(?:".repeat(199) + "a" + ")+".repeat(199))).toMatch(/may backtrack/);
    expect(patternProblem("(?:".repeat(140) + "ab" + "){2}".repeat(140))).toBeNull();
    expect(patternProblem("(?:a|".repeat(150) + "b" + ")".repeat(150))).toBeNull();
    expect(patternProblem("(?:" + "a?".repeat(495) + ")*")).toMatch(/more than one way/);
    expect(performance.now() - t).toBeLessThan(1_000);
  });
});
