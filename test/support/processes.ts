/**
 * Real processes on loopback, for everything that runs Sundial the way a user does: the end-to-end
 * tests (test/e2e), the benchmarks (bench/) and the soak scripts (test/soak). One copy:
 *
 * - `WranglerDev` (wrangler-dev.ts): a real `wrangler dev` on a free port with its own state
 *   directory, serving a snapshot of the Worker, registered here for clean-up like every process.
 * - `Child`: an SDK worker process (the project's Node 22 running a .ts file) or any binary.
 * - A clean-up registry: every process and temporary directory started here is stopped or removed
 *   by `cleanup()`, and also on SIGINT/SIGTERM/SIGHUP and at exit, so a failing or interrupted run
 *   leaves no wrangler, workerd, worker or redis behind.
 *
 * Erasable TypeScript only (no parameter properties, no enums): the bench and soak scripts run on
 * Node's type stripping, the e2e tests under vitest.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BIN = join(ROOT, "node_modules/.bin");
/** The documented local development key (README "Local development"). */
export const DEV_KEY = "dev.sundial-local-development-key";

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

/** Polls until `fn` returns a truthy value; throws after the timeout (with the last error seen). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, what = "condition", everyMs = 200): Promise<T> {
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
// Clean-up registry

export interface Cleanup {
  name: string;
  sync: () => void;
  async: () => Promise<void>;
}
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
      console.error(`\n${sig}: stopping every process this run started…`);
      void cleanup().finally(() => process.exit(130));
    });
  }
}

export function register(c: Cleanup): Cleanup {
  installHooks();
  cleanups.add(c);
  return c;
}

/** Forgets an entry whose process is already stopped (cleanup() will not run it again). */
export function unregister(c: Cleanup): void {
  cleanups.delete(c);
}

/** Stops every registered process and removes every registered directory (newest first). Safe to call twice. */
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

/** Waits until a child has exited, or the timeout passed (then resolves false). */
export function exited(p: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(true);
  return Promise.race([new Promise<boolean>((r) => p.once("exit", () => r(true))), sleep(timeoutMs).then(() => false)]);
}

/** A fresh temporary directory under `root` (default: the OS's), removed at clean-up. */
export function tempDir(prefix: string, root = tmpdir()): string {
  const dir = mkdtempSync(join(root, `sundial-${prefix}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  register({ name: `temp dir ${dir}`, sync: remove, async: async () => remove() });
  return dir;
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
// /proc

/** Resident set size of one process in MiB (VmRSS), or null if it is gone. */
export function rssMiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
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

/** The command name of a process (`/proc/<pid>/comm`), or "?" if it is gone. */
export function procName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

// ---------------------------------------------------------------------------------------------
// SDK worker processes and other children

/** A child process, stopped at clean-up (SIGTERM, then SIGKILL after `stopGraceMs`). */
export class Child {
  private readonly proc: ChildProcess;
  private readonly entry: Cleanup;
  readonly name: string;
  log = "";

  constructor(name: string, cmd: string, args: string[], env: Record<string, string> = {}, opts: { logFile?: string; stopGraceMs?: number } = {}) {
    this.name = name;
    const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    const keep = (d: Buffer) => {
      this.log += d;
      if (opts.logFile) appendFileSync(opts.logFile, d);
      if (this.log.length > 100_000) this.log = this.log.slice(-50_000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    proc.on("error", (err) => (this.log += `\nspawn error: ${err.message}`));
    const grace = opts.stopGraceMs ?? 12_000;
    this.entry = register({
      name,
      sync: () => {
        if (!this.exited) proc.kill("SIGKILL");
      },
      async: async () => {
        if (this.exited) return;
        proc.kill("SIGTERM");
        if (!(await exited(proc, grace))) {
          proc.kill("SIGKILL");
          await exited(proc, 5_000);
        }
      },
    });
  }

  /** The project's Node 22 running a .ts file (relative to the repo root), e.g. an SDK worker. */
  static node(name: string, script: string, env: Record<string, string>, opts: { logFile?: string; stopGraceMs?: number } = {}): Child {
    return new Child(name, join(BIN, "node"), [join(ROOT, script)], env, opts);
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

  /** Sends `signal` (default SIGKILL: a crash) and waits for the exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.exited) {
      this.proc.kill(signal);
      await exited(this.proc, 15_000);
    }
    cleanups.delete(this.entry);
  }

  /** Graceful stop: SIGTERM, SIGKILL after the grace period. */
  async stop(): Promise<void> {
    await this.entry.async();
    cleanups.delete(this.entry);
  }
}
