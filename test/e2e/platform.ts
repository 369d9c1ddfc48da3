import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const DEV_KEY = "dev.sundial-local-development-key";
const BIN = join(ROOT, "node_modules/.bin");

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

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? res() : rej(new Error(`${cmd} ${args.join(" ")} exited ${code}\n${out}`))));
  });
}

/** A real `wrangler dev` serving the Worker on loopback, with its own persisted state. */
export class Platform {
  readonly url: string;
  private proc: ChildProcess | null = null;
  log = "";

  private constructor(
    readonly port: number,
    readonly stateDir: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(): Promise<Platform> {
    const stateDir = mkdtempSync(join(tmpdir(), "sundial-e2e-"));
    const p = new Platform(await freePort(), stateDir);
    await run(join(BIN, "wrangler"), ["d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir], { CI: "true" });
    await p.boot();
    return p;
  }

  /** Starts wrangler dev on the same port and state and waits for /v1/health. */
  async boot(): Promise<void> {
    const inspector = await freePort();
    this.proc = spawn(
      join(BIN, "wrangler"),
      ["dev", "--ip", "127.0.0.1", "--port", String(this.port), "--inspector-port", String(inspector), "--persist-to", this.stateDir, "--var", "SUNDIAL_DEV_MODE:true", "--show-interactive-dev-session=false"],
      { cwd: ROOT, env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, CI: "true", WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    this.proc.stdout?.on("data", (d) => (this.log += d));
    this.proc.stderr?.on("data", (d) => (this.log += d));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`${this.url}/v1/health`);
        if (r.ok) return;
      } catch {
        /* not up yet */
      }
      if (this.proc.exitCode !== null) throw new Error(`wrangler dev exited early:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`wrangler dev did not become healthy in 90 s:\n${this.log.slice(-4000)}`);
  }

  /** Kills the whole wrangler process group (workerd included) with the given signal. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.pid === undefined) return;
    const exited = new Promise<void>((r) => p.once("exit", () => r()));
    try {
      process.kill(-p.pid, signal);
    } catch {
      p.kill(signal);
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    this.proc = null;
    // Give the OS a moment to release the port before a restart binds it again.
    await new Promise((r) => setTimeout(r, 500));
  }

  async restart(): Promise<void> {
    await this.kill("SIGKILL");
    await this.boot();
  }

  async stop(): Promise<void> {
    await this.kill("SIGTERM");
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  /** JSON over HTTP with the development key. */
  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const r = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }
}

/** A real SDK worker process (node running a .ts file), killable like a real crash. */
export class WorkerProcess {
  private proc: ChildProcess;
  log = "";

  constructor(script: string, env: Record<string, string>) {
    this.proc = spawn(join(BIN, "node"), [join(ROOT, script)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stdout?.on("data", (d) => (this.log += d));
    this.proc.stderr?.on("data", (d) => (this.log += d));
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
      if (Date.now() > deadline) throw new Error(`worker did not print ${JSON.stringify(text)}:\n${this.log.slice(-3000)}`);
      if (this.exited) throw new Error(`worker exited before printing ${JSON.stringify(text)}:\n${this.log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((r) => this.proc.once("exit", () => r()));
    this.proc.kill(signal);
    await Promise.race([done, new Promise((r) => setTimeout(r, 15_000))]);
  }
}

/** Polls until `fn` returns a truthy value (or throws after the timeout). */
export async function eventually<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}
