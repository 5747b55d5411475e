import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["tests/global-setup.ts"],
    include: ["{server,scripts,shared,client}/src/**/*.test.{ts,tsx}", "tests/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 240_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});
