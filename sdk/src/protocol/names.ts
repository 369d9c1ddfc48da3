import { z } from "zod";

const ID_CHARS = /^[A-Za-z0-9][A-Za-z0-9._:@+=-]*$/;
const ID_CHARS_MESSAGE = "use letters, digits and . _ : @ + = - (no spaces or slashes), starting with a letter or digit";

/** Ids users choose (execution ids, schedule ids, keys): printable, no slashes, bounded. */
export const Identifier = z.string().min(1).max(200).regex(ID_CHARS, ID_CHARS_MESSAGE);

/**
 * The longest id that names an existing schedule or execution. Ids the platform composes from
 * others are longer than a chosen one may be: a default schedule id `{workflow}:{key}` (401), a
 * scheduled run's `{schedule_id}:{time}` and a trigger's `{schedule_id}:{time}:trigger:{request_id}`
 * (up to 635), a default child id `{parent}:child-{n}` (its parent's plus a few characters).
 */
export const MAX_ID_LENGTH = 1024;

/** An id in a path, naming an existing schedule or execution: a chosen {@link Identifier} or a composed one. */
export const IdReference = z.string().min(1).max(MAX_ID_LENGTH).regex(ID_CHARS, ID_CHARS_MESSAGE);

/** Workflow, activity, task queue, signal, query and update names: 1-200 letters, digits and . _ : -, starting with a letter or digit. */
export const Name = z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "use letters, digits and . _ : -");
