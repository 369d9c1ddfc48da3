import { complement, MAX_CP, union, type Ranges } from "./code-point-ranges.ts";

/**
 * A parser of JavaScript regex source in `u` mode into the small syntax tree the regex safety
 * check (regex-safety.ts) analyzes. It keeps only what matters for backtracking: the characters
 * each part can match, sequences, alternatives, groups, lookarounds and quantifiers.
 */

const ALL: Ranges = [[0, MAX_CP]];
const DIGIT: Ranges = [[0x30, 0x39]];
const WORD: Ranges = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const SPACE: Ranges = [[0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]];
const LINE_TERMINATORS: Ranges = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];

/** A parsed pattern: character sets, sequences, alternatives, groups and quantifiers. */
export type Node =
  | { k: "char"; set: Ranges }
  | { k: "empty" }
  | { k: "backref" }
  | { k: "seq"; items: Node[] }
  | { k: "alt"; branches: Node[] }
  | { k: "group"; body: Node; look: boolean }
  | { k: "quant"; body: Node; min: number; max: number; src: string };

/** The pattern uses syntax the parser does not handle. */
export class Unsupported extends Error {}

/** Single-character escapes and the code points they stand for. */
const CONTROL_ESCAPES: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, "0": 0 };

/** A parser for the `u`-mode syntax (the validator compiles patterns with the `u` flag). */
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

/**
 * Parses `pattern`, which must compile as a `u`-mode RegExp. Throws {@link Unsupported} on syntax
 * it does not handle.
 */
export function parsePattern(pattern: string): Node {
  return new Parser([...pattern]).parse();
}
