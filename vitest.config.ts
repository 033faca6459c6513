import { defineConfig } from "vitest/config"
import SummaryReporter from "./test/summary-reporter.js"

export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    typecheck: { enabled: true, include: ["packages/*/test/**/*.test-d.ts", "test/**/*.test-d.ts"] },
    reporters: ["default", new SummaryReporter()],
    testTimeout: 30_000
  }
})
