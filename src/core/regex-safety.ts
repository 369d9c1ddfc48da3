import { LIMITS } from "./limits.ts";

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

/** Sorted, disjoint, inclusive code point ranges. */
type Ranges = [number, number][];

const MAX_CP = 0x10ffff;
const ALL: Ranges = [[0, MAX_CP]];
const DIGIT: Ranges = [[0x30, 0x39]];
const WORD: Ranges = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const SPACE: Ranges = [[0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]];
const LINE_TERMINATORS: Ranges = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];

function normalize(r: Ranges): Ranges {
  const sorted = [...r].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

const union = (...rs: Ranges[]): Ranges => normalize(rs.flat().map(([a, b]) => [a, b] as [number, number]));

function complement(r: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of normalize(r)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

function intersects(a: Ranges, b: Ranges): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i]!;
    const [blo, bhi] = b[j]!;
    if (alo <= bhi && blo <= ahi) return true;
    if (ahi < bhi) i++;
    else j++;
  }
  return false;
}

type Node =
  | { k: "char"; set: Ranges }
  | { k: "empty" }
  | { k: "backref" }
  | { k: "seq"; items: Node[] }
  | { k: "alt"; branches: Node[] }
  | { k: "group"; body: Node; look: boolean }
  | { k: "quant"; body: Node; min: number; max: number; src: string };

class Unsupported extends Error {}

/** A parser for the `u`-mode syntax (the validator compiles patterns with the `u` flag). */
/** Single-character escapes and the code points they stand for. */
const CONTROL_ESCAPES: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, "0": 0 };

class Parser {
  private i = 0;
  private readonly s: string[];
  constructor(s: string[]) {
    this.s = s;
  }

  parse(): Node {
    const n = this.alt();
    if (this.i < this.s.length) throw new Unsupported(`unexpected ${this.s[this.i]}`);
    return n;
  }

  private peek(o = 0): string | undefined {
    return this.s[this.i + o];
  }

  private next(): string {
    const c = this.s[this.i++];
    if (c === undefined) throw new Unsupported("unexpected end");
    return c;
  }

  private alt(): Node {
    const branches = [this.seq()];
    while (this.peek() === "|") {
      this.i++;
      branches.push(this.seq());
    }
    return branches.length === 1 ? branches[0]! : { k: "alt", branches };
  }

  private seq(): Node {
    const items: Node[] = [];
    while (this.i < this.s.length && this.peek() !== "|" && this.peek() !== ")") {
      const start = this.i;
      const atom = this.atom();
      const q = this.quantifier();
      items.push(q ? { k: "quant", body: atom, min: q[0], max: q[1], src: this.s.slice(start, this.i).join("") } : atom);
    }
    return items.length === 1 ? items[0]! : { k: "seq", items };
  }

  private quantifier(): [number, number] | null {
    const c = this.peek();
    let q: [number, number] | null = null;
    if (c === "*") q = [0, Infinity];
    else if (c === "+") q = [1, Infinity];
    else if (c === "?") q = [0, 1];
    if (q) this.i++;
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i, this.i + 32).join(""));
      if (!m) throw new Unsupported("bad quantifier");
      this.i += m[0].length;
      const min = Number(m[1]);
      q = [min, m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3])];
    }
    if (q && this.peek() === "?") this.i++; // lazy: backtracks just as much
    return q;
  }

  private atom(): Node {
    const c = this.next();
    switch (c) {
      case "(": {
        let look = false;
        if (this.peek() === "?") {
          const a = this.peek(1);
          const b = this.peek(2);
          if (a === ":") this.i += 2;
          else if (a === "=" || a === "!") (this.i += 2), (look = true);
          else if (a === "<" && (b === "=" || b === "!")) (this.i += 3), (look = true);
          else if (a === "<") {
            this.i += 2;
            while (this.next() !== ">");
          } else throw new Unsupported("group modifiers");
        }
        const body = this.alt();
        if (this.next() !== ")") throw new Unsupported("unclosed group");
        return { k: "group", body, look };
      }
      case "[":
        return { k: "char", set: this.charClass() };
      case ".":
        return { k: "char", set: complement(LINE_TERMINATORS) };
      case "^":
      case "$":
        return { k: "empty" };
      case "\\":
        return this.escape(false);
      default:
        return { k: "char", set: [[c.codePointAt(0)!, c.codePointAt(0)!]] };
    }
  }

  /** After a backslash. In a class, `\b` is backspace and there are no backreferences. */
  private escape(inClass: boolean): Node {
    const c = this.next();
    const one = (cp: number): Node => ({ k: "char", set: [[cp, cp]] });
    switch (c) {
      case "d":
        return { k: "char", set: DIGIT };
      case "D":
        return { k: "char", set: complement(DIGIT) };
      case "w":
        return { k: "char", set: WORD };
      case "W":
        return { k: "char", set: complement(WORD) };
      case "s":
        return { k: "char", set: SPACE };
      case "S":
        return { k: "char", set: complement(SPACE) };
      case "b":
        return inClass ? one(8) : { k: "empty" };
      case "B":
        return { k: "empty" };
      case "p":
      case "P":
        if (this.next() !== "{") throw new Unsupported("bad property escape");
        while (this.next() !== "}");
        return { k: "char", set: ALL }; // which characters does not matter: assume it overlaps everything
      case "k":
        return { k: "backref" };
      case "t":
      case "n":
      case "v":
      case "f":
      case "r":
      case "0":
        return one(CONTROL_ESCAPES[c]!);
      case "c":
        return one(this.next().codePointAt(0)! % 32);
      case "x":
        return one(parseInt(this.next() + this.next(), 16));
      case "u": {
        if (this.peek() === "{") {
          this.i++;
          let hex = "";
          for (let d = this.next(); d !== "}"; d = this.next()) hex += d;
          return one(parseInt(hex, 16));
        }
        const hi = parseInt(this.next() + this.next() + this.next() + this.next(), 16);
        if (hi >= 0xd800 && hi <= 0xdbff && this.peek() === "\\" && this.peek(1) === "u") {
          const lo = parseInt(this.s.slice(this.i + 2, this.i + 6).join(""), 16);
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            this.i += 6;
            return one((hi - 0xd800) * 0x400 + (lo - 0xdc00) + 0x10000);
          }
        }
        return one(hi);
      }
      default:
        if (/[1-9]/.test(c) && !inClass) return { k: "backref" };
        return one(c.codePointAt(0)!); // identity escape of a syntax character
    }
  }

  private charClass(): Ranges {
    const negate = this.peek() === "^";
    if (negate) this.i++;
    const parts: Ranges[] = [];
    const classAtom = (): Ranges => {
      const c = this.next();
      if (c !== "\\") return [[c.codePointAt(0)!, c.codePointAt(0)!]];
      const e = this.escape(true);
      if (e.k !== "char") throw new Unsupported("escape in class");
      return e.set;
    };
    while (this.peek() !== "]") {
      const a = classAtom();
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        this.i++;
        const b = classAtom();
        // `\d-x` is a syntax error in u mode, so both ends are single characters here.
        parts.push([[a[0]![0], b[0]![1]]]);
      } else parts.push(a);
    }
    this.i++;
    const set = union(...parts);
    return negate ? complement(set) : set;
  }
}

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
    analyze(new Parser([...pattern]).parse());
    return null;
  } catch (err) {
    if (err instanceof PatternProblem) return err.message;
    if (err instanceof Unsupported) return `uses syntax the safety check does not support (${err.message})`;
    throw err;
  }
}
