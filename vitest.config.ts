import { defineConfig } from "vitest/config";

// Integration tests share one PostgreSQL and one Redis; each file makes its own
// database and queue prefix, but Colyseus keeps process-wide state (the match
// maker), so files run one after another in separate threads.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "threads",
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
