/**
 * Reading a V8 CPU profile (the `Profiler.stop` result of the Chrome DevTools Protocol, the same
 * format as a `.cpuprofile` file): time per function, on its own (self) and with its callees
 * (inclusive), and for the heaviest functions the source line most samples fell on. Pure: the
 * profile comes in, rows go out (`bench/profile.ts` prints them).
 */

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  children?: number[];
  /** Samples per source line (1-based lines) inside this function. */
  positionTicks?: { line: number; ticks: number }[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  /** Node id of each sample. */
  samples: number[];
  /** Microseconds since the previous sample, per sample. */
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionTime {
  /** `name file:line` (line 1-based), `(anonymous)` for unnamed functions. */
  key: string;
  name: string;
  url: string;
  /** 1-based line of the function's start. */
  line: number;
  selfMs: number;
  inclusiveMs: number;
  /** The 1-based line most of this function's own samples fell on, if the profile says. */
  hotLine: number | null;
}

export interface ProfileSummary {
  /** Sampled wall time, ms. */
  totalMs: number;
  /** Samples outside JavaScript and native calls: the isolate was waiting ((idle)), or in V8/runtime housekeeping ((program), GC). */
  idleMs: number;
  functions: FunctionTime[];
}

const IDLE = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

/** Not JavaScript or a native call: waiting, V8 housekeeping, GC, or the tree's root. */
export function isIdle(name: string): boolean {
  return IDLE.has(name);
}

/** Time per function (merged over every call path), busiest first by self time. */
export function summarize(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const perNode = new Map<number, number>();
  profile.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const fns = new Map<string, FunctionTime & { lineTicks: Map<number, number> }>();
  const fnOf = (n: CpuProfileNode) => {
    const name = n.callFrame.functionName || "(anonymous)";
    const line = n.callFrame.lineNumber + 1;
    const file = n.callFrame.url.split("/").pop() ?? "";
    const key = file ? `${name} ${file}:${line}` : name;
    let f = fns.get(key);
    if (!f) fns.set(key, (f = { key, name, url: n.callFrame.url, line, selfMs: 0, inclusiveMs: 0, hotLine: null, lineTicks: new Map() }));
    return f;
  };
  for (const n of profile.nodes) {
    const f = fnOf(n);
    for (const t of n.positionTicks ?? []) f.lineTicks.set(t.line, (f.lineTicks.get(t.line) ?? 0) + t.ticks);
  }
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of perNode) {
    totalUs += us;
    const node = byId.get(id)!;
    const self = fnOf(node);
    self.selfMs += us / 1000;
    if (isIdle(self.name)) idleUs += us;
    // Inclusive: once per function on the sample's stack (recursion counts once).
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = fnOf(byId.get(cur)!);
      if (seen.has(f.key)) continue;
      seen.add(f.key);
      f.inclusiveMs += us / 1000;
    }
  }
  const functions = [...fns.values()].map(({ lineTicks, ...f }) => {
    let best: [number, number] | null = null;
    for (const e of lineTicks) if (!best || e[1] > best[1]) best = e;
    return { ...f, hotLine: best ? best[0] : null };
  });
  functions.sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs: totalUs / 1000, idleMs: idleUs / 1000, functions };
}
