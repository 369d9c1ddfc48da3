import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RegisterWorkerResponse, Task } from "@sundial/sdk/protocol";

/** An answer the fake gives: status and JSON body (problem+json when `problem` is set). */
export interface FakeAnswer {
  status: number;
  body?: unknown;
  problem?: boolean;
  /** Headers to add (e.g. `retry-after`). */
  headers?: Record<string, string>;
  /** When set, the status and headers are sent at once and the body only once this settles (a body arriving late). */
  bodyAfter?: Promise<unknown>;
}

/** One request as the fake received it. */
export interface FakeRequest {
  method: string;
  path: string;
  /** The query string without `?` ("" when none), exactly as sent. */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (`{}` when none was sent). */
  body: Record<string, unknown>;
  /** The body exactly as sent ("" when none). */
  rawBody: string;
}

type Handler = (body: Record<string, unknown>, req: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

/**
 * A tiny in-process stand-in for the platform's worker endpoints, enough to exercise the worker's
 * HTTP loop (retries, stale tasks, shutdown). Polls are held up to `holdMs`, then answered 204.
 */
export class FakePlatform {
  readonly requests: FakeRequest[] = [];
  holdMs = 100;
  private server: Server | undefined;
  private readonly handlers = new Map<string, Handler>();
  private readonly queues = { workflow: [] as Task[], activity: [] as Task[] };
  private readonly waiters = { workflow: [] as (() => void)[], activity: [] as (() => void)[] };

  url = "";

  constructor() {
    // The real answer's shape (RegisterWorkerResponse): every workflow applied, no conflicts.
    this.on("/v1/workflows/workers/register", (body) => {
      const workflows = (body.workflows as { name: string; schedules?: unknown[] }[] | undefined) ?? [];
      const answer: RegisterWorkerResponse = {
        namespace: "default",
        task_queue: String(body.task_queue ?? "default"),
        workflows: workflows.map((w) => ({ name: w.name, schedules: [], applied: true })),
        activities: (body.activities as string[] | undefined) ?? [],
        conflicts: [],
      };
      return { status: 200, body: answer };
    });
    for (const p of ["workflow/complete", "workflow/fail", "activity/complete", "activity/fail"]) {
      this.on(`/v1/workflows/tasks/${p}`, () => ({ status: 200, body: { status: "accepted" } }));
    }
    this.on("/v1/workflows/tasks/activity/heartbeat", () => ({ status: 200, body: { cancel_requested: false } }));
  }

  /** Replaces the handler of one path, for every method, or of one method and path ("PATCH /v1/…"). */
  on(path: string, handler: Handler): this {
    this.handlers.set(path, handler);
    return this;
  }

  /** Queues a task for the next poll of its kind. */
  push(task: Task): void {
    this.queues[task.kind].push(task);
    this.waiters[task.kind].shift()?.();
  }

  /** Requests received on one path. */
  calls(path: string): Record<string, unknown>[] {
    return this.requests.filter((r) => r.path === path).map((r) => r.body);
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const method = req.method ?? "GET";
    const request: FakeRequest = { method, path, query: url.search.replace(/^\?/, ""), headers: req.headers, body, rawBody: text };
    this.requests.push(request);
    if (path === "/v1/workflows/tasks/poll" && !this.handlers.has(path)) return this.poll(body.kind as "workflow" | "activity", res);
    const handler = this.handlers.get(`${method} ${path}`) ?? this.handlers.get(path);
    const answer = handler ? await handler(body, request) : { status: 404, problem: true, body: problem(404, "not_found", `no route ${method} ${path}`) };
    await send(res, answer);
  }

  private async poll(kind: "workflow" | "activity", res: ServerResponse): Promise<void> {
    if (this.queues[kind].length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.holdMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters[kind].push(done);
        res.on("close", done);
      });
    }
    if (res.destroyed || res.writableEnded) return;
    const task = this.queues[kind].shift();
    if (task === undefined) return void res.writeHead(204).end();
    await send(res, { status: 200, body: task });
  }
}

export function problem(status: number, code: string, detail: string): Record<string, unknown> {
  return { type: `https://sundial.dev/problems/${code}`, title: "Error", status, detail, code };
}

async function send(res: ServerResponse, answer: FakeAnswer): Promise<void> {
  if (res.destroyed) return;
  const contentType = answer.problem ? "application/problem+json" : "application/json";
  res.writeHead(answer.status, { "content-type": contentType, ...answer.headers });
  if (answer.bodyAfter !== undefined) {
    res.flushHeaders();
    await answer.bodyAfter.catch(() => {});
    if (res.destroyed) return;
  }
  res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
}

/** Waits until `check` holds (polling every 5 ms), failing after `ms`. */
export async function until(check: () => boolean, ms = 3000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
