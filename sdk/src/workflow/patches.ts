import { MAX_PATCH_ID_LENGTH, PatchId, type Command } from "../protocol/commands.ts";
import type { HistoryEvent } from "../protocol/history.ts";

/** What {@link Patches} needs from the workflow instance. */
export interface PatchesHost {
  emit(command: Command): void;
  /**
   * A patch call the workflow task cannot go on from (an invalid id): the task fails with it, the
   * run is untouched, so fixing the code and deploying again lets every run go on.
   */
  failTask(err: Error): void;
}

/**
 * `ctx.patched(id)` and `ctx.deprecatePatch(id)`, Temporal's patching API, with the TypeScript
 * SDK's rules (`patchInternal` in `packages/workflow/src/internals.ts`):
 *
 * - code running past the end of history (live) takes the patch: it answers true and sends a
 *   `set_patch_marker` command, once per run and patch id (`sentPatches`);
 * - a replayed activation takes it only when history recorded its marker among the commands of
 *   that activation or of an earlier one (`knownPresentPatches`, which core's `NotifyHasPatch`
 *   fills as it reaches each activation's commands); otherwise it answers false and sends nothing,
 *   so code written before the patch replays its old branch;
 * - the known-present set only grows, so once a run answered true for an id it answers true for
 *   the rest of the run (and never sends a second marker).
 *
 * Where this differs from a reading of "memoize every answer": a false answer is NOT kept. A
 * replayed activation before the marker answers false, and a later activation whose commands
 * recorded the marker (or any live one) answers true — the run's history says the code switched
 * branches there, and keeping false would make that history fail to replay. Temporal's Go SDK
 * keeps the first answer (`changeVersions`); the TypeScript SDK, followed here, does not.
 */
export class Patches {
  private readonly knownPresent = new Set<string>();
  private readonly sent = new Set<string>();
  /** Live: past the end of history, or an activation whose recorded commands nobody knows yet. */
  private live = false;
  private readonly host: PatchesHost;

  constructor(host: PatchesHost) {
    this.host = host;
  }

  /**
   * A new activation. `recorded` is what history recorded for it (its command events), or null
   * when that is not known: the activation runs live (a workflow task being processed), or a
   * query replays a task still in flight — which code running now would answer live, so a query
   * on it sees the branch the task takes rather than the old one.
   */
  beginActivation(recorded: readonly HistoryEvent[] | null): void {
    this.live = recorded === null;
    for (const e of recorded ?? []) if (e.type === "marker_recorded") this.knownPresent.add(e.patch_id);
  }

  /** `ctx.patched(id)` (`deprecated` false) and `ctx.deprecatePatch(id)` (true). */
  patch(patchId: string, deprecated: boolean): boolean {
    const api = deprecated ? "ctx.deprecatePatch()" : "ctx.patched()";
    if (!PatchId.safeParse(patchId).success) {
      const err = new TypeError(`${api}: patch id ${JSON.stringify(patchId)} is invalid: use a string of 1-${MAX_PATCH_ID_LENGTH} characters`);
      this.host.failTask(err);
      throw err;
    }
    const use = this.live || this.knownPresent.has(patchId);
    if (use && !this.sent.has(patchId)) {
      this.sent.add(patchId);
      this.host.emit({ type: "set_patch_marker", patch_id: patchId, deprecated });
    }
    // Answered true once, true for the rest of the run, live or replayed (see the class comment).
    if (use) this.knownPresent.add(patchId);
    return use;
  }
}
