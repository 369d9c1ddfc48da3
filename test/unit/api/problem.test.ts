import { describe, expect, it } from "vitest";
import { BadRequestError, ConflictError, ForbiddenError, NotConfiguredError, NotFoundError, PayloadTooLargeError, QueryTimeoutError, UnauthorizedError, ValidationError } from "../../../src/core/errors.ts";
import { toProblem } from "../../../src/api/problem.ts";

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
