/**
 * Real processes for the end-to-end suites, on loopback only: `wrangler dev` serving
 * bench/wrangler.bench.toml on a free port with its own state directory, SDK worker processes, and
 * any other child (redis-server). The approach is test/e2e/platform.ts's (copied, not imported:
 * bench/ does not depend on test/). Every process started here is registered for clean-up, which
 * runs at the end of a suite (`cleanup()` in a finally) and also on SIGINT/SIGTERM and at exit, so
 * a failing or interrupted suite leaves no wrangler, workerd, worker or redis behind.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BIN = join(ROOT, "node_modules/.bin");
export const BENCH_CONFIG = "bench/wrangler.bench.toml";
/** The documented local development key (README "Local development"). */
export const DEV_KEY = "dev.sundial-local-development-key";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Clean-up registry

type Cleanup = { name: string; sync: () => void; async: () => Promise<void> };
const cleanups = new Set<Cleanup>();
let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // Last resort: a synchronous kill of whatever is still registered.
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
      console.error(`\n${sig}: stopping every process this suite started…`);
      void cleanup().finally(() => process.exit(130));
    });
  }
}

function register(c: Cleanup): Cleanup {
  installHooks();
  cleanups.add(c);
  return c;
}

/** Stops every registered process (newest first). Safe to call more than once. */
export async function cleanup(): Promise<void> {
  const all = [...cleanups].reverse();
  for (const c of all) {
    try {
      await c.async();
    } catch (err) {
      console.error(`clean-up of ${c.name} failed: ${String(err)}`);
    }
    cleanups.delete(c);
  }
}

/** Waits until a child has exited, or the timeout passed (then resolves false). */
function exited(p: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(true);
  return Promise.race([new Promise<boolean>((r) => p.once("exit", () => r(true))), sleep(timeoutMs).then(() => false)]);
}

// ---------------------------------------------------------------------------------------------
// Helpers

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

