/**
 * Real processes for the soak scripts, on loopback only: a `wrangler dev` serving a snapshot of the
 * Worker (bundled once at start-up, so an edit to src/ made while a soak runs cannot hot-reload the
 * Worker mid-measurement), SDK worker processes, and a clean-up registry that kills everything this
 * script started — at the end, on SIGINT/SIGTERM, and at exit. Free ports, the dev key and
 * `eventually` come from the e2e harness (test/e2e/platform.ts); the kill/boot approach is the same.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// test/e2e/platform.ts holds the same helpers, but it uses TypeScript parameter properties, which
// Node's type stripping refuses (ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX): it runs under vitest only, so
// the few helpers are repeated here in erasable TypeScript.
export const ROOT = resolve(import.meta.dirname, "../../..");
export const DEV_KEY = "dev.sundial-local-development-key";
export const BIN = join(ROOT, "node_modules/.bin");
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/** Polls until `fn` returns a truthy value; throws after the timeout. */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, what = "condition", everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

// ---------------------------------------------------------------------------------------------
// Clean-up registry

interface Cleanup {
  name: string;
  sync: () => void;
  async: () => Promise<void>;
}
const cleanups = new Set<Cleanup>();
let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", () => {
    for (const c of cleanups) {
      try {
        c.sync();
      } catch {
        /* already gone */
      }
    }
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping every process this soak started…`);
      void cleanup().finally(() => process.exit(130));
    });
  }
}

function register(c: Cleanup): Cleanup {
  installHooks();
  cleanups.add(c);
  return c;
}

/** Stops every registered process and removes temp dirs (newest first). Safe to call twice. */
export async function cleanup(): Promise<void> {
  for (const c of [...cleanups].reverse()) {
    try {
      await c.async();
    } catch (err) {
      console.error(`clean-up of ${c.name} failed: ${String(err)}`);
    }
    cleanups.delete(c);
  }
}

function exited(p: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(true);
  return Promise.race([new Promise<boolean>((r) => p.once("exit", () => r(true))), sleep(timeoutMs).then(() => false)]);
}

function runBin(cmd: string, args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    const p = spawn(join(BIN, cmd), args, { cwd: ROOT, env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, CI: "true", WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("error", rej);
    p.on("exit", (code) => (code === 0 ? res(out) : rej(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${out.slice(-4000)}`))));
  });
}

/** A temporary directory removed at clean-up. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sundial-soak-${prefix}-`));
  register({ name: `temp dir ${dir}`, sync: () => rmSync(dir, { recursive: true, force: true }), async: async () => rmSync(dir, { recursive: true, force: true }) });
  return dir;
}

// ---------------------------------------------------------------------------------------------
// /proc

/** Resident set size of one process in MiB (VmRSS), or null if it is gone. */
export function rssMiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Every descendant of `pid` (children, grandchildren, …) from /proc/<pid>/task/<pid>/children. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    let kids: number[] = [];
    try {
      kids = readFileSync(`/proc/${p}/task/${p}/children`, "utf8").split(/\s+/).filter(Boolean).map(Number);
    } catch {
      /* gone */
    }
    for (const k of kids) {
      out.push(k);
      walk(k);
    }
  };
  walk(pid);
  return out;
}

export function procName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

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
// wrangler dev

/** A real `wrangler dev` on loopback with its own state, serving a bundle snapshot of src/. */
export class SoakPlatform {
  readonly url: string;
  private proc: ChildProcess | null = null;
  private entry: Cleanup | null = null;
  boots = 0;
  log = "";

