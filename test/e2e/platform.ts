/**
 * The end-to-end tests' platform and worker processes, on the shared harness
 * (test/support/processes.ts, test/support/wrangler-dev.ts): a real `wrangler dev` serving a snapshot of the Worker with its own
 * state directory, and real SDK worker processes, all stopped (and the state removed) by `stop()`.
 */
import { basename, join } from "node:path";
import { BIN, Child, cleanup, DEV_KEY, ROOT } from "../support/processes.ts";
import { WranglerDev } from "../support/wrangler-dev.ts";

export { DEV_KEY, eventually, tempDir } from "../support/processes.ts";

export class Platform {
  private readonly dev: WranglerDev;

  private constructor(dev: WranglerDev) {
    this.dev = dev;
  }

  /** Bundles the Worker, applies the D1 migrations to a fresh state directory and starts wrangler dev. */
  static async start(): Promise<Platform> {
    const dev = await WranglerDev.prepare({ prefix: "e2e" });
    await dev.boot();
    return new Platform(dev);
  }

  get url(): string {
    return this.dev.url;
  }

  /** Starts wrangler dev again on the same port and state (after `crash()`). */
  boot(): Promise<void> {
    return this.dev.boot();
  }

  /** SIGKILLs wrangler and workerd: nothing is flushed. */
  crash(): Promise<void> {
    return this.dev.crash();
  }

  async restart(): Promise<void> {
    await this.dev.crash();
    await this.dev.boot();
  }

  /** Stops wrangler dev and every worker process still running, and removes the state and log directories. */
  stop(): Promise<void> {
    return cleanup();
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

/** A real SDK worker process (the project's Node 22 running a .ts file), killable like a real crash. */
export class WorkerProcess extends Child {
  constructor(script: string, env: Record<string, string>) {
    super(basename(script), join(BIN, "node"), [join(ROOT, script)], env);
  }
}