/** Runs a project binary (node_modules/.bin) to completion; resolves with its stdout, rejects with its output on failure. */
export function runBin(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((res, rej) => {
    const p = spawn(join(BIN, cmd), args, { cwd: ROOT, env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, CI: "true", WRANGLER_SEND_METRICS: "false", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("error", rej);
    p.on("exit", (code) => (code === 0 ? res(out) : rej(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${(out + err).slice(-4000)}`))));
  });
}

// ---------------------------------------------------------------------------------------------
// wrangler dev

/** A real `wrangler dev` (bench config) on loopback with its own persisted state directory. */
export class Platform {
  readonly url: string;
  readonly port: number;
  readonly stateDir: string;
  private proc: ChildProcess | null = null;
  private entry: Cleanup | null = null;
  log = "";

  private constructor(port: number, stateDir: string) {
    this.port = port;
    this.stateDir = stateDir;
    this.url = `http://127.0.0.1:${port}`;
  }

  /**
   * Creates a fresh temporary directory, bundles the bench Worker into it once (`wrangler deploy
   * --dry-run`), writes a copy of bench/wrangler.bench.toml that serves that bundle with
   * `no_bundle = true`, and applies the D1 migrations to its state (wrangler not started yet).
   * Serving a snapshot means an edit to src/ made while the suite runs (another session working in
   * the same tree) cannot make wrangler rebuild and restart the Worker in the middle of a measurement.
   */
  static async prepare(prefix: string): Promise<Platform> {
    const dir = mkdtempSync(join(process.env.BENCH_STATE_ROOT ?? tmpdir(), `sundial-bench-${prefix}-`));
    register({ name: `temp dir ${dir}`, sync: () => rmSync(dir, { recursive: true, force: true }), async: async () => rmSync(dir, { recursive: true, force: true }) });
    const p = new Platform(await freePort(), dir);
    const bundleDir = join(dir, "bundle");
    await runBin("wrangler", ["deploy", "--dry-run", "--outdir", bundleDir, "-c", BENCH_CONFIG]);
    const toml = readFileSync(join(ROOT, BENCH_CONFIG), "utf8");
    const snapshot = toml
      .replace(/^main = .*$/m, `main = ${JSON.stringify(join(bundleDir, "bench-entry.js"))}\nno_bundle = true`)
      .replace(/^migrations_dir = .*$/m, `migrations_dir = ${JSON.stringify(join(ROOT, "migrations"))}`);
    if (!snapshot.includes("no_bundle = true") || !snapshot.includes(join(ROOT, "migrations"))) throw new Error(`could not rewrite ${BENCH_CONFIG} (main / migrations_dir lines not found)`);
    writeFileSync(p.config, snapshot);
    await runBin("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", p.persistDir, "-c", p.config]);
    return p;
  }

  /** wrangler's persisted state (Durable Objects, D1, Workflows). */
  get persistDir(): string {
    return join(this.stateDir, "state");
  }

  /** The snapshot configuration wrangler runs with. */
  get config(): string {
    return join(this.stateDir, "wrangler.toml");
  }

  /** Executes a SQL file against the local D1 database (before boot: wrangler dev must not hold it). */
  async d1ExecuteFile(file: string): Promise<void> {
    await runBin("wrangler", ["d1", "execute", "DB", "--local", "--persist-to", this.persistDir, "-c", this.config, "--file", file, "--yes"]);
  }

  /** Runs one SQL command against the local D1 database (before boot) and returns wrangler's --json output. */
  async d1Json(command: string): Promise<unknown> {
    const out = await runBin("wrangler", ["d1", "execute", "DB", "--local", "--persist-to", this.persistDir, "-c", this.config, "--command", command, "--json"]);
    return JSON.parse(out.slice(out.indexOf("[")));
  }

  /** Starts wrangler dev and waits for /v1/health. */
  async boot(): Promise<void> {
    const inspector = await freePort();
    const proc = spawn(
      join(BIN, "wrangler"),
      ["dev", "-c", this.config, "--ip", "127.0.0.1", "--port", String(this.port), "--inspector-port", String(inspector), "--persist-to", this.persistDir, "--var", "SUNDIAL_DEV_MODE:true", "--show-interactive-dev-session=false", "--log-level", "warn"],
      { cwd: ROOT, env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, CI: "true", WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    this.proc = proc;
    const keep = (d: Buffer) => {
      this.log += d;
      if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    // wrangler and workerd run in their own process group: kill the whole group.
    const killGroup = (sig: NodeJS.Signals) => {
      if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
      try {
        process.kill(-proc.pid, sig);
      } catch {
        proc.kill(sig);
      }
    };
    this.entry = register({
      name: "wrangler dev",
      sync: () => killGroup("SIGKILL"),
      async: async () => {
        killGroup("SIGTERM");
        if (!(await exited(proc, 10_000))) {
          killGroup("SIGKILL");
          await exited(proc, 5_000);
        }
        // workerd may outlive wrangler for a moment; make sure the group is gone.
        killGroup("SIGKILL");
      },
    });
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`${this.url}/v1/health`);
        if (r.ok) return;
      } catch {
        /* not up yet */
      }
      if (proc.exitCode !== null) throw new Error(`wrangler dev exited early:\n${this.log.slice(-4000)}`);
      await sleep(250);
    }
    throw new Error(`wrangler dev did not become healthy in 90 s:\n${this.log.slice(-4000)}`);
  }

  /** Stops wrangler dev (and workerd). The state directory stays until cleanup(). */
  async stop(): Promise<void> {
    if (!this.entry) return;
    await this.entry.async();
    cleanups.delete(this.entry);
    this.entry = null;
    this.proc = null;
  }

  /** wrangler's pid, also the process group of wrangler and its workerd processes. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The workerd processes under this wrangler (for reporting). */
  workerdPids(): number[] {
    const pid = this.proc?.pid;
    if (pid === undefined) return [];
    const r = spawnSync("pgrep", ["-g", String(pid), "workerd"], { encoding: "utf8" });
    return r.stdout.split(/\s+/).filter(Boolean).map(Number);
  }
}

// ---------------------------------------------------------------------------------------------
// SDK worker processes and other children

/** A child process (node running a .ts file, or any binary), killed at clean-up. */
export class Child {
  private readonly proc: ChildProcess;
  private readonly entry: Cleanup;
  log = "";

  constructor(name: string, cmd: string, args: string[], env: Record<string, string> = {}) {
    const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    const keep = (d: Buffer) => {
      this.log += d;
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
        if (!(await exited(proc, 12_000))) {
          proc.kill("SIGKILL");
          await exited(proc, 5_000);
        }
      },
    });
  }

  /** A node process (the project's Node 22) running a .ts file relative to the repo root. */
  static node(name: string, script: string, env: Record<string, string>): Child {
    return new Child(name, join(BIN, "node"), [join(ROOT, script)], env);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  async waitFor(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.log.includes(text)) {
      if (Date.now() > deadline) throw new Error(`process did not print ${JSON.stringify(text)}:\n${this.log.slice(-3000)}`);
      if (this.exited) throw new Error(`process exited before printing ${JSON.stringify(text)}:\n${this.log.slice(-3000)}`);
      await sleep(50);
    }
  }

  /** SIGTERM (graceful), SIGKILL after 12 s. */
  async stop(): Promise<void> {
    await this.entry.async();
    cleanups.delete(this.entry);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** JSON over HTTP with the development key; throws on a non-2xx status unless `allow` lists it. */
export async function api(base: string, method: string, path: string, body?: unknown, allow: number[] = []): Promise<{ status: number; body: any }> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!r.ok && !allow.includes(r.status)) throw new Error(`${method} ${path} -> ${r.status}: ${text.slice(0, 500)}`);
  return { status: r.status, body: parsed };
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

export { sleep };
