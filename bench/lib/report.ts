/** Output helpers every suite shares: the machine context header and one aligned text table. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

/** Version of an installed package, read from its package.json ("?" when it cannot be read). */
export function packageVersion(name: string): string {
  try {
    const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    const pkg = JSON.parse(readFileSync(url, "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "?";
  } catch {
    return "?";
  }
}

function gitRevision(): string {
  try {
    const opts = { cwd: new URL("../..", import.meta.url), encoding: "utf8" as const, stdio: ["ignore", "pipe", "ignore"] as ("ignore" | "pipe")[] };
    const rev = execFileSync("git", ["rev-parse", "--short", "HEAD"], opts).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], opts).trim() !== "";
    return dirty ? `${rev} (+ uncommitted changes)` : rev;
  } catch {
    return "unknown";
  }
}

/**
 * Prints where and how the numbers were taken: the command, the runtime, the machine, the revision
 * and any suite-specific lines (library versions, method).
 */
export function printContext(suite: string, extra: readonly [string, string][] = []): void {
  const cpus = os.cpus();
  const viaNpm = process.env.npm_lifecycle_event === "bench";
  const lines: [string, string][] = [
    ["command", `${viaNpm ? "npm run bench --" : "node bench/run.ts"} ${[suite, ...process.argv.slice(3)].join(" ")}  (cwd ${process.cwd()})`],
    ["runs", `${process.execPath} ${process.argv.slice(1).map((a) => a.replace(`${process.cwd()}/`, "")).join(" ")}`],
    ["date", new Date().toISOString()],
    ["node", `${process.version} (V8 ${process.versions.v8}, ICU ${process.versions.icu ?? "?"}, tzdata ${process.versions.tz ?? "?"})`],
    ["machine", `${os.platform()} ${os.arch()}, ${os.availableParallelism()} CPUs (${cpus[0]?.model.trim() ?? "unknown model"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`],
    ["revision", gitRevision()],
    ...extra,
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) console.log(`${k.padEnd(width)}  ${v}`);
  console.log("");
}

/** A table column: its header and whether values are right-aligned (numbers). */
export interface Column {
  header: string;
  right?: boolean;
}

/** Prints rows as an aligned text table; a `null` row prints a separator line. */
export function printTable(columns: readonly Column[], rows: readonly (readonly string[] | null)[]): void {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r ? (r[i] ?? "").length : 0))));
  const fmt = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const v = cells[i] ?? "";
        const w = widths[i] ?? 0;
        return c.right ? v.padStart(w) : v.padEnd(w);
      })
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  console.log(fmt(columns.map((c) => c.header)));
  console.log(rule);
  for (const r of rows) console.log(r ? fmt(r) : rule);
}

/** 1234567.8 -> "1,234,568". */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** A latency in µs with sensible precision. */
export function formatUs(us: number): string {
  if (us < 0.1) return "<0.1";
  return us < 10 ? us.toFixed(2) : us < 100 ? us.toFixed(1) : us.toFixed(0);
}
