/**
 * The report's text and JSON, over analyses a memory store returned after real runs: every
 * number printed is the analysis's, suggestions carry their codes and severity, and a critical
 * one is flagged (the command then exits 2).
 */
import { describe, expect, it } from "@effect/vitest"
import { Classifier, RetryStats } from "@intelligent-retry/core"
import { Effect } from "effect"
import type { Fleet } from "../src/internal/fleet.js"
import * as Report from "../src/internal/report.js"
import { healthy, outage } from "./fixtures.js"

const memoryFleet = Effect.map(RetryStats.RetryStats, (stats): Fleet => ({
  database: "memory",
  statistics: () => stats.getErrorStatistics,
  analyze: (task) => stats.analyzeTaskErrors(task),
  errorsInWindow: (window, task) => stats.errorsInWindow(window, task),
  samples: (since) => Effect.map(stats.recentSamples(), (all) => all.filter((s) => s.time >= since)),
  timeline: () => Effect.succeed([])
}))

const NOW = Date.UTC(2026, 10, 29, 17, 0, 0)

describe("report rendering", () => {
  it.effect("prints each task's counts, outcomes and recovery rate as the analysis returned them", () =>
    Effect.gen(function*() {
      yield* healthy
      const fleet = yield* memoryFleet
      const report = yield* Report.read(fleet, NOW, undefined, undefined)
      const tracking = yield* RetryStats.analyzeTaskErrors("update_tracking_info")
      const all = yield* RetryStats.analyzeTaskErrors()
      expect(report.fleet).toEqual(all)
      expect(report.tasks.map((t) => t.taskName)).toEqual(["update_tracking_info", "capture_screenshot"])
      expect(report.critical).toBe(false)
      expect(tracking.totalErrors).toBe(5 + 4 + 2 + 3 + 1)

      const text = Report.renderText(report)
      const row = text.split("\n").find((line) => line.trimStart().startsWith("update_tracking_info "))!
      const cells = row.trim().split(/\s+/)
      expect(cells).toEqual([
        "update_tracking_info",
        String(tracking.totalErrors),
        ...Classifier.categories.map((c) => String(tracking.categoryDistribution[c])),
        String(tracking.retries),
        String(tracking.runs),
        String(tracking.recovered),
        String(tracking.failedRuns),
        Report.percent(tracking.recoveryRate)
      ])
      expect(text).toContain(`all tasks`)
      expect(text).toContain("No critical suggestion (exit code 0).")
      // samples are printed as the store redacted them
      expect(text).toContain("api_key=***")
      expect(text).not.toContain("sk_live_4242424242")

      const json = JSON.parse(Report.renderJson(report))
      expect(json.fleet).toEqual(JSON.parse(JSON.stringify(all)))
      expect(json.critical).toBe(false)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("lists suggestions with code and severity, most severe first, and flags a critical one", () =>
    Effect.gen(function*() {
      yield* healthy
      yield* outage("sync_orders", 12)
      const fleet = yield* memoryFleet
      const report = yield* Report.read(fleet, NOW, undefined, undefined)
      const orders = yield* RetryStats.analyzeTaskErrors("sync_orders")
      expect(orders.suggestions.map((s) => [s.code, s.severity])).toContainEqual([
        "TRANSIENT_ERRORS_EXHAUSTED",
        "critical"
      ])
      expect(report.critical).toBe(true)
      expect(report.suggestions[0]).toMatchObject({ task: "sync_orders", severity: "critical" })
      const text = Report.renderText(report)
      expect(text).toContain("CRITICAL  TRANSIENT_ERRORS_EXHAUSTED  sync_orders")
      expect(text).toContain("Critical: at least one suggestion is critical (exit code 2).")
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("gives an empty report, not an error, for an unknown task", () =>
    Effect.gen(function*() {
      yield* healthy
      const fleet = yield* memoryFleet
      const report = yield* Report.read(fleet, NOW, "no_such_task", undefined)
      expect(report.tasks).toEqual([])
      expect(report.fleet.totalErrors).toBe(0)
      expect(report.critical).toBe(false)
      expect(Report.renderText(report)).toContain(`Nothing recorded for task "no_such_task"`)
    }).pipe(Effect.provide(RetryStats.layer)))
})
