import { describe, expect, it } from "vitest";
import { BadRequestError, ConflictError, ForbiddenError, NotConfiguredError, NotFoundError, PayloadTooLargeError, QueryTimeoutError, UnauthorizedError, ValidationError } from "../../../src/core/errors.ts";
import { Hono } from "hono";
import { problemResponse, toProblem } from "../../../src/api/problem.ts";

describe("toProblem", () => {
  it.each([
    [new BadRequestError("x", { code: "invalid_json" }), "Bad Request"],
    [new UnauthorizedError(), "Unauthorized"],
    [new ForbiddenError("x", "wrong_key_kind"), "Forbidden"],
    [new NotFoundError("x", "execution_not_found"), "Not Found"],
    [new QueryTimeoutError("no worker answered"), "Request Timeout"],
    [new ConflictError("x", "stale_task"), "Conflict"],
    [new PayloadTooLargeError("x", "input"), "Payload Too Large"],
    [new ValidationError("x"), "Unprocessable Content"],
    [new NotConfiguredError("x"), "Service Unavailable"],
  ])("titles a %s with its status's reason phrase", (err, title) => {
    const p = toProblem(err);
    expect(p).toMatchObject({ status: err.status, code: err.code, title });
  });
});

describe("errors of Durable Objects' infrastructure", () => {
  // Cloudflare flags them on the Error (durable-objects/best-practices/error-handling): `.retryable`
  // (safe to retry an idempotent call), `.overloaded` (back off). They are not bugs: a 503.
  const flaggedError = (flags: Record<string, boolean>) => Object.assign(new Error("Durable Object reset because its code was updated."), flags);

  it("a retryable one is a 503 object_unavailable", () => {
    expect(toProblem(flaggedError({ retryable: true }))).toMatchObject({ status: 503, code: "object_unavailable", title: "Service Unavailable" });
  });

  it("an overloaded one is a 503 object_overloaded, even when also retryable", () => {
    expect(toProblem(flaggedError({ overloaded: true, retryable: true }))).toMatchObject({ status: 503, code: "object_overloaded" });
  });

  it.each([
    [{ retryable: true }, "1"],
    [{ overloaded: true }, "5"],
  ])("the response (%o) says when to retry", async (flags, seconds) => {
    const app = new Hono();
    app.get("/", () => {
      throw flaggedError(flags);
    });
    app.onError((err, c) => problemResponse(c, err));
    const res = await app.request("/");
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("retry-after")).toBe(seconds);
  });

  it("an error thrown by our own code stays a 500 internal (a bug)", () => {
    expect(toProblem(flaggedError({ remote: true }))).toMatchObject({ status: 500, code: "internal" });
    expect(toProblem(new TypeError("x is undefined"))).toMatchObject({ status: 500, code: "internal" });
  });
});
