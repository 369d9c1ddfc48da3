import { defineConfig } from "vitest/config";

// End-to-end: real `wrangler dev` processes and real SDK worker processes, over HTTP. Files run
// one at a time (each starts its own platform on its own port and state directory).
export default defineConfig({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
