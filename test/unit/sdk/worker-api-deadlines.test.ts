import { afterEach, expect, it, vi } from "vitest";
import { HttpTransport } from "@sundial/sdk/client";
import { silentWorkerLogger } from "@sundial/sdk/worker";
import { REQUEST_TIMEOUT_MS, WorkerApi } from "../../../sdk/src/worker/api.ts";

afterEach(() => {
  vi.useRealTimers();
});

it("a completion the platform never answers is given up after REQUEST_TIMEOUT_MS and sent again with the same token", async () => {
  vi.useFakeTimers();
  const tokens: unknown[] = [];
  const fetchImpl = (async (_input: URL | string, init?: RequestInit) => {
    tokens.push((JSON.parse(init!.body as string) as { task_token: string }).task_token);
    // The first completion is taken and never answered; the retry is accepted.
    if (tokens.length === 1) return new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
    return new Response(JSON.stringify({ status: "accepted" }), { status: 200, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  const api = new WorkerApi(new HttpTransport({ url: "http://platform.test", apiKey: "dev.key", fetch: fetchImpl }), silentWorkerLogger, { initialMs: 10, maxMs: 10, attempts: 8 });
  const completion = api.completeActivityTask("t-1", "done");
  await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS - 1);
  expect(tokens).toEqual(["t-1"]);
  await vi.advanceTimersByTimeAsync(1 + 10);
  expect(await completion).toMatchObject({ outcome: "accepted" });
  expect(tokens).toEqual(["t-1", "t-1"]);
});
