import { LIMITS } from "./limits.ts";
import { intersects, union, type Ranges } from "./code-point-ranges.ts";
import { parsePattern, Unsupported, type Node } from "./regex-parser.ts";

/**
 * A static check that a JSON Schema `pattern` cannot backtrack catastrophically. JavaScript has no
 * regex timeout, and a worker registers the patterns an app's input is then tested against, so
 * `^(a+)+$` with "aaaaaaaaaaaaaaaaaaaaaaaaaaaa!" would burn the Worker's CPU. The check is
 * conservative (it refuses some harmless patterns) but accepts zod's built-in formats (email,
 * hostname, IPv4/6, dates, base64, …), which is what SDK-registered schemas contain.
 *
 * The rule: a repeated part (`*`, `+`, `{n,m}` with m > 1) whose body can match text of different
 * lengths must be delimited — begin or end with one character (or class) that nothing else in the
 * body can match, as in `(?:[a-z]+\.)*` — and the body itself must be unambiguous: no two
 * variable-length parts that can sit next to each other and match the same characters, no two
 * alternatives that can match the same text. Backreferences are refused outright. Polynomial
 * backtracking outside repeated groups (`^\d+\d+$`) is allowed: the validator bounds it by capping
 * the length of strings it tests against a pattern.
 */

interface Info {
  min: number;
  max: number;
  /** Every character the node can consume. */
  set: Ranges;
  /** Some text can be matched in more than one way. */
  ambiguous: boolean;
  /** For short fixed-length nodes: the characters allowed at each position. */
  positions: Ranges[] | null;
}

const MAX_POSITIONS = 64;

function sameTextPossible(a: Info, b: Info): boolean {
  if (a.min === a.max && b.min === b.max) {
    if (a.min !== b.min) return false;
    if (a.positions && b.positions) return a.positions.every((p, i) => intersects(p, b.positions![i]!));
  }
  return intersects(a.set, b.set) || (a.min === 0 && b.min === 0);
}

const analyzed = new WeakMap<Node, Info>();

/** Throws a PatternProblem at the first repeated part that can backtrack catastrophically. */
function analyze(n: Node): Info {
  let info = analyzed.get(n);
  if (!info) {
    info = analyzeNode(n);
    analyzed.set(n, info);
  }
  return info;
}

function analyzeNode(n: Node): Info {
  switch (n.k) {
    case "char":
      return { min: 1, max: 1, set: n.set, ambiguous: false, positions: [n.set] };
    case "empty":
      return { min: 0, max: 0, set: [], ambiguous: false, positions: [] };
    case "backref":
      throw new PatternProblem("uses a backreference, which can make matching exponentially slow");
    case "group": {
      const b = analyze(n.body);
      return n.look ? { min: 0, max: 0, set: [], ambiguous: false, positions: [] } : b;
    }
    case "seq": {
      const infos = n.items.map(analyze);
      let ambiguous = infos.some((x) => x.ambiguous);
      // Variable-length parts reachable from here through parts that can match nothing.
      let open: Ranges[] = [];
      for (const x of infos) {
        if (x.min !== x.max) {
          if (open.some((o) => intersects(o, x.set))) ambiguous = true;
          open.push(x.set);
        }
        if (x.min > 0) open = x.min !== x.max ? [x.set] : [];
      }
      const fixed = infos.every((x) => x.positions !== null);
      const positions = fixed ? infos.flatMap((x) => x.positions!) : null;
      return {
        min: infos.reduce((s, x) => s + x.min, 0),
        max: infos.reduce((s, x) => s + x.max, 0),
        set: union(...infos.map((x) => x.set)),
        ambiguous,
        positions: positions && positions.length <= MAX_POSITIONS ? positions : null,
      };
    }
    case "alt": {
      const infos = n.branches.map(analyze);
      let ambiguous = infos.some((x) => x.ambiguous);
      for (let i = 0; i < infos.length && !ambiguous; i++) {
        for (let j = i + 1; j < infos.length && !ambiguous; j++) if (sameTextPossible(infos[i]!, infos[j]!)) ambiguous = true;
      }
      const min = Math.min(...infos.map((x) => x.min));
      const max = Math.max(...infos.map((x) => x.max));
      const positions = min === max && infos.every((x) => x.positions) ? infos[0]!.positions!.map((_, p) => union(...infos.map((x) => x.positions![p]!))) : null;
      return { min, max, set: union(...infos.map((x) => x.set)), ambiguous, positions };
    }
    case "quant": {
      const b = analyze(n.body);
      if (n.max > 1) {
        if (b.ambiguous) throw new PatternProblem(`may backtrack catastrophically: the repeated part ${n.src} can match the same text in more than one way`);
        if (b.min !== b.max && !delimited(n.body)) {
          throw new PatternProblem(
            `may backtrack catastrophically: the repeated part ${n.src} varies in length and has no separator that only it matches (as the dot in (?:[a-z]+\\.)*)`,
          );
        }
      }
      const min = b.min * n.min;
      const max = n.max === 0 || b.max === 0 ? 0 : b.max * n.max;
      const positions = n.min === n.max && b.positions && b.positions.length * n.min <= MAX_POSITIONS ? Array.from({ length: n.min }, () => b.positions!).flat() : null;
      return { min, max, set: b.set, ambiguous: b.ambiguous, positions };
    }
  }
}

/**
 * A repeated body whose first or last consuming part is exactly one character from a set nothing
 * else in the body can match: iterations are then split at those characters, in one way only.
 */
function delimited(body: Node): boolean {
  let n = body;
  while (n.k === "group" && !n.look) n = n.body;
  if (n.k !== "seq") return false;
  const consuming = n.items.filter((x) => analyze(x).max > 0);
  const ends = [consuming[0], consuming[consuming.length - 1]];
  return ends.some((end) => {
    if (!end) return false;
    const e = analyze(end);
    if (e.min !== 1 || e.max !== 1) return false;
    const rest = union(...consuming.filter((x) => x !== end).map((x) => analyze(x).set));
    return !intersects(e.set, rest);
  });
}

class PatternProblem extends Error {}

/**
 * Why `pattern` is refused, or null when it is accepted. A pattern that does not compile with the
 * `u` flag is accepted: the validator never runs it.
 *
 * @example
 * patternProblem("^[a-z0-9_-]{1,64}$") // null
 * patternProblem("^(a+)+$") // "may backtrack catastrophically: the repeated part (a+)+ varies in length …"
 */
export function patternProblem(pattern: string): string | null {
  if (pattern.length > LIMITS.maxPatternLength) return `is longer than ${LIMITS.maxPatternLength} characters`;
  try {
    new RegExp(pattern, "u");
  } catch {
    return null;
  }
  try {
    analyze(parsePattern(pattern));
    return null;
  } catch (err) {
    if (err instanceof PatternProblem) return err.message;
    if (err instanceof Unsupported) return `uses syntax the safety check does not support (${err.message})`;
    throw err;
  }
}
