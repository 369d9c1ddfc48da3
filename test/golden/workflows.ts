/**
 * The workflows whose recorded histories live next to this file (`*.json`). Changing one of them in
 * a way that changes the commands it emits must fail `test/unit/sdk/golden.test.ts`: that is the
 * point, since a running execution of the old code would no longer replay. Add a new golden file
 * for new behaviour instead of editing an old one.
 */
import { z } from "zod";
import { ActivityFailure, ApplicationFailure, CancelledError, ChildWorkflowFailure, TimeoutFailure, defineActivity, defineWorkflow, type WorkflowDefinition } from "@sundial/sdk/workflow";

export const composeGreeting = defineActivity({
  name: "compose_greeting",
  options: { startToCloseTimeout: "10s" },
  run: async (name: string) => `Hello, ${name}!`,
});

/** One activity, one durable sleep; knows when a schedule started it. */
export const hello = defineWorkflow({
  name: "hello",
  input: z.object({ name: z.string().min(1) }),
  run: async (ctx, { name }) => {
    const greeting = await ctx.executeActivity(composeGreeting, name);
    await ctx.sleep("30s");
    ctx.log.info("greeted", { name });
    return { greeting, scheduled_for: ctx.schedule?.timestamp ?? null };
  },
});

/** Reserve, charge (retried by the platform), wait for the warehouse cut-off, ship; compensate on payment failure. */
export const orderFulfillment = defineWorkflow({
  name: "order_fulfillment",
  input: z.strictObject({ order_id: z.string(), amount_cents: z.number().int().positive(), sku: z.string() }),
  executionTimeout: "1d",
  run: async (ctx, order) => {
    const reservation = await ctx.executeActivity<string>("reserve_inventory", { sku: order.sku, order_id: order.order_id }, { startToCloseTimeout: "30s" });
    let receipt: string;
    try {
      receipt = await ctx.executeActivity<string>(
        "charge_payment",
        { order_id: order.order_id, amount_cents: order.amount_cents, idempotency_key: `${ctx.executionId}:charge` },
        { startToCloseTimeout: "1m", retry: { initialInterval: "2s", maximumAttempts: 5, nonRetryableErrorTypes: ["CardDeclined"] } },
      );
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      await ctx.executeActivity("release_inventory", reservation, { startToCloseTimeout: "30s" });
      throw ApplicationFailure.nonRetryable(`payment failed: ${err.cause.message}`, "PaymentFailed", { order_id: order.order_id });
    }
    await ctx.sleep("2h");
    const tracking = await ctx.executeActivity<string>("ship_order", { order_id: order.order_id, reservation }, { startToCloseTimeout: "5m", heartbeatTimeout: "30s" });
    return { order_id: order.order_id, receipt, tracking };
  },
});

/** Fans out three fetches, races a summary against a deadline, stamps the report deterministically. */
export const parallelReport = defineWorkflow({
  name: "parallel_report",
  input: z.object({ regions: z.array(z.string()).length(3) }),
  run: async (ctx, { regions }) => {
    const reportId = ctx.uuid();
    const totals = await Promise.all(regions.map((region) => ctx.executeActivity<number>("fetch_region_total", { region, report_id: reportId })));
    const summary = ctx.executeActivity<string>("summarize", { totals });
    const deadline = ctx.sleep("5m").then(() => "summary timed out");
    const text = await Promise.race([summary, deadline]);
    const sample = Math.floor(ctx.random() * 1000);
    return { report_id: reportId, total: totals.reduce((a, b) => a + b, 0), text, sample, generated_at: ctx.now().toISOString() };
  },
});

/** Sends a reminder every day until cancelled; on cancel, closes the account and ends cancelled. */
export const subscriptionReminders = defineWorkflow({
  name: "subscription_reminders",
  input: z.object({ user_id: z.string() }),
  executionTimeout: "30d",
  run: async (ctx, { user_id }) => {
    let sent = 0;
    try {
      for (;;) {
        await ctx.sleep("1d");
        await ctx.executeActivity("send_reminder", { user_id, n: ++sent }, { startToCloseTimeout: "30s" });
      }
    } catch (err) {
      if (!(err instanceof CancelledError)) throw err;
      ctx.log.warn("subscription cancelled", { user_id, sent });
      await ctx.executeActivity("close_account", { user_id, reminders_sent: sent }, { startToCloseTimeout: "30s" });
      throw err;
    }
  },
});

interface InvoiceConfig {
  accounting_code: string;
  approval_threshold_cents: number;
}

/**
 * The seed's invoice flow: fetch the PDF, extract its fields, and above the approval threshold wait
 * (up to 2 days) for an `approve` signal before posting to accounting. `get_status` answers while
 * it waits; `update_config` changes the accounting code (its validator refuses unknown codes).
 */
