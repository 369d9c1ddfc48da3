/**
 * What the soak scripts add to the shared process harness (test/support/processes.ts and
 * wrangler-dev.ts: `wrangler dev` on a snapshot of the Worker, SDK worker processes, clean-up on
 * exit and on signals): an HTTP
 * client that counts every response and never throws, flags, tables and the measured revision.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Child, DEV_KEY, ROOT, sleep } from "../../support/processes.ts";
import { WranglerDev } from "../../support/wrangler-dev.ts";

export { Child, cleanup, pool, rssMiB, sleep } from "../../support/processes.ts";

/** The soak's `wrangler dev`: the project's own wrangler.toml, state in a temporary directory. */
export const SoakPlatform = {
  prepare: () => WranglerDev.prepare({ prefix: "soak-platform" }),
};

/** SDK worker processes of the soak: the project's Node 22 running a .ts fixture, output also appended to `logFile`. */
export const soakWorker = (name: string, script: string, env: Record<string, string>, logFile: string) => Child.node(name, script, env, { logFile, stopGraceMs: 8_000 });

// ---------------------------------------------------------------------------------------------
// /proc

/** Total CPU time (user + system) of a process in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** Counts every response the soak driver sees, by status (0 = connection error / timeout). */
export class HttpStats {
  readonly byStatus = new Map<number, number>();
  total = 0;
  /** Responses that are neither 2xx nor expected (a 204 is a 2xx). */
  errors = 0;
  readonly errorSamples: string[] = [];

  record(status: number, what: string, ok: boolean): void {
    this.total++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    if (!ok) {
      this.errors++;
      if (this.errorSamples.length < 10) this.errorSamples.push(`${status} ${what}`);
    }
  }

  summary(): string {
    return [...this.byStatus.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s === 0 ? "conn-err" : s}:${n}`).join(" ");
  }
}

/** JSON over HTTP with the dev key; never throws (status 0 for a connection error or timeout). */
export async function api(base: string, method: string, path: string, body?: unknown, opts: { stats?: HttpStats; timeoutMs?: number } = {}): Promise<{ status: number; body: any }> {
  let status = 0;
  let parsed: any = null;
  try {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json" },
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    status = r.status;
    const text = await r.text();
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
  } catch (err) {
    parsed = { error: String(err) };
  }
  opts.stats?.record(status, `${method} ${path.split("?")[0]} ${typeof parsed === "object" && parsed ? (parsed.code ?? parsed.error ?? "") : ""}`.slice(0, 200), status >= 200 && status < 300);
  return { status, body: parsed };
}

/** `api` that retries (connection errors and 5xx) until it gets a 2xx or `timeoutMs` passes. */
export async function apiOk(base: string, method: string, path: string, body?: unknown, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const r = await api(base, method, path, body);
    if (r.status >= 200 && r.status < 300) return r.body;
    last = `${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
    if (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) break;
    await sleep(500);
  }
  throw new Error(`${method} ${path} failed: ${last}`);
}

// ---------------------------------------------------------------------------------------------
// CLI and output

/** `--name value` / `--name=value` flags with numeric defaults. */
export function flags<T extends Record<string, number>>(defaults: T, argv = process.argv.slice(2)): T {
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) continue;
    const [k, inline] = a.slice(2).split("=", 2) as [string, string | undefined];
    if (!(k in defaults)) throw new Error(`unknown flag --${k} (known: ${Object.keys(defaults).map((x) => `--${x}`).join(" ")})`);
    const v = Number(inline ?? argv[++i]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${k} needs a non-negative number`);
    out[k] = v;
  }
  return out as T;
}

/** One two-column table (what | value), plus a verdict column for invariants. */
export function table(title: string, rows: [string, string | number, string?][]): string {
  const w0 = Math.max(...rows.map((r) => r[0].length), 4);
  const w1 = Math.max(...rows.map((r) => String(r[1]).length), 5);
  const line = `+-${"-".repeat(w0)}-+-${"-".repeat(w1)}-+------+`;
  const out = [title, line, `| ${"what".padEnd(w0)} | ${"value".padEnd(w1)} | ok   |`, line];
  for (const [k, v, ok] of rows) out.push(`| ${k.padEnd(w0)} | ${String(v).padEnd(w1)} | ${(ok ?? "").padEnd(4)} |`);
  out.push(line);
  return out.join("\n");
}

export const fmtS = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const mib = (x: number | null) => (x === null ? "n/a" : `${x.toFixed(0)} MiB`);

/** The commit (and whether the tree is dirty) the run measured. */
export function revision(): string {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).stdout.trim();
  const dirty = spawnSync("git", ["status", "--porcelain", "--", "src", "sdk/src"], { cwd: ROOT, encoding: "utf8" }).stdout.trim() !== "";
  return `${head || "?"}${dirty ? "+dirty(src|sdk)" : ""}`;
}
