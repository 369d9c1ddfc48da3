import type { Failure } from "@sundial/sdk/protocol";

/** One field-level problem inside a validation error. */
export interface FieldIssue {
  /** Dotted path of the field at fault, e.g. `policy.overlap` or `intervals.0.every`. */
  field: string;
  message: string;
}

/**
 * Base of Sundial's error hierarchy: a stable string `code`, an HTTP `status`, and the field at
 * fault when there is one. `src/api/problem.ts` turns any of these into application/problem+json.
 */
export class SundialError extends Error {
  readonly code: string;
  readonly status: number;
  readonly field: string | undefined;
  readonly issues: FieldIssue[];
  /** The workflow-side failure behind the error (a query handler's, an update validator's), sent as problem+json `failure`. */
  readonly failure: Failure | undefined;

  constructor(code: string, status: number, message: string, opts: { field?: string; issues?: FieldIssue[]; cause?: unknown; failure?: Failure } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.field = opts.field ?? opts.issues?.[0]?.field;
    this.issues = opts.issues ?? (opts.field ? [{ field: opts.field, message }] : []);
    this.failure = opts.failure;
  }
}

/** Input that is well-formed JSON but breaks a rule (422). */
export class ValidationError extends SundialError {
  constructor(message: string, opts: { field?: string; issues?: FieldIssue[]; code?: string; cause?: unknown; failure?: Failure } = {}) {
    super(opts.code ?? "validation_failed", 422, message, opts);
  }
}

/** A cron expression that does not parse; names the field and the expression. */
export class InvalidCronError extends ValidationError {
  readonly expression: string;
  readonly reason: string;
  constructor(field: string, expression: string, reason: string) {
    super(`${field}: invalid cron expression ${JSON.stringify(expression)}: ${reason}`, { field, code: "invalid_cron" });
    this.expression = expression;
    this.reason = reason;
  }
}

/** Malformed request (not JSON, wrong content type): 400. */
export class BadRequestError extends SundialError {
  constructor(message: string, opts: { field?: string; code?: string } = {}) {
    super(opts.code ?? "bad_request", 400, message, opts);
  }
}

export class NotFoundError extends SundialError {
  constructor(message: string, code = "not_found") {
    super(code, 404, message);
  }
}

export class ConflictError extends SundialError {
  constructor(message: string, code = "conflict", opts: { field?: string } = {}) {
    super(code, 409, message, opts);
  }
}

export class UnauthorizedError extends SundialError {
  constructor(message = "missing or invalid API key", code = "unauthorized") {
    super(code, 401, message);
  }
}

export class ForbiddenError extends SundialError {
  constructor(message: string, code = "forbidden") {
    super(code, 403, message);
  }
}

export class PayloadTooLargeError extends SundialError {
  constructor(message: string, field?: string) {
    super("payload_too_large", 413, message, field === undefined ? {} : { field });
  }
}

/** The deployment lacks a secret it needs (or has one too short); it refuses rather than run open. */
export class NotConfiguredError extends SundialError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super("not_configured", 503, message, { issues });
  }
}

/** Nobody answered a query in time (no worker polling its task queue, or all busy). */
export class QueryTimeoutError extends SundialError {
  constructor(message: string) {
    super("query_timeout", 408, message);
  }
}

/** A noun with its indefinite article for messages: "an app", "a worker", "an execution_started". */
export function withArticle(word: string): string {
  return `${/^[aeiou]/i.test(word) ? "an" : "a"} ${word}`;
}
