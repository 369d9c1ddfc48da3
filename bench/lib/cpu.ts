/**
 * CPU accounting for the end-to-end suites (Linux /proc): how much CPU each group of processes
 * used during a phase (the platform — wrangler, workerd —, the SDK worker processes, the bench
 * process itself, a peer like redis-server), and how much the rest of the machine used meanwhile.
 * On a 2-core machine that is what tells whether a number is bounded by the platform, the
 * workers, the load generator, or something else running at the same time.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";

const TICKS = 100; // USER_HZ on Linux

export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  /** utime + stime + cutime + cstime, seconds (children that exited and were reaped included). */
  cpu: number;
  /** utime + stime only, seconds. */
  own: number;
  /** utime (user) and stime (kernel) apart, seconds. */
  user: number;
  sys: number;
}

/** One process's /proc stat (CPU in seconds), or null if it is gone. */
export function readStat(pid: number): ProcStat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm may contain spaces and parentheses: fields start after the last ')'.
    const rest = s.slice(s.lastIndexOf(")") + 2).split(" ");
    const n = (i: number) => Number(rest[i - 3]);
    return { pid, ppid: n(4), pgrp: n(5), cpu: (n(14) + n(15) + n(16) + n(17)) / TICKS, own: (n(14) + n(15)) / TICKS, user: n(14) / TICKS, sys: n(15) / TICKS };
  } catch {
    return null;
  }
}

function allStats(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const st = readStat(Number(d));
    if (st) out.push(st);
  }
  return out;
}

/** Busy CPU seconds of the whole machine since boot (all CPUs; idle and iowait excluded). */
function machineBusy(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return (total - idle) / TICKS;
}

/** A set of processes: explicit pids, their descendants, and whole process groups. */
export interface ProcessGroup {
  name: string;
  pids: () => number[];
  /** Also count every descendant of those pids, and children they reaped (default true); false: the processes' own CPU only. */
  descendants?: boolean;
  /** Treat the pids as process-group ids (e.g. a detached wrangler and its workerd). */
  groups?: boolean;
}

function cpuOf(g: ProcessGroup, stats: ProcStat[]): number {
  const roots = new Set(g.pids());
  const chosen = new Set<number>();
  for (const s of stats) if (roots.has(s.pid) || (g.groups && roots.has(s.pgrp))) chosen.add(s.pid);
  if (g.descendants !== false) {
    let grew = true;
    while (grew) {
      grew = false;
      for (const s of stats) {
        if (!chosen.has(s.pid) && chosen.has(s.ppid)) {
          chosen.add(s.pid);
          grew = true;
        }
      }
    }
  }
  let sum = 0;
  for (const s of stats) if (chosen.has(s.pid)) sum += g.descendants === false ? s.own : s.cpu;
  return sum;
}

export interface CpuSample {
  at: number;
  machine: number;
  groups: Record<string, number>;
}

/** Snapshots CPU time per group; `usage(a, b)` turns two snapshots into cores used per group. */
export class CpuMeter {
  private readonly groups: ProcessGroup[];

  constructor(groups: ProcessGroup[]) {
    this.groups = groups;
  }

  sample(): CpuSample {
    const stats = allStats();
    const groups: Record<string, number> = {};
    for (const g of this.groups) groups[g.name] = cpuOf(g, stats);
    return { at: performance.now(), machine: machineBusy(), groups };
  }

  /** Cores used per group between two samples, plus `other` (the rest of the machine) and `idle`. */
  static usage(a: CpuSample, b: CpuSample): Record<string, number> & { other: number; idle: number; wall: number } {
    const wall = (b.at - a.at) / 1000;
    const out: Record<string, number> = {};
    let ours = 0;
    for (const k of Object.keys(b.groups)) {
      const d = Math.max(0, b.groups[k]! - (a.groups[k] ?? 0));
      out[k] = d / wall;
      ours += d;
    }
    const busy = Math.max(0, b.machine - a.machine);
    const cores = os.availableParallelism();
    return Object.assign(out, { other: Math.max(0, busy - ours) / wall, idle: Math.max(0, cores - busy / wall), wall });
  }
}

/** Machine-wide busy cores over `ms` (a quick "is anything else running?" check). */
export async function busyCores(ms = 1000): Promise<number> {
  const a = machineBusy();
  const t = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return (machineBusy() - a) / ((performance.now() - t) / 1000);
}

/** The file system type of a directory ("ext4", "tmpfs", …), or "?". */
export function fsType(dir: string): string {
  try {
    return execFileSync("findmnt", ["-n", "-o", "FSTYPE", "-T", dir], { encoding: "utf8" }).trim() || "?";
  } catch {
    return "?";
  }
}

export function loadAverage(): string {
  return os.loadavg().map((x) => x.toFixed(2)).join(" ");
}

/**
 * Waits (at most `maxMs`) for a 1-second window in which processes outside the meter's groups use
 * less than `threshold` cores, so a measurement does not start in the middle of someone else's
 * burst on a shared machine. Returns the last window's `other` cores (reported, never hidden).
 */
export async function waitQuiet(meter: CpuMeter, maxMs: number, threshold = 0.3): Promise<number> {
  const t0 = Date.now();
  let other = Number.POSITIVE_INFINITY;
  do {
    const a = meter.sample();
    await new Promise((r) => setTimeout(r, 1000));
    other = CpuMeter.usage(a, meter.sample()).other;
  } while (other >= threshold && Date.now() - t0 < maxMs);
  return other;
}