  readonly port: number;
  readonly dir: string;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
    this.url = `http://127.0.0.1:${port}`;
  }

  get persistDir(): string {
    return join(this.dir, "state");
  }

  get config(): string {
    return join(this.dir, "wrangler.toml");
  }

  /** Bundles the Worker (`wrangler deploy --dry-run`), writes a config serving it, applies migrations. */
  static async prepare(): Promise<SoakPlatform> {
    const dir = tempDir("platform");
    const p = new SoakPlatform(await freePort(), dir);
    const bundleDir = join(dir, "bundle");
    await runBin("wrangler", ["deploy", "--dry-run", "--outdir", bundleDir]);
    const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
    const snapshot = toml
      .replace(/^main = .*$/m, `main = ${JSON.stringify(join(bundleDir, "index.js"))}\nno_bundle = true`)
      .replace(/^migrations_dir = .*$/m, `migrations_dir = ${JSON.stringify(join(ROOT, "migrations"))}`);
    if (!snapshot.includes("no_bundle = true") || !snapshot.includes(join(ROOT, "migrations"))) throw new Error("could not rewrite wrangler.toml (main / migrations_dir lines not found)");
    writeFileSync(p.config, snapshot);
    await runBin("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", p.persistDir, "-c", p.config]);
    return p;
  }

  /** Starts wrangler dev on the same port and state; resolves when /v1/health answers. */
  async boot(): Promise<void> {
    const inspector = await freePort();
    const proc = spawn(
      join(BIN, "wrangler"),
      ["dev", "-c", this.config, "--ip", "127.0.0.1", "--port", String(this.port), "--inspector-port", String(inspector), "--persist-to", this.persistDir, "--var", "SUNDIAL_DEV_MODE:true", "--show-interactive-dev-session=false", "--log-level", "warn"],
      { cwd: ROOT, env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, CI: "true", WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    this.proc = proc;
    this.boots++;
    const keep = (d: Buffer) => {
      this.log += d;
      if (this.log.length > 400_000) this.log = this.log.slice(-200_000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    const killGroup = (sig: NodeJS.Signals) => {
      if (proc.pid === undefined) return;
      try {
        process.kill(-proc.pid, sig); // wrangler and its workerd share this process group
      } catch {
        /* group gone */
      }
    };
    this.entry = register({
      name: "wrangler dev",
      sync: () => killGroup("SIGKILL"),
      async: async () => {
        killGroup("SIGTERM");
        if (!(await exited(proc, 10_000))) killGroup("SIGKILL");
        await sleep(300);
        killGroup("SIGKILL"); // workerd may outlive wrangler for a moment
      },
    });
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`${this.url}/v1/health`, { signal: AbortSignal.timeout(2_000) });
        if (r.ok) return;
      } catch {
        /* not up yet */
      }
      if (proc.exitCode !== null) throw new Error(`wrangler dev exited early:\n${this.log.slice(-4000)}`);
      await sleep(200);
    }
    throw new Error(`wrangler dev did not become healthy in 90 s:\n${this.log.slice(-4000)}`);
  }

  /** SIGKILLs the whole process group (wrangler and workerd): a crash, nothing flushed. */
  async crash(): Promise<void> {
    const p = this.proc;
    if (!p || p.pid === undefined) return;
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {
      /* gone */
    }
    await exited(p, 10_000);
    // Wait until no process of the group is left (workerd exits with it), then free the entry.
    for (let i = 0; i < 50 && spawnSync("pgrep", ["-g", String(p.pid)]).status === 0; i++) await sleep(100);
    if (this.entry) cleanups.delete(this.entry);
    this.entry = null;
    this.proc = null;
    await sleep(300); // let the OS release the port
  }

  async stop(): Promise<void> {
    if (!this.entry) return;
    await this.entry.async();
    cleanups.delete(this.entry);
    this.entry = null;
    this.proc = null;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** wrangler (node) and every process under it (workerd, esbuild…), with RSS in MiB. */
  tree(): { pid: number; name: string; rss: number | null }[] {
    const pid = this.proc?.pid;
    if (pid === undefined) return [];
    return [pid, ...descendants(pid)].map((p) => ({ pid: p, name: procName(p), rss: rssMiB(p) }));
  }
}

// ---------------------------------------------------------------------------------------------
// SDK worker processes

/** A node process (the project's Node 22) running a .ts file; SIGKILLed at clean-up. */
export class Child {
  private readonly proc: ChildProcess;
  private readonly entry: Cleanup;
  log = "";
  readonly name: string;

  constructor(name: string, script: string, env: Record<string, string>, logFile?: string) {
    this.name = name;
    const proc = spawn(join(BIN, "node"), [join(ROOT, script)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    const keep = (d: Buffer) => {
      this.log += d;
      if (logFile) appendFileSync(logFile, d);
      if (this.log.length > 100_000) this.log = this.log.slice(-50_000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    proc.on("error", (err) => (this.log += `\nspawn error: ${err.message}`));
    this.entry = register({
      name,
      sync: () => {
        if (!this.exited) proc.kill("SIGKILL");
      },
      async: async () => {
        if (this.exited) return;
        proc.kill("SIGTERM");
        if (!(await exited(proc, 8_000))) {
          proc.kill("SIGKILL");
          await exited(proc, 5_000);
        }
      },
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  async waitFor(text: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.log.includes(text)) {
      if (Date.now() > deadline) throw new Error(`${this.name} did not print ${JSON.stringify(text)}:\n${this.log.slice(-3000)}`);
      if (this.exited) throw new Error(`${this.name} exited before printing ${JSON.stringify(text)}:\n${this.log.slice(-3000)}`);
      await sleep(50);
    }
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.exited) {
      this.proc.kill(signal);
      await exited(this.proc, 15_000);
    }
    cleanups.delete(this.entry);
  }

  async stop(): Promise<void> {
    await this.entry.async();
    cleanups.delete(this.entry);
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

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` in flight; results in index order. */
export async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, n) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      out[i] = await fn(i);
    }
  });
  await Promise.all(lanes);
  return out;
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
