/**
 * The timing method every suite shares: warm up, then time whole passes over a fixed workload,
 * repeat, and report the median rate; a separate pass times each operation for percentiles.
 */

/**
 * A chained workload of `opsPerPass` operations (one pass = one walk over the benchmark span).
 * `run(ops)` continues from where the previous call stopped and wraps to the span start after
 * every `opsPerPass` operations, so `run(k * opsPerPass)` is exactly k passes of work wherever it
 * starts. `timedPass` resets to the span start and records each operation's latency (ms) and result.
 */
export interface Workload {
  readonly opsPerPass: number;
  /** Runs `ops` operations; returns a value derived from the results (kept so nothing is optimised away). */
  run(ops: number): number;
  /** One pass from the span start, timing each operation; `latencies[i]` in ms, `results[i]` the op's output. */
  timedPass(latencies: Float64Array, results: Float64Array): void;
}

/** How a measurement is taken. */
export interface MeasureOptions {
  /** Time spent warming up (JIT, caches) before anything is timed. */
  warmupMs: number;
  /** A repetition runs whole passes until it lasts at least this long. */
  minRepMs: number;
  /** Number of timed repetitions; the median is reported. */
  reps: number;
}

/** What a measurement found. */
export interface Measurement {
  /** Median over the repetitions of operations per second. */
  opsPerSec: number;
  /** Slowest and fastest repetition, ops/s. */
  minOpsPerSec: number;
  maxOpsPerSec: number;
  /** Passes per repetition (calibrated from the warm-up). */
  passesPerRep: number;
  /** Per-operation latency percentiles in µs, timer overhead subtracted. */
  p50Us: number;
  p99Us: number;
  /** Each operation's output in the timed pass (for cross-checking implementations). */
  results: Float64Array;
  /** Accumulated results, printed so no work can be elided. */
  checksum: number;
}

/** A measurement that could not finish: the workload threw. */
export interface MeasureFailure {
  error: Error;
}

let timerOverheadMs: number | undefined;

/** Median cost of one back-to-back `performance.now()` pair, in ms (subtracted from per-op latencies). */
export function timerOverhead(): number {
  if (timerOverheadMs !== undefined) return timerOverheadMs;
  const samples = new Float64Array(200_001);
  for (let i = 0; i < samples.length; i++) {
    const a = performance.now();
    const b = performance.now();
    samples[i] = b - a;
  }
  timerOverheadMs = quantile(samples.sort(), 0.5);
  return timerOverheadMs;
}

/** The q-quantile of an ascending array (nearest rank). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Measures a workload: warm-up (chunks of at most 1,000 ops for `warmupMs`), calibration of how
 * many passes make a repetition last `minRepMs`, `reps` timed repetitions, then one per-op timed pass.
 * Returns a failure instead of throwing when the workload throws (a library bug is a result too).
 */
export function measure(w: Workload, opts: MeasureOptions): Measurement | MeasureFailure {
  try {
    const n = w.opsPerPass;
    let checksum = 0;
    const chunk = Math.min(n, 1000);
    let warmOps = 0;
    const w0 = performance.now();
    do {
      checksum += w.run(chunk);
      warmOps += chunk;
    } while (performance.now() - w0 < opts.warmupMs);
    const msPerOp = (performance.now() - w0) / warmOps;
    const passesPerRep = Math.max(1, Math.ceil(opts.minRepMs / (msPerOp * n)));
    const rates: number[] = [];
    for (let r = 0; r < opts.reps; r++) {
      const t0 = performance.now();
      checksum += w.run(passesPerRep * n);
      const elapsed = performance.now() - t0;
      rates.push((passesPerRep * n * 1000) / elapsed);
    }
    const latencies = new Float64Array(n);
    const results = new Float64Array(n);
    w.timedPass(latencies, results);
    const overhead = timerOverhead();
    latencies.sort();
    const us = (q: number) => Math.max(0, quantile(latencies, q) - overhead) * 1000;
    return {
      opsPerSec: median(rates),
      minOpsPerSec: Math.min(...rates),
      maxOpsPerSec: Math.max(...rates),
      passesPerRep,
      p50Us: us(0.5),
      p99Us: us(0.99),
      results,
      checksum,
    };
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/** Narrows a measure() result. */
export function isFailure(m: Measurement | MeasureFailure): m is MeasureFailure {
  return "error" in m;
}
