/**
 * `WranglerDev`: a real `wrangler dev` on a free loopback port with its own state directory,
 * serving a snapshot of the Worker (bundled once with `wrangler deploy --dry-run`), so an edit to
 * src/ made while it runs cannot hot-reload the Worker in the middle of a test or a measurement.
 * Its processes are stopped by the clean-up registry of processes.ts (`cleanup()`, signals, exit).
 *
 * Erasable TypeScript only, like processes.ts: the bench and soak scripts run on Node's type stripping.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN, descendants, exited, freePort, procName, register, ROOT, rssMiB, runBin, sleep, tempDir, unregister, type Cleanup } from "./processes.ts";

export interface WranglerDevOptions {
  /** Names the temporary directory (`sundial-<prefix>-…`). */
  prefix: string;
  /** The wrangler configuration to snapshot, relative to the repo root (default `wrangler.toml`). */
  config?: string;
  /** Where the state directory goes (default: the OS's temporary directory). */
  root?: string;
  /** Arguments wrangler dev gets besides config, address, ports and state. */
  devArgs?: string[];
}

/** A real `wrangler dev` on loopback serving a snapshot of the Worker, with its own persisted state. */
export class WranglerDev {
  readonly url: string;
  readonly port: number;
  /** The temporary directory: the bundle, the snapshot configuration and wrangler's state. */
  readonly dir: string;
  private readonly devArgs: string[];
  private proc: ChildProcess | null = null;
  private entry: Cleanup | null = null;
  /** How many times wrangler dev was started (restarts included). */
  boots = 0;
  log = "";

  private constructor(port: number, dir: string, devArgs: string[]) {
    this.port = port;
    this.dir = dir;
    this.devArgs = devArgs;
    this.url = `http://127.0.0.1:${port}`;
  }

  /**
   * Creates the temporary directory, bundles the Worker into it once (`wrangler deploy --dry-run`),
   * writes a copy of the configuration that serves that bundle with `no_bundle = true`, and
   * applies the D1 migrations to its state (wrangler dev not started yet).
   */
  static async prepare(o: WranglerDevOptions): Promise<WranglerDev> {
    const config = o.config ?? "wrangler.toml";
    const p = new WranglerDev(await freePort(), tempDir(o.prefix, o.root), o.devArgs ?? []);
    const bundleDir = join(p.dir, "bundle");
    await runBin("wrangler", ["deploy", "--dry-run", "--outdir", bundleDir, "-c", config]);
    const bundle = readdirSync(bundleDir).find((f) => f.endsWith(".js"));
    if (!bundle) throw new Error(`wrangler deploy --dry-run wrote no .js file to ${bundleDir}`);
    const snapshot = readFileSync(join(ROOT, config), "utf8")
      .replace(/^main = .*$/m, `main = ${JSON.stringify(join(bundleDir, bundle))}\nno_bundle = true`)
      .replace(/^migrations_dir = .*$/m, `migrations_dir = ${JSON.stringify(join(ROOT, "migrations"))}`);
    if (!snapshot.includes("no_bundle = true") || !snapshot.includes(join(ROOT, "migrations"))) throw new Error(`could not rewrite ${config} (main / migrations_dir lines not found)`);
    writeFileSync(p.config, snapshot);
    await runBin("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", p.persistDir, "-c", p.config]);
    return p;
  }

  /** wrangler's persisted state (Durable Objects, D1, Workflows). */
  get persistDir(): string {
    return join(this.dir, "state");
  }

  /** The snapshot configuration wrangler runs with. */
  get config(): string {
    return join(this.dir, "wrangler.toml");
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

  /** Starts wrangler dev on this port and state (again, after a crash); resolves when /v1/health answers. */
  async boot(): Promise<void> {
    const inspector = await freePort();
    const proc = spawn(
      join(BIN, "wrangler"),
      ["dev", "-c", this.config, "--ip", "127.0.0.1", "--port", String(this.port), "--inspector-port", String(inspector), "--persist-to", this.persistDir, "--var", "SUNDIAL_DEV_MODE:true", "--show-interactive-dev-session=false", "--log-level", "warn", ...this.devArgs],
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
    // wrangler and its workerd processes share this process group: signal the whole group.
    const killGroup = (sig: NodeJS.Signals) => {
      if (proc.pid === undefined) return;
      try {
        process.kill(-proc.pid, sig);
      } catch {
        /* group gone */
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

  /** SIGKILLs the whole process group (wrangler and workerd): a crash, nothing flushed. boot() starts it again on the same state. */
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
    if (this.entry) unregister(this.entry);
    this.entry = null;
    this.proc = null;
    await sleep(300); // let the OS release the port
  }

  /** Stops wrangler dev (and workerd) gracefully. The state directory stays until cleanup(). */
  async stop(): Promise<void> {
    if (!this.entry) return;
    await this.entry.async();
    unregister(this.entry);
    this.entry = null;
    this.proc = null;
  }

  /** wrangler's pid, also the process group of wrangler and its workerd processes. */
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
