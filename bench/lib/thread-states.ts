/**
 * Where a process's main thread spends its wall time, by sampling its scheduling state in
 * /proc/<pid>/task/<pid>/stat: running (R), waiting on the disk (D: an fsync waiting for writeback,
 * a write into a page under writeback), or idle (S: workerd's event loop in epoll_wait). CPU time
 * (/proc user + system) says how busy a process was; this says whether the rest of its time was
 * spent waiting for work or waiting for the disk, which is what tells a CPU-bound thread from a
 * sync-bound one (`npm run bench -- profile … --states`).
 */
import { readFileSync } from "node:fs";

export interface ThreadStates {
  samples: number;
  /** Shares of the samples, 0..1. */
  running: number;
  diskWait: number;
  idle: number;
  other: number;
}

/** The state letter of a /proc stat line (the field after the command, which may hold spaces and parentheses). */
export function statState(stat: string): string {
  return stat.charAt(stat.lastIndexOf(")") + 2);
}

/** Shares of running (R), disk wait (D), idle (S, I) and anything else among counted states. */
export function threadStateShares(counts: Readonly<Record<string, number>>): ThreadStates {
  const samples = Object.values(counts).reduce((a, b) => a + b, 0);
  const share = (...states: string[]) => (samples === 0 ? 0 : states.reduce((a, s) => a + (counts[s] ?? 0), 0) / samples);
  const known = new Set(["R", "D", "S", "I"]);
  const other = share(...Object.keys(counts).filter((s) => !known.has(s)));
  return { samples, running: share("R"), diskWait: share("D"), idle: share("S", "I"), other };
}

/** Samples the main thread of each pid every `everyMs` until `stop()`, which returns the shares per pid. */
export function sampleThreadStates(pids: readonly number[], everyMs = 3): { stop: () => Map<number, ThreadStates> } {
  const counts = new Map<number, Record<string, number>>(pids.map((p) => [p, {}]));
  const timer = setInterval(() => {
    for (const [pid, c] of counts) {
      try {
        const s = statState(readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8"));
        c[s] = (c[s] ?? 0) + 1;
      } catch {
        // The process is gone: its samples so far stand.
      }
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return new Map([...counts].map(([pid, c]) => [pid, threadStateShares(c)]));
    },
  };
}
