/** Small statistics and formatting helpers for the end-to-end suites (latencies in ms). */
import { quantile } from "./measure.ts";

/** p50 / p99 / max of a list (nearest rank); NaN when empty. */
export function pct(values: readonly number[]): { p50: number; p99: number; max: number; n: number } {
  const s = Float64Array.from(values).sort();
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s.length ? s[s.length - 1]! : Number.NaN, n: s.length };
}

/** A latency in ms: "—" when missing, one decimal below 10 ms. */
export function ms(x: number): string {
  if (!Number.isFinite(x)) return "—";
  return Math.abs(x) < 10 ? x.toFixed(1) : x.toFixed(0);
}

/** A rate with sensible precision. */
export function rate(x: number): string {
  if (!Number.isFinite(x)) return "—";
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString("en-US");
}

/** a / b as "0.42×" ("—" when undefined). */
export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "—";
  const r = a / b;
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;
}

/** "met" / "NOT met" with the measured value and the floor. */
export function floor(label: string, ok: boolean, detail: string): string {
  return `${ok ? "met    " : "NOT met"}  ${label}: ${detail}`;
}
