import { expect, it } from "vitest";
import { ResultTimeoutError, SundialClient, SundialConnectionError, UpdateTimeoutError } from "@sundial/sdk/client";

/**
 * A platform that takes each request and never answers it (a restarting object, a black-holed
 * connection), but for those `answer` returns a response for (by their number, from 1).
 */
function hanging(answer: (n: number) => Response | undefined = () => undefined, requestTimeoutMs?: number) {
  const seen: string[] = [];
  const fetchImpl = (async (input: URL | string, init?: RequestInit) => {
    seen.push(`${init?.method ?? "GET"} ${String(input)}`);
    const response = answer(seen.length);
    if (response) return response;
    return new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
  }) as typeof fetch;
  return { seen, client: new SundialClient({ url: "http://platform.test", apiKey: "dev.key", fetch: fetchImpl, ...(requestTimeoutMs === undefined ? {} : { requestTimeoutMs }) }) };
}

/** What `call` rejected with (undefined if it resolved), and after how many ms. */
async function settle(call: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const began = Date.now();
  const error = await call().then(() => undefined, (err: unknown) => err);
  return { error, ms: Date.now() - began };
}

it("result({ timeout }) gives up with ResultTimeoutError at its timeout even when the platform never answers the held request", async () => {
  const { seen, client } = hanging();
  const { error, ms } = await settle(() => client.executions.result("order-17", { timeout: "1s" }));
  expect(error).toBeInstanceOf(ResultTimeoutError);
  // The 1 s hold and the 1 s margin for its answer, not the minutes a hung connection lasts.
  expect(ms).toBeGreaterThanOrEqual(1_000);
  expect(ms).toBeLessThan(3_000);
  expect(seen).toHaveLength(1);
});

it("result() asks again when a held request is left unanswered past its hold and the call's timeout has not passed", async () => {
  const closed = new Response(JSON.stringify({ execution_id: "order-17", status: "completed", result: 7, failure: null }), { status: 200, headers: { "content-type": "application/json" } });
  const { seen, client } = hanging((n) => (n === 2 ? closed : undefined));
  const began = Date.now();
  expect(await client.executions.result("order-17", { waitSeconds: 1 })).toMatchObject({ status: "completed", result: 7 });
  expect(seen).toEqual(Array(2).fill("GET http://platform.test/v1/workflows/executions/order-17/result?wait_seconds=1"));
  expect(Date.now() - began).toBeGreaterThanOrEqual(2_000);
});

it("update({ wait }) gives up with UpdateTimeoutError, naming the update id, when the platform never answers the held request", async () => {
  const { seen, client } = hanging();
  const { error, ms } = await settle(() => client.executions.update("order-17", "set_address", { city: "Lyon" }, { wait: "1s", updateId: "u-1" }));
  expect(error).toBeInstanceOf(UpdateTimeoutError);
  expect(error).toMatchObject({ updateId: "u-1" });
  expect(ms).toBeLessThan(3_000);
  expect(seen).toHaveLength(1);
});

it("a timeout or wait with a fraction of a second holds too: each call gives up at most 1 s after it when the platform never answers", async () => {
  // The hold asked for is the time left rounded up to whole seconds (1.1 s → 2 s, 0.1 s → 1 s), but
  // the request is given up 1 s after the caller's own deadline, not 1 s after that rounded hold.
  for (const [what, call, deadlineMs] of [
    ["result", (c: SundialClient) => c.executions.result("order-17", { timeout: "1100ms" }), 1_100],
    ["update", (c: SundialClient) => c.executions.update("order-17", "set_address", null, { wait: "100ms", updateId: "u-1" }), 100],
    ["execute", (c: SundialClient) => c.executions.execute("order", { executionId: "order-17", timeout: "1100ms" }), 1_100],
  ] as const) {
    const { client } = hanging();
    const { error, ms } = await settle(() => call(client));
    expect(error, what).toBeInstanceOf(what === "execute" ? SundialConnectionError : what === "update" ? UpdateTimeoutError : ResultTimeoutError);
    // At most 1 s late, with some room for a loaded machine's timers (it was 1.9 s late).
    expect(ms - deadlineMs, what).toBeLessThan(1_500);
  }
}, 15_000);

it("execute({ timeout }) sends a start again at its timeout (it waited out a Retry-After up to it) and gives that one up 1 s later too, not after the client's request timeout", async () => {
  const overloaded = new Response(JSON.stringify({ type: "t", title: "Service Unavailable", status: 503, detail: "overloaded", code: "object_overloaded" }), { status: 503, headers: { "content-type": "application/problem+json", "retry-after": "5" } });
  // A request timeout of 8 s instead of the default minute, so the test ends either way.
  const { seen, client } = hanging((n) => (n === 1 ? overloaded : undefined), 8_000);
  const { error, ms } = await settle(() => client.executions.execute("order", { executionId: "order-17", timeout: "1s" }));
  expect(error).toBeInstanceOf(SundialConnectionError);
  expect(seen).toHaveLength(2);
  expect(ms).toBeLessThan(2_500);
}, 15_000);

it("execute({ timeout }) does not wait past its timeout on a start the platform never answers: a transient SundialConnectionError, the start's fate unknown", async () => {
  const { client } = hanging();
  const { error, ms } = await settle(() => client.executions.execute("order", { executionId: "order-17", timeout: "1s" }));
  expect(error).toBeInstanceOf(SundialConnectionError);
  expect(error).toMatchObject({ transient: true });
  expect(ms).toBeLessThan(3_000);
});

it("waitSeconds that is not a finite number (NaN, Infinity, a string, null) is a TypeError naming waitSeconds, before anything is sent", async () => {
  const { seen, client } = hanging();
  for (const bad of [NaN, Infinity, "30", null]) {
    const waitSeconds = bad as never;
    for (const [call, run] of [
      ["result", () => client.executions.result("order-17", { waitSeconds })],
      ["execute", () => client.executions.execute("order", { waitSeconds })],
      ["update", () => client.executions.update("order-17", "u", null, { waitSeconds })],
    ] as const) {
      const { error } = await settle(run);
      expect(error, `${call} ${String(bad)}`).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(`${call}: waitSeconds must be a finite number of seconds (1-60, nearer values are used), got ${typeof bad === "string" ? JSON.stringify(bad) : String(bad)}`);
    }
  }
  expect(seen).toEqual([]);
});

it("waitSeconds out of 1-60 is clamped to it, as documented: 0 holds 1 s (never a busy loop), 600 holds 60 s", async () => {
  const closed = () => new Response(JSON.stringify({ execution_id: "order-17", status: "completed", result: 7, failure: null }), { status: 200, headers: { "content-type": "application/json" } });
  const { seen, client } = hanging(closed);
  await client.executions.result("order-17", { waitSeconds: 0 });
  await client.executions.result("order-17", { waitSeconds: 600 });
  expect(seen).toEqual(["GET http://platform.test/v1/workflows/executions/order-17/result?wait_seconds=1", "GET http://platform.test/v1/workflows/executions/order-17/result?wait_seconds=60"]);
});
