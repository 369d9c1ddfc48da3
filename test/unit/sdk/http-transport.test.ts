import { getEventListeners } from "node:events";
import { afterEach, expect, it } from "vitest";
import { DEFAULT_REQUEST_TIMEOUT_MS, HttpTransport, SundialClient, SundialConnectionError } from "@sundial/sdk/client";
import { FakePlatform } from "./helpers/fake-platform.ts";

let fake: FakePlatform;
afterEach(async () => {
  await fake?.stop();
});

it("leaves no abort listener on the caller's signal once a request is answered: a worker's long-lived signals serve thousands of requests", async () => {
  fake = await new FakePlatform().start();
  fake.on("/v1/echo", () => ({ status: 200, body: { ok: true } }));
  const http = new HttpTransport({ url: fake.url, apiKey: "dev.test-key" });
  const stop = new AbortController();
  for (let i = 0; i < 20; i++) await http.request("POST", "/v1/echo", { body: { i }, signal: stop.signal });
  await expect(http.request("GET", "/v1/missing", { signal: stop.signal })).rejects.toMatchObject({ status: 404 });
  // Node's fetch keeps its own listener on the signal it was given until the request is collected.
  expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
});

it("an abort of the caller's signal still ends a request in flight, with the signal's reason", async () => {
  fake = await new FakePlatform().start();
  fake.on("/v1/hang", () => new Promise(() => {}));
  const http = new HttpTransport({ url: fake.url, apiKey: "dev.test-key" });
  const stop = new AbortController();
  const reason = new Error("worker shutting down");
  const pending = http.request("POST", "/v1/hang", { signal: stop.signal });
  setTimeout(() => stop.abort(reason), 50);
  await expect(pending).rejects.toBe(reason);
  expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
});

it("a request not answered within its timeoutMs rejects with a transient SundialConnectionError, not as an abort", async () => {
  fake = await new FakePlatform().start();
  fake.on("/v1/hang", () => new Promise(() => {}));
  const http = new HttpTransport({ url: fake.url, apiKey: "dev.test-key" });
  const stop = new AbortController();
  const began = Date.now();
  const err = await http.request("POST", "/v1/hang", { signal: stop.signal, timeoutMs: 200 }).catch((e: unknown) => e);
  expect(Date.now() - began).toBeGreaterThanOrEqual(190);
  expect(err).toBeInstanceOf(SundialConnectionError);
  expect(err).toMatchObject({ transient: true, message: expect.stringContaining("no answer within 200 ms") });
  expect(getEventListeners(stop.signal, "abort")).toHaveLength(0);
});

it("a call without a deadline of its own gives up after the client's requestTimeoutMs (default one minute), as a transient failure", async () => {
  fake = await new FakePlatform().start();
  fake.on("/v1/workflows/executions/stuck", () => new Promise(() => {}));
  const client = new SundialClient({ url: fake.url, apiKey: "dev.test-key", requestTimeoutMs: 200 });
  const began = Date.now();
  const err = await client.executions.get("stuck").catch((e: unknown) => e);
  expect(Date.now() - began).toBeGreaterThanOrEqual(190);
  expect(err).toBeInstanceOf(SundialConnectionError);
  expect(err).toMatchObject({ transient: true, message: expect.stringContaining("no answer within 200 ms") });
  expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(60_000);
  expect(() => new HttpTransport({ url: fake.url, apiKey: "dev.test-key", requestTimeoutMs: 0 })).toThrow(RangeError);
});

it("an empty, '.' or '..' id or name is a TypeError before anything is sent: the URL would name another route (the list, or one up the tree)", async () => {
  const sent: string[] = [];
  const fetchStub = (async (input: RequestInfo | URL) => {
    sent.push(String(input));
    return new Response(JSON.stringify({ workflow_types: [], executions: [], schedules: [], next_page_token: null }), { status: 200, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  const client = new SundialClient({ url: "http://sundial.test/prefix", apiKey: "dev.test-key", fetch: fetchStub });
  for (const id of ["", ".", ".."]) {
    await expect(client.workflows.get(id)).rejects.toBeInstanceOf(TypeError);
    await expect(client.executions.get(id)).rejects.toBeInstanceOf(TypeError);
    await expect(client.schedules.get(id)).rejects.toBeInstanceOf(TypeError);
    await expect(client.taskQueues.describe(id)).rejects.toBeInstanceOf(TypeError);
    await expect(client.keys.revoke(id)).rejects.toBeInstanceOf(TypeError);
    await expect(client.executions.cancel(id)).rejects.toBeInstanceOf(TypeError);
  }
  expect(sent).toEqual([]);
  // Ids that merely hold dots go out as they are.
  await client.workflows.list();
  await expect(client.workflows.get("a.b")).rejects.toMatchObject({ code: "invalid_response" });
  expect(sent.map((u) => new URL(u).pathname)).toEqual(["/prefix/v1/workflows/types", "/prefix/v1/workflows/types/a.b"]);
});
