import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Projects: `unit` runs the pure core, the SDK and the objects' platform-free helpers in plain Node (fast, and proof the core has
// no cloudflare:* imports); `integration` runs the Worker and its Durable Objects inside workerd;
// `integration-prepared` and `integration-partitions` run it with prepared starts on and with a
// partitioned task queue, as deployments configure them.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      projects: [
        {
          test: {
            name: "unit",
            include: ["test/unit/**/*.test.ts"],
            environment: "node",
          },
        },
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              // Prepared starts off: these tests drive each fire by its alarm at the fire time.
              miniflare: { bindings: { TEST_MIGRATIONS: migrations, SUNDIAL_DEV_MODE: "true", SUNDIAL_PREPARE_AHEAD_SECONDS: "0" } },
            }),
          ],
          test: {
            name: "integration",
            include: ["test/integration/**/*.test.ts"],
            exclude: ["test/integration/prepared/**", "test/integration/partitions/**"],
            setupFiles: ["./test/integration/apply-migrations.ts", "./test/integration/restore-clock.ts"],
          },
        },
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              // Prepared starts as deployed (wrangler.toml's default lead time).
              miniflare: { bindings: { TEST_MIGRATIONS: migrations, SUNDIAL_DEV_MODE: "true" } },
            }),
          ],
          test: {
            name: "integration-prepared",
            include: ["test/integration/prepared/**/*.test.ts"],
            setupFiles: ["./test/integration/apply-migrations.ts", "./test/integration/restore-clock.ts"],
          },
        },
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              // A hot queue spread over 4 partitions (SUNDIAL_TASK_QUEUE_PARTITIONS).
              miniflare: { bindings: { TEST_MIGRATIONS: migrations, SUNDIAL_DEV_MODE: "true", SUNDIAL_PREPARE_AHEAD_SECONDS: "0", SUNDIAL_TASK_QUEUE_PARTITIONS: "4" } },
            }),
          ],
          test: {
            name: "integration-partitions",
            include: ["test/integration/partitions/**/*.test.ts"],
            setupFiles: ["./test/integration/apply-migrations.ts", "./test/integration/restore-clock.ts"],
          },
        },
      ],
    },
  };
});