export const invoiceApproval = defineWorkflow({
  name: "invoice_approval",
  input: z.object({ invoice_id: z.string(), pdf_url: z.string() }),
  executionTimeout: "7d",
  run: async (ctx, { invoice_id, pdf_url }) => {
    let status = "fetching";
    let totalCents: number | null = null;
    // (asserted so TypeScript does not narrow it to null: the signal handler assigns it)
    let approval = null as { approver: string; note?: string } | null;
    let config: InvoiceConfig = { accounting_code: "GEN-6000", approval_threshold_cents: 100_000 };
    ctx.setQueryHandler("get_status", () => ({ status, total_cents: totalCents, approved_by: approval?.approver ?? null, config }), { description: "Get current status" });
    ctx.setSignalHandler(
      "approve",
      (data: { approver: string; note?: string }) => {
        approval ??= data;
      },
      { description: "Approval signal" },
    );
    ctx.setUpdateHandler(
      "update_config",
      async (patch: Partial<InvoiceConfig>) => {
        config = { ...config, ...patch };
        return { success: true, config };
      },
      {
        description: "Update workflow configuration",
        validator: (patch) => {
          if (patch.accounting_code !== undefined && !/^[A-Z]{2,5}-\d{4}$/.test(patch.accounting_code)) {
            throw ApplicationFailure.nonRetryable(`unknown accounting code ${JSON.stringify(patch.accounting_code)}`, "InvalidConfig");
          }
        },
      },
    );
    const pdf = await ctx.executeActivity<string>("fetch_invoice_pdf", { invoice_id, pdf_url }, { startToCloseTimeout: "1m" });
    status = "extracting";
    const fields = await ctx.executeActivity<{ vendor: string; total_cents: number }>("extract_fields", { pdf }, { startToCloseTimeout: "5m" });
    totalCents = fields.total_cents;
    if (fields.total_cents >= config.approval_threshold_cents) {
      status = "awaiting_approval";
      try {
        await ctx.waitCondition(() => approval !== null, "2d");
      } catch (err) {
        if (!(err instanceof TimeoutFailure)) throw err;
        status = "approval_timed_out";
        throw ApplicationFailure.nonRetryable(`invoice ${invoice_id} was not approved within 2 days`, "ApprovalTimedOut");
      }
    }
    status = "posting";
    const entry = await ctx.executeActivity<string>(
      "post_to_accounting_system",
      { invoice_id, vendor: fields.vendor, total_cents: fields.total_cents, accounting_code: config.accounting_code, approved_by: approval?.approver ?? null },
      { startToCloseTimeout: "1m" },
    );
    status = "posted";
    await ctx.waitCondition(ctx.allHandlersFinished);
    return { invoice_id, entry, approved_by: approval?.approver ?? null, accounting_code: config.accounting_code };
  },
});

/**
 * Composition: starts an audit trail child without waiting (ABANDON), charges through a child it
 * awaits, tries a child that fails (caught as ChildWorkflowFailure), then collects the audit child.
 */
export const orderWithChildren = defineWorkflow({
  name: "order_with_children",
  input: z.object({ order_id: z.string(), cents: z.number().int() }),
  run: async (ctx, { order_id, cents }) => {
    const audit = await ctx.executeChildWorkflow<string>("audit_trail", { order_id }, { wait: false });
    const charged = await ctx.executeChildWorkflow<number>("doubler", { n: cents }, { executionTimeout: "10m" });
    let refund: string | null = null;
    try {
      await ctx.executeChildWorkflow("doubler", { n: cents, fail: true }, { executionId: `${ctx.executionId}-failing-kid` });
    } catch (err) {
      if (!(err instanceof ChildWorkflowFailure)) throw err;
      refund = `${err.status}: ${err.cause.message}`;
    }
    const { runId } = await audit.started;
    const trail = await audit.result();
    return { charged, refund, audit: { execution_id: audit.executionId, started: runId !== null, trail } };
  },
});

/**
 * Patching (ctx.patched / ctx.deprecatePatch): "charge-v2" moved the charge to a new activity, and
 * "audit-v1" is in the second step of its life cycle (deprecated). Its golden is a run recorded by
 * this code: both markers, the new branch. (A history written before the patches cannot be a
 * golden here, since each golden task is replayed with its own task live; test/unit/sdk/patching.test.ts
 * replays such histories.) The answer is kept in a variable: a second `ctx.patched` call in a
 * later, live task would take the patch even in a run that took the old branch.
 */
export const patchedCheckout = defineWorkflow({
  name: "patched_checkout",
  input: z.object({ order_id: z.string() }),
  run: async (ctx, { order_id }) => {
    ctx.deprecatePatch("audit-v1");
    const v2 = ctx.patched("charge-v2");
    const receipt = await ctx.executeActivity<string>(v2 ? "charge_v2" : "charge", { order_id }, { startToCloseTimeout: "1m" });
    await ctx.sleep("1m");
    return { order_id, receipt, charged_by: v2 ? "charge_v2" : "charge" };
  },
});

/** Golden workflows by name. */
export const goldenWorkflows: ReadonlyMap<string, WorkflowDefinition> = new Map<string, WorkflowDefinition>(
  [hello, orderFulfillment, parallelReport, subscriptionReminders, invoiceApproval, orderWithChildren, patchedCheckout].map((wf) => [wf.name, wf as WorkflowDefinition]),
);
