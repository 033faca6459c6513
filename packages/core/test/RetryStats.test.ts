import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Exit, Fiber, Layer, Metric, TestClock } from "effect"
import * as fc from "fast-check"
import { categories, type ErrorCategory } from "../src/ErrorCategory.js"
import { withIntelligentRetry } from "../src/IntelligentRetry.js"
import { DataError, NetworkError, TemporaryError } from "../src/RetryErrors.js"
import { outcomes, type RetryOutcome } from "../src/RetryOutcome.js"
import { InvalidPolicyError } from "../src/RetryPolicy.js"
import {
  type ErrorAnalysis,
  noop,
  OVERFLOW_TASK,
  type RetryStatsService,
  suggestionThresholds,
  unsafeMake
} from "../src/RetryStats.js"
import * as RetryStats from "../src/RetryStats.js"
import { defectOf, layerError } from "./utils.js"

// -----------------------------------------------------------------------------
// helpers: record through the unsafe recorders, with the time from Clock
// -----------------------------------------------------------------------------

const failure = (task: string, category: ErrorCategory, error: unknown = new Error("boom"), attempt = 1) =>
  Effect.gen(function*() {
    const stats = yield* RetryStats.RetryStats
    stats.unsafeRecordFailure(task, category, error, attempt, yield* Clock.currentTimeMillis)
  })

const failures = (task: string, category: ErrorCategory, n: number) =>
  Effect.forEach(Array.from({ length: n }), () => failure(task, category), { discard: true })

const retry = (task: string, category: ErrorCategory, waitMillis = 0) =>
  Effect.gen(function*() {
    const stats = yield* RetryStats.RetryStats
    stats.unsafeRecordRetry(task, category, waitMillis, yield* Clock.currentTimeMillis)
  })

const outcome = (task: string, o: RetryOutcome, category?: ErrorCategory, retries = 0, n = 1) =>
  Effect.gen(function*() {
    const stats = yield* RetryStats.RetryStats
    const now = yield* Clock.currentTimeMillis
    for (let i = 0; i < n; i++) stats.unsafeRecordOutcome(task, o, category, retries, now)
  })

const zeros = <K extends string>(keys: ReadonlyArray<K>): Record<K, number> =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>

const codes = (a: ErrorAnalysis) => a.suggestions.map((s) => s.code)

const MINUTE = 60_000
const HOUR = 60 * MINUTE

// -----------------------------------------------------------------------------

describe("RetryStats: the service", () => {
  it.effect("the default is one process-wide memory store, so statistics work with no layer", () =>
    Effect.gen(function*() {
      const a = yield* RetryStats.RetryStats
      const b = yield* RetryStats.RetryStats
      expect(a).toBe(b)
      expect(a.enabled).toBe(true)
      const fresh = yield* Effect.provide(RetryStats.RetryStats, RetryStats.layer)
      expect(fresh).not.toBe(a)
    }))

  it.effect("layer provides a fresh, empty store each time it is provided", () =>
    Effect.gen(function*() {
      yield* failure("isolated", "network_error").pipe(Effect.provide(RetryStats.layer))
      const analysis = yield* RetryStats.analyzeTaskErrors("isolated").pipe(Effect.provide(RetryStats.layer))
      expect(analysis.totalErrors).toBe(0)
    }))

  it.effect("layerNoop records nothing and reads as empty", () =>
    Effect.gen(function*() {
      const stats = yield* RetryStats.RetryStats
      expect(stats.enabled).toBe(false)
      yield* failure("t", "network_error")
      yield* retry("t", "network_error", 100)
      yield* outcome("t", "exhausted", "network_error", 1)
      const analysis = yield* RetryStats.analyzeTaskErrors()
      expect(analysis.totalErrors).toBe(0)
      expect(analysis.runs).toBe(0)
      expect(analysis.categoryDistribution).toEqual(zeros(categories))
      const statistics = yield* RetryStats.getErrorStatistics
      expect(statistics.totalErrors).toBe(0)
      expect(statistics.recentSamples).toEqual([])
      expect(yield* RetryStats.cleanupOldErrors()).toBe(0)
    }).pipe(Effect.provide(RetryStats.layerNoop)))

  it("layerWith fails with an InvalidPolicyError naming the field and the value", () => {
    const cases: ReadonlyArray<readonly [RetryStats.StoreOptions, string, RegExp]> = [
      [{ bucketWidth: -1 }, "bucketWidth", /^Invalid bucketWidth: must be a positive, finite duration, got -1$/],
      [{ bucketWidth: "1.5 millis" }, "bucketWidth", /whole number of milliseconds, got "1.5 millis"/],
      [{ sampleSize: 1.5 }, "sampleSize", /^Invalid sampleSize: must be an integer in \[0, 100000\], got 1\.5$/],
      [{ maxTasks: 0 }, "maxTasks", /got 0$/],
      [{ maxMetricTasks: -1 }, "maxMetricTasks", /got -1$/],
      [{ retention: "30 seconds" }, "retention", /at least `bucketWidth`.*got "30 seconds"/],
      [{ metrics: "yes" as any }, "metrics", /must be a boolean, got "yes"/],
      [{ bucketWidth: "soon" as any }, "bucketWidth", /got "soon"/],
      [{ bucketwidth: 1000 } as any, "options.bucketwidth", /is not an option of RetryStats/]
    ]
    for (const [options, field, message] of cases) {
      // calling never throws: the layer fails when built
      const error = layerError(RetryStats.layerWith(options))
      expect(error).toBeInstanceOf(InvalidPolicyError)
      expect(error.field).toBe(field)
      expect(error.message).toMatch(message)
      expect(Effect.runSync(Effect.flip(RetryStats.make(options))).field).toBe(field)
    }
    expect(
      Effect.runSync(
        Effect.scoped(Layer.build(RetryStats.layerWith({ bucketWidth: "1 second", retention: Duration.infinity })))
      )
    )
      .toBeDefined()
    // the unsafe constructor throws the same error
    expect(() => unsafeMake({ sampleSize: Number.NaN })).toThrow(InvalidPolicyError)
  })
})

describe("RetryStats: analysis", () => {
  it.effect("reports every category and every outcome, zeros included", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("1 minute")
      yield* failures("orders", "network_error", 2)
      yield* retry("orders", "network_error", 250)
      yield* retry("orders", "network_error", 250)
      yield* outcome("orders", "recovered", "network_error", 2)
      const analysis = yield* RetryStats.analyzeTaskErrors("orders")
      expect(analysis.taskName).toBe("orders")
      expect(analysis.totalErrors).toBe(2)
      expect(Object.keys(analysis.categoryDistribution)).toEqual([...categories])
      expect(analysis.categoryDistribution).toEqual({ ...zeros(categories), network_error: 2 })
      expect(Object.keys(analysis.outcomes)).toEqual([...outcomes])
      expect(analysis.outcomes).toEqual({ ...zeros(outcomes), recovered: 1 })
      expect(analysis.retries).toBe(2)
      expect(analysis.retriesByCategory).toEqual({ ...zeros(categories), network_error: 2 })
      expect(analysis.waitMillis).toBe(500)
      expect(analysis.runs).toBe(1)
      expect(analysis.recoveryRate).toBe(1)
      expect(analysis.window).toEqual({ from: MINUTE, to: MINUTE })
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("an unknown task gives an all-zero analysis, not an error", () =>
    Effect.gen(function*() {
      yield* failures("known", "data_error", 20)
      yield* TestClock.adjust("5 seconds")
      const analysis = yield* RetryStats.analyzeTaskErrors("unknown")
      expect(analysis).toEqual({
        taskName: "unknown",
        totalErrors: 0,
        categoryDistribution: zeros(categories),
        retries: 0,
        retriesByCategory: zeros(categories),
        waitMillis: 0,
        outcomes: zeros(outcomes),
        runs: 0,
        recovered: 0,
        failedRuns: 0,
        recoveryRate: 0,
        suggestions: [],
        window: { from: 0, to: 5000 }
      })
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("without a name it analyses all tasks", () =>
    Effect.gen(function*() {
      yield* failures("a", "network_error", 3)
      yield* failures("b", "api_rate_limit", 4)
      yield* outcome("a", "succeeded_first_try", undefined, 0, 5)
      const all = yield* RetryStats.analyzeTaskErrors()
      expect(all.taskName).toBeUndefined()
      expect(all.totalErrors).toBe(7)
      expect(all.categoryDistribution).toEqual({ ...zeros(categories), network_error: 3, api_rate_limit: 4 })
      expect(all.outcomes.succeeded_first_try).toBe(5)
      expect((yield* RetryStats.analyzeTaskErrors("b")).totalErrors).toBe(4)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("recovery rate = recovered / (recovered + failed runs); interruptions and first-try successes are left out", () =>
    Effect.gen(function*() {
      yield* outcome("t", "recovered", "network_error", 1, 3)
      yield* outcome("t", "exhausted", "temporary_error", 3)
      yield* outcome("t", "interrupted", "network_error", 1, 4)
      yield* outcome("t", "succeeded_first_try", undefined, 0, 10)
      const analysis = yield* RetryStats.analyzeTaskErrors("t")
      expect(analysis.recovered).toBe(3)
      expect(analysis.failedRuns).toBe(1)
      expect(analysis.recoveryRate).toBe(0.75)
      expect(analysis.runs).toBe(18)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("the window runs from the earliest record held to now", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("90 seconds")
      yield* failure("t", "network_error")
      yield* TestClock.adjust("1 hour")
      yield* failure("t", "network_error")
      yield* TestClock.adjust("10 seconds")
      const analysis = yield* RetryStats.analyzeTaskErrors()
      expect(analysis.window).toEqual({ from: 90_000, to: 90_000 + HOUR + 10_000 })
      const statistics = yield* RetryStats.getErrorStatistics
      expect(statistics.window).toEqual(analysis.window)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("analysis reads running totals: 1,000 tasks are analysed without scanning events", () =>
    Effect.gen(function*() {
      const stats = yield* RetryStats.RetryStats
      for (let i = 0; i < 100_000; i++) {
        stats.unsafeRecordFailure(`task-${i % 1000}`, categories[i % 6], undefined, 1, i * 100)
      }
      const analysis = yield* RetryStats.analyzeTaskErrors()
      expect(analysis.totalErrors).toBe(100_000)
      expect(analysis.categoryDistribution.network_error).toBe(Math.ceil(100_000 / 6))
    }).pipe(Effect.provide(RetryStats.layer)))
})

describe("RetryStats: suggestions", () => {
  const t = suggestionThresholds
  const analyse = (setup: Effect.Effect<void, never, never>) =>
    Effect.gen(function*() {
      yield* setup
      return yield* RetryStats.analyzeTaskErrors("t")
    }).pipe(Effect.provide(RetryStats.layer))

  it("thresholds are the documented ones", () => {
    expect(t).toEqual({
      minErrors: 10,
      minRuns: 10,
      dataErrorRetries: 1,
      dataErrorShare: 0.1,
      rateLimitShare: 0.5,
      transientExhaustedRate: 0.2,
      transientExhaustedCriticalRate: 0.5,
      networkFirstRetryRecoveryRate: 0.8,
      hintsRefused: 1,
      permanentErrorShare: 0.25
    })
  })

  it.effect("DATA_ERRORS_RETRIED fires on any retried data error, critical", () =>
    Effect.gen(function*() {
      const fired = yield* analyse(Effect.all([failure("t", "data_error"), retry("t", "data_error")]))
      expect(fired.suggestions[0]).toMatchObject({
        code: "DATA_ERRORS_RETRIED",
        severity: "critical",
        category: "data_error",
        observed: 1,
        threshold: 1
      })
      expect(fired.suggestions[0].message).toMatch(/fix validation upstream/)
      const quiet = yield* analyse(Effect.all([failure("t", "data_error"), retry("t", "network_error")]))
      expect(codes(quiet)).not.toContain("DATA_ERRORS_RETRIED")
    }))

  it.effect("DATA_ERRORS_FREQUENT fires at 10% of at least 10 failed attempts", () =>
    Effect.gen(function*() {
      const at = yield* analyse(Effect.all([failures("t", "data_error", 1), failures("t", "network_error", 9)]))
      expect(at.suggestions).toEqual([expect.objectContaining({
        code: "DATA_ERRORS_FREQUENT",
        severity: "warning",
        observed: 0.1,
        threshold: 0.1
      })])
      const below = yield* analyse(Effect.all([failures("t", "data_error", 1), failures("t", "network_error", 10)]))
      expect(codes(below)).toEqual([])
      const tooFew = yield* analyse(Effect.all([failures("t", "data_error", 4), failures("t", "network_error", 5)]))
      expect(codes(tooFew)).toEqual([])
    }))

  it.effect("RATE_LIMITS_DOMINATE fires at half of failed attempts", () =>
    Effect.gen(function*() {
      const at = yield* analyse(Effect.all([failures("t", "api_rate_limit", 5), failures("t", "network_error", 5)]))
      expect(at.suggestions).toEqual([expect.objectContaining({ code: "RATE_LIMITS_DOMINATE", observed: 0.5 })])
      expect(at.suggestions[0].message).toMatch(/concurrency/)
      const below = yield* analyse(Effect.all([failures("t", "api_rate_limit", 4), failures("t", "network_error", 6)]))
      expect(codes(below)).toEqual([])
    }))

  it.effect("TRANSIENT_ERRORS_EXHAUSTED fires per category at 20% of runs, critical at 50%", () =>
    Effect.gen(function*() {
      const warn = yield* analyse(Effect.all([
        outcome("t", "exhausted", "temporary_error", 3, 2),
        outcome("t", "recovered", "temporary_error", 2, 8)
      ]))
      expect(warn.suggestions).toEqual([expect.objectContaining({
        code: "TRANSIENT_ERRORS_EXHAUSTED",
        severity: "warning",
        category: "temporary_error",
        observed: 0.2
      })])
      const critical = yield* analyse(Effect.all([
        outcome("t", "exhausted", "system_error", 3, 5),
        outcome("t", "not_retryable", "system_error", 0, 5)
      ]))
      expect(critical.suggestions).toEqual([expect.objectContaining({
        code: "TRANSIENT_ERRORS_EXHAUSTED",
        severity: "critical",
        category: "system_error",
        observed: 0.5
      })])
      const below = yield* analyse(Effect.all([
        outcome("t", "exhausted", "temporary_error", 3, 1),
        outcome("t", "recovered", "temporary_error", 2, 9)
      ]))
      expect(codes(below)).toEqual([])
      const tooFew = yield* analyse(Effect.all([
        outcome("t", "exhausted", "temporary_error", 3, 5),
        outcome("t", "recovered", "temporary_error", 2, 4)
      ]))
      expect(codes(tooFew)).toEqual([])
      // other categories exhausting do not count
      const other = yield* analyse(outcome("t", "exhausted", "network_error", 5, 10))
      expect(codes(other)).toEqual([])
    }))

  it.effect("NETWORK_RECOVERS_ON_FIRST_RETRY fires (info) when 80% of network runs recover after exactly one retry", () =>
    Effect.gen(function*() {
      const at = yield* analyse(Effect.all([
        outcome("t", "recovered", "network_error", 1, 8),
        outcome("t", "exhausted", "network_error", 5, 2)
      ]))
      expect(at.suggestions).toEqual([expect.objectContaining({
        code: "NETWORK_RECOVERS_ON_FIRST_RETRY",
        severity: "info",
        category: "network_error",
        observed: 0.8
      })])
      const below = yield* analyse(Effect.all([
        outcome("t", "recovered", "network_error", 1, 7),
        outcome("t", "recovered", "network_error", 2, 3)
      ]))
      expect(codes(below)).toEqual([])
      const tooFew = yield* analyse(outcome("t", "recovered", "network_error", 1, 9))
      expect(codes(tooFew)).toEqual([])
    }))

  it.effect("HINTS_ABOVE_MAX_DELAY fires on any refused hint", () =>
    Effect.gen(function*() {
      const at = yield* analyse(outcome("t", "hint_exceeds_max_delay", "api_rate_limit"))
      expect(at.suggestions).toEqual([expect.objectContaining({
        code: "HINTS_ABOVE_MAX_DELAY",
        severity: "warning",
        observed: 1,
        threshold: 1
      })])
      expect(at.suggestions[0].message).toMatch(/maxDelay/)
      const none = yield* analyse(outcome("t", "exhausted", "api_rate_limit"))
      expect(codes(none)).toEqual([])
    }))

  it.effect("PERMANENT_ERRORS_FREQUENT fires at a quarter of failed attempts", () =>
    Effect.gen(function*() {
      const at = yield* analyse(Effect.all([failures("t", "permanent_error", 3), failures("t", "network_error", 9)]))
      expect(at.suggestions).toEqual([expect.objectContaining({ code: "PERMANENT_ERRORS_FREQUENT", observed: 0.25 })])
      const below = yield* analyse(Effect.all([failures("t", "permanent_error", 2), failures("t", "network_error", 8)]))
      expect(codes(below)).toEqual([])
    }))

  it.effect("suggestions come most severe first, then in rule order", () =>
    Effect.gen(function*() {
      const a = yield* analyse(Effect.all([
        failures("t", "data_error", 5),
        failures("t", "permanent_error", 5),
        retry("t", "data_error"),
        outcome("t", "recovered", "network_error", 1, 10),
        outcome("t", "hint_exceeds_max_delay", "api_rate_limit")
      ]))
      expect(codes(a)).toEqual([
        "DATA_ERRORS_RETRIED",
        "DATA_ERRORS_FREQUENT",
        "HINTS_ABOVE_MAX_DELAY",
        "PERMANENT_ERRORS_FREQUENT",
        "NETWORK_RECOVERS_ON_FIRST_RETRY"
      ])
    }))
})

describe("RetryStats: cleanup and buckets", () => {
  it.effect("drops whole buckets that end at or before now − olderThan, and counts their failed attempts", () =>
    Effect.gen(function*() {
      yield* failures("t", "network_error", 3) // bucket [0, 1 min)
      yield* retry("t", "network_error", 100)
      yield* outcome("t", "exhausted", "network_error", 1)
      yield* TestClock.adjust("10 minutes")
      yield* failures("t", "data_error", 2) // bucket [10, 11 min)
      yield* TestClock.adjust("23 hours") // now = 23h10m
      yield* failures("t", "temporary_error", 1)

      // now − 24h is negative: nothing is old enough
      expect(yield* RetryStats.cleanupOldErrors()).toBe(0)
      yield* TestClock.setTime(24 * HOUR + MINUTE - 1) // cutoff 59.999 s: bucket [0, 60 s) still overlaps
      expect(yield* RetryStats.cleanupOldErrors("24 hours")).toBe(0)
      yield* TestClock.setTime(24 * HOUR + MINUTE) // cutoff 60 s: the first bucket ends there
      expect(yield* RetryStats.cleanupOldErrors("24 hours")).toBe(3)
      const after = yield* RetryStats.analyzeTaskErrors("t")
      expect(after.totalErrors).toBe(3)
      expect(after.categoryDistribution).toEqual({ ...zeros(categories), data_error: 2, temporary_error: 1 })
      // retries and outcomes of the dropped bucket went with it
      expect(after.retries).toBe(0)
      expect(after.outcomes.exhausted).toBe(0)
      expect(after.window.from).toBe(10 * MINUTE)
      // nothing left to drop at the same time
      expect(yield* RetryStats.cleanupOldErrors("24 hours")).toBe(0)
      yield* TestClock.setTime(24 * HOUR + 11 * MINUTE)
      expect(yield* RetryStats.cleanupOldErrors()).toBe(2)
      expect(yield* RetryStats.cleanupOldErrors("0 millis")).toBe(1)
      expect((yield* RetryStats.analyzeTaskErrors()).totalErrors).toBe(0)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("drops samples older than the cutoff exactly", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(10_000)
      yield* failure("t", "network_error", new Error("old"))
      yield* TestClock.setTime(50_000)
      yield* failure("t", "network_error", new Error("newer, same bucket"))
      yield* TestClock.setTime(30_000 + HOUR)
      yield* RetryStats.cleanupOldErrors("1 hour")
      const statistics = yield* RetryStats.getErrorStatistics
      // the bucket [0, 60 s) is kept (it ends after the cutoff), but the sample at 10 s is older than it
      expect(statistics.totalErrors).toBe(2)
      expect(statistics.recentSamples.map((s) => s.message)).toEqual(["newer, same bucket"])
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("cleanup frees task names, so a folded name gets its own slot again", () =>
    Effect.gen(function*() {
      yield* failure("a", "network_error")
      yield* failure("b", "network_error")
      yield* failure("c", "network_error")
      let statistics = yield* RetryStats.getErrorStatistics
      expect(Object.keys(statistics.byTask)).toEqual(["a", "b", OVERFLOW_TASK])
      expect(statistics.taskCount).toBe(3)
      expect((yield* RetryStats.analyzeTaskErrors("c")).totalErrors).toBe(0)
      yield* TestClock.adjust("2 hours")
      yield* failure("b", "network_error")
      expect(yield* RetryStats.cleanupOldErrors("1 hour")).toBe(3)
      yield* failure("c", "network_error")
      statistics = yield* RetryStats.getErrorStatistics
      expect(Object.keys(statistics.byTask).sort()).toEqual(["b", "c"])
      expect((yield* RetryStats.analyzeTaskErrors("c")).totalErrors).toBe(1)
    }).pipe(Effect.provide(RetryStats.layerWith({ maxTasks: 2 }))))

  it.effect("records fall into buckets of bucketWidth; windows count whole buckets", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(MINUTE - 1)
      yield* failure("t", "network_error") // bucket 0
      yield* TestClock.setTime(MINUTE)
      yield* failures("t", "data_error", 2) // bucket 1
      const current = yield* RetryStats.errorsInWindow("1 minute")
      expect(current.totalErrors).toBe(2)
      expect(current.window).toEqual({ from: MINUTE, to: MINUTE })
      const two = yield* RetryStats.errorsInWindow("90 seconds") // rounded up to 2 buckets
      expect(two.totalErrors).toBe(3)
      expect(two.categoryDistribution).toEqual({ ...zeros(categories), network_error: 1, data_error: 2 })
      expect(two.window).toEqual({ from: 0, to: MINUTE })
      expect((yield* RetryStats.errorsInWindow("1 minute", "other")).totalErrors).toBe(0)
      expect((yield* RetryStats.errorsInWindow("2 minutes", "t")).totalErrors).toBe(3)
      // cleanup at the bucket boundary
      yield* TestClock.setTime(2 * MINUTE)
      expect(yield* RetryStats.cleanupOldErrors("1 minute")).toBe(1)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("bucketWidth is configurable", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(9_999)
      yield* failure("t", "network_error")
      yield* TestClock.setTime(10_000)
      yield* failure("t", "network_error")
      expect((yield* RetryStats.errorsInWindow("10 seconds")).totalErrors).toBe(1)
      yield* TestClock.setTime(20_000)
      expect(yield* RetryStats.cleanupOldErrors("10 seconds")).toBe(1)
    }).pipe(Effect.provide(RetryStats.layerWith({ bucketWidth: "10 seconds" }))))

  it.effect("retention drops old buckets by itself when a new bucket starts", () =>
    Effect.gen(function*() {
      yield* failures("t", "network_error", 4)
      yield* TestClock.setTime(HOUR)
      yield* failure("t", "network_error")
      expect((yield* RetryStats.analyzeTaskErrors()).totalErrors).toBe(5)
      yield* TestClock.setTime(HOUR + MINUTE)
      yield* failure("t", "network_error")
      // the bucket at 0 ended an hour before now: gone
      expect((yield* RetryStats.analyzeTaskErrors()).totalErrors).toBe(2)
    }).pipe(Effect.provide(RetryStats.layerWith({ retention: "1 hour" }))))

  it("cleanupOldErrors dies with an InvalidPolicyError on a negative duration, naming it", () => {
    const error = defectOf(RetryStats.cleanupOldErrors(-1)) as InvalidPolicyError
    expect(error).toBeInstanceOf(InvalidPolicyError)
    expect(error.message).toBe("Invalid olderThan: must be a non-negative duration, got -1")
    expect((defectOf(unsafeMake().cleanupOldErrors(Number.NaN)) as InvalidPolicyError).field).toBe("olderThan")
    expect((defectOf(RetryStats.errorsInWindow(0)) as InvalidPolicyError).message).toBe(
      "Invalid window: must be a positive, finite duration, got 0"
    )
  })

  it("property: every failed attempt recorded is either still held or counted by exactly one cleanup", () =>
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10 * HOUR }), fc.integer({ min: 0, max: 5 })), { maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 12 * HOUR }), { maxLength: 5 }),
        (records, cleanups) => {
          const store = unsafeMake({ retention: Duration.infinity })
          for (const [time, c] of records) store.unsafeRecordFailure("t", categories[c], undefined, 1, time)
          let dropped = 0
          for (const cutoff of cleanups) {
            dropped += Effect.runSync(
              store.cleanupOldErrors(0).pipe(
                Effect.withClock(fixedClock(cutoff))
              )
            )
          }
          const held = Effect.runSync(store.analyzeTaskErrors()).totalErrors
          expect(held + dropped).toBe(records.length)
          const maxCutoff = Math.max(-Infinity, ...cleanups)
          // records at or after the latest cutoff are always kept
          expect(held).toBeGreaterThanOrEqual(records.filter(([time]) => time >= maxCutoff).length)
        }
      )
    ))
})

const fixedClock = (now: number): Clock.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => now,
  unsafeCurrentTimeNanos: () => BigInt(now) * 1_000_000n,
  currentTimeMillis: Effect.succeed(now),
  currentTimeNanos: Effect.succeed(BigInt(now) * 1_000_000n),
  sleep: () => Effect.void
})

describe("RetryStats: statistics and samples", () => {
  it.effect("getErrorStatistics totals per task, per category and per outcome", () =>
    Effect.gen(function*() {
      yield* failures("a", "network_error", 2)
      yield* retry("a", "network_error", 100)
      yield* outcome("a", "recovered", "network_error", 1)
      yield* failure("b", "data_error")
      yield* outcome("b", "not_retryable", "data_error")
      yield* outcome("c", "succeeded_first_try", undefined, 0, 3)
      const s = yield* RetryStats.getErrorStatistics
      expect(s.totalErrors).toBe(3)
      expect(s.totalRetries).toBe(1)
      expect(s.totalWaitMillis).toBe(100)
      expect(s.totalRuns).toBe(5)
      expect(s.byCategory).toEqual({ ...zeros(categories), network_error: 2, data_error: 1 })
      expect(s.byOutcome).toEqual({ ...zeros(outcomes), recovered: 1, not_retryable: 1, succeeded_first_try: 3 })
      expect(Object.keys(s.byTask)).toEqual(["a", "b", "c"])
      expect(s.byTask.a).toEqual({
        totalErrors: 2,
        categoryDistribution: { ...zeros(categories), network_error: 2 },
        retries: 1,
        waitMillis: 100,
        outcomes: { ...zeros(outcomes), recovered: 1 }
      })
      expect(s.taskCount).toBe(3)
      expect(s.recentSamples.map((x) => [x.task, x.category, x.tag, x.message])).toEqual([
        ["a", "network_error", "Error", "boom"],
        ["a", "network_error", "Error", "boom"],
        ["b", "data_error", "Error", "boom"]
      ])
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("a task named __proto__ is an ordinary key", () =>
    Effect.gen(function*() {
      yield* failure("__proto__", "network_error")
      const s = yield* RetryStats.getErrorStatistics
      expect(Object.keys(s.byTask)).toEqual(["__proto__"])
      expect(s.byTask["__proto__"].totalErrors).toBe(1)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("the sample ring keeps the newest sampleSize samples, oldest first", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 25; i++) {
        yield* failure("t", "network_error", new NetworkError({ message: `reset ${i}` }), i + 1)
        yield* TestClock.adjust("1 second")
      }
      const samples = (yield* RetryStats.getErrorStatistics).recentSamples
      expect(samples.map((s) => s.message)).toEqual(Array.from({ length: 10 }, (_, i) => `reset ${i + 15}`))
      expect(samples[0]).toEqual({
        time: 15_000,
        task: "t",
        category: "network_error",
        tag: "NetworkError",
        message: "reset 15",
        attempt: 16
      })
      const stats = yield* RetryStats.RetryStats
      expect((yield* stats.recentSamples(2)).map((s) => s.message)).toEqual(["reset 23", "reset 24"])
    }).pipe(Effect.provide(RetryStats.layerWith({ sampleSize: 10 }))))

  it.effect("stored messages are truncated and scrubbed of secrets; causes are never stored", () =>
    Effect.gen(function*() {
      const secret = "hunter2-s3cr3t"
      const cause = { password: secret, deep: { token: secret } }
      yield* failure(
        "t",
        "network_error",
        new NetworkError({
          message: `GET https://bob:${secret}@api.example.com/v1?token=${secret}&page=2 ` +
            `Authorization: Bearer ${secret} ` + "x".repeat(2000),
          cause
        })
      )
      const [sample] = (yield* RetryStats.getErrorStatistics).recentSamples
      expect(sample.message).not.toContain(secret)
      expect(sample.message).toContain("https://***@api.example.com/v1?token=***&page=2")
      expect(sample.message).toContain("Authorization: Bearer ***")
      expect(sample.message.length).toBe(500)
      expect(sample.message.endsWith("…")).toBe(true)
      expect(JSON.stringify(sample)).not.toContain(secret)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("names beyond maxTasks are folded into the overflow task", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 10; i++) yield* failure(`dynamic-${i}`, "network_error")
      const s = yield* RetryStats.getErrorStatistics
      expect(s.taskCount).toBe(4)
      expect(s.byTask[OVERFLOW_TASK].totalErrors).toBe(7)
      expect(s.totalErrors).toBe(10)
      expect((yield* RetryStats.analyzeTaskErrors(OVERFLOW_TASK)).totalErrors).toBe(7)
    }).pipe(Effect.provide(RetryStats.layerWith({ maxTasks: 3 }))))

  it.effect("long task names are kept truncated, and found by their full name", () =>
    Effect.gen(function*() {
      const long = "t".repeat(10_000)
      yield* failure(long, "network_error")
      expect((yield* RetryStats.analyzeTaskErrors(long)).totalErrors).toBe(1)
      const s = yield* RetryStats.getErrorStatistics
      expect(Object.keys(s.byTask)[0].length).toBe(200)
    }).pipe(Effect.provide(RetryStats.layer)))
})

describe("RetryStats: concurrency and hostile values", () => {
  it.effect("10,000 concurrent fibers recording into one store lose no update", () =>
    Effect.gen(function*() {
      yield* Effect.forEach(
        Array.from({ length: 10_000 }, (_, i) => i),
        (i) =>
          Effect.gen(function*() {
            yield* Effect.yieldNow()
            yield* failure(`task-${i % 7}`, categories[i % 6])
            yield* Effect.yieldNow()
            yield* retry(`task-${i % 7}`, categories[i % 6], 10)
            yield* outcome(`task-${i % 7}`, i % 2 === 0 ? "recovered" : "exhausted", categories[i % 6], 1)
          }),
        { concurrency: "unbounded", discard: true }
      )
      const a = yield* RetryStats.analyzeTaskErrors()
      expect(a.totalErrors).toBe(10_000)
      expect(a.retries).toBe(10_000)
      expect(a.waitMillis).toBe(100_000)
      expect(a.runs).toBe(10_000)
      expect(a.outcomes.recovered).toBe(5_000)
      for (const c of categories) expect(a.categoryDistribution[c]).toBe(categories.indexOf(c) < 4 ? 1667 : 1666)
    }).pipe(Effect.provide(RetryStats.layer)))

  const hostile = (): Array<unknown> => {
    const throwing = new Proxy({}, {
      get: () => {
        throw new Error("get")
      },
      has: () => {
        throw new Error("has")
      },
      getPrototypeOf: () => {
        throw new Error("getPrototypeOf")
      },
      ownKeys: () => {
        throw new Error("ownKeys")
      },
      getOwnPropertyDescriptor: () => {
        throw new Error("getOwnPropertyDescriptor")
      }
    })
    const { proxy: revoked, revoke } = Proxy.revocable({}, {})
    revoke()
    let chain: any = new Error("root")
    for (let i = 0; i < 10_000; i++) chain = new Error(`level ${i}`, { cause: chain })
    return [
      null,
      undefined,
      Symbol("s"),
      10n,
      0,
      Number.NaN,
      "",
      "plain string error",
      throwing,
      revoked,
      {
        get _tag() {
          throw new Error("tag")
        },
        get message() {
          throw new Error("message")
        }
      },
      {
        toString() {
          throw new Error("toString")
        },
        [Symbol.toPrimitive]() {
          throw new Error("toPrimitive")
        }
      },
      { _tag: 42, message: { toString: () => "not a string" } },
      { message: "m".repeat(10 * 1024 * 1024) },
      "s".repeat(10 * 1024 * 1024),
      chain,
      Object.create(null),
      () => "function error",
      new DataError({ message: "bad row" })
    ]
  }

  it.effect("hostile error values never crash recording, and are stored as safe strings", () =>
    Effect.gen(function*() {
      const values = hostile()
      for (const value of values) yield* failure("t", "data_error", value)
      const s = yield* RetryStats.getErrorStatistics
      expect(s.totalErrors).toBe(values.length)
      expect(s.recentSamples).toHaveLength(values.length)
      for (const sample of s.recentSamples) {
        expect(typeof sample.tag).toBe("string")
        expect(typeof sample.message).toBe("string")
        expect(sample.message.length).toBeLessThanOrEqual(500)
      }
      const byTag = s.recentSamples.map((x) => [x.tag, x.message])
      expect(byTag[0]).toEqual(["null", ""])
      expect(byTag[2]).toEqual(["symbol", "Symbol(s)"])
      expect(byTag[3]).toEqual(["bigint", "10"])
      expect(byTag[8]).toEqual(["<unreadable>", "<unreadable>"])
      expect(byTag[9]).toEqual(["<unreadable>", "<unreadable>"])
      expect(byTag[10]).toEqual(["<unreadable>", "<unreadable>"])
      expect(byTag[12]).toEqual(["object", ""])
      expect(byTag[15]).toEqual(["Error", "level 9999"])
      expect(byTag[18]).toEqual(["DataError", "bad row"])
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("hostile arguments to the recorders never throw", () =>
    Effect.gen(function*() {
      const stats = yield* RetryStats.RetryStats
      const bad: Array<any> = [undefined, null, Symbol("x"), {}, Number.NaN, -1, Infinity, "nope", 10n]
      for (const x of bad) {
        // an invalid category or outcome: dropped
        stats.unsafeRecordFailure(x, x, x, x, x)
        stats.unsafeRecordRetry(x, x, x, x)
        stats.unsafeRecordOutcome(x, x, x, x, x)
        // a hostile error, wait, category of an outcome or retry count: recorded
        stats.unsafeRecordFailure("t", "network_error", x, x, 0)
        stats.unsafeRecordRetry("t", "network_error", x, 0)
        stats.unsafeRecordOutcome("t", "exhausted", x, x, 0)
      }
      const badTimes: Array<any> = [undefined, null, Symbol("x"), {}, Number.NaN, Infinity, -Infinity, "0", 10n, {
        valueOf() {
          throw new Error("valueOf")
        }
      }]
      for (const x of badTimes) stats.unsafeRecordFailure("t", "network_error", "e", 1, x)
      const a = yield* RetryStats.analyzeTaskErrors("t")
      // bad times are dropped; bad waits count as 0; a bad category of an outcome reads as none
      expect(a.totalErrors).toBe(bad.length)
      expect(a.retries).toBe(bad.length)
      expect(a.waitMillis).toBe(0)
      expect(a.outcomes.exhausted).toBe(bad.length)
      expect((yield* RetryStats.analyzeTaskErrors()).totalErrors).toBe(bad.length)
    }).pipe(Effect.provide(RetryStats.layer)))

  it("property: no value, as error, task, category, wait or time, makes a recorder throw", () => {
    const store: RetryStatsService = unsafeMake()
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true }), (u: any) => {
        store.unsafeRecordFailure("t", "network_error", u, 1, 0)
        store.unsafeRecordFailure(u, u, u, u, u)
        store.unsafeRecordRetry(u, u, u, u)
        store.unsafeRecordOutcome(u, u, u, u, u)
      })
    )
  })
})

describe("RetryStats: metrics", () => {
  const read = (
    metric: Metric.Metric.Counter<number>,
    task: string,
    category: ErrorCategory | "none",
    o?: RetryOutcome
  ) =>
    Metric.value(Metric.taggedWithLabels(metric, RetryStats.metricLabels(task, category, o))).pipe(
      Effect.map((state) => state.count)
    )

  it.effect("the memory store updates attempts, retries, outcomes and waits, tagged by task and category", () =>
    Effect.gen(function*() {
      const task = "metrics-test-updates"
      const before = {
        attempts: yield* read(RetryStats.metrics.attempts, task, "network_error"),
        retries: yield* read(RetryStats.metrics.retries, task, "network_error"),
        recovered: yield* read(RetryStats.metrics.outcomes, task, "network_error", "recovered"),
        first: yield* read(RetryStats.metrics.outcomes, task, "none", "succeeded_first_try"),
        waits: (yield* Metric.value(
          Metric.taggedWithLabels(RetryStats.metrics.waits, RetryStats.metricLabels(task, "network_error"))
        )).count
      }
      yield* failures(task, "network_error", 2)
      yield* retry(task, "network_error", 1500)
      yield* retry(task, "network_error", 0)
      yield* outcome(task, "recovered", "network_error", 2)
      yield* outcome(task, "succeeded_first_try", undefined, 0, 3)
      expect((yield* read(RetryStats.metrics.attempts, task, "network_error")) - before.attempts).toBe(2)
      expect((yield* read(RetryStats.metrics.retries, task, "network_error")) - before.retries).toBe(2)
      expect((yield* read(RetryStats.metrics.outcomes, task, "network_error", "recovered")) - before.recovered).toBe(1)
      expect((yield* read(RetryStats.metrics.outcomes, task, "none", "succeeded_first_try")) - before.first).toBe(3)
      const waits = yield* Metric.value(
        Metric.taggedWithLabels(RetryStats.metrics.waits, RetryStats.metricLabels(task, "network_error"))
      )
      expect(waits.count - before.waits).toBe(2)
      expect(waits.max).toBe(1500)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("the no-op store and metrics: false update no metric", () =>
    Effect.gen(function*() {
      const task = "metrics-test-off"
      const before = yield* read(RetryStats.metrics.attempts, task, "data_error")
      yield* failure(task, "data_error").pipe(Effect.provide(RetryStats.layerNoop))
      yield* failure(task, "data_error").pipe(Effect.provide(RetryStats.layerWith({ metrics: false })))
      expect((yield* read(RetryStats.metrics.attempts, task, "data_error")) - before).toBe(0)
      yield* failure(task, "data_error").pipe(Effect.provide(RetryStats.layer))
      expect((yield* read(RetryStats.metrics.attempts, task, "data_error")) - before).toBe(1)
    }))

  it.effect("task labels beyond maxMetricTasks read as the overflow label", () =>
    Effect.gen(function*() {
      const before = yield* read(RetryStats.metrics.attempts, OVERFLOW_TASK, "system_error")
      yield* failure("metrics-test-cap-1", "system_error")
      yield* failure("metrics-test-cap-2", "system_error")
      expect((yield* read(RetryStats.metrics.attempts, "metrics-test-cap-1", "system_error")) > 0).toBe(true)
      expect((yield* read(RetryStats.metrics.attempts, OVERFLOW_TASK, "system_error")) - before).toBe(1)
    }).pipe(Effect.provide(RetryStats.layerWith({ maxMetricTasks: 1 }))))
})

describe("RetryStats: with withIntelligentRetry", () => {
  it.effect("records every failed attempt, retry and outcome of a run", () =>
    Effect.gen(function*() {
      let n = 0
      const flaky = Effect.suspend(() =>
        n++ < 2 ? Effect.fail(new NetworkError({ message: "reset" })) : Effect.succeed(n)
      )
      const fiber = yield* Effect.fork(withIntelligentRetry(flaky, { task: "sync" }))
      yield* TestClock.adjust("1 hour")
      expect(yield* Fiber.await(fiber)).toEqual(Exit.succeed(3))
      yield* withIntelligentRetry(Effect.succeed(1), { task: "sync" })
      const exit = yield* Effect.exit(
        withIntelligentRetry(Effect.fail(new DataError({ message: "bad" })), { task: "sync" })
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const a = yield* RetryStats.analyzeTaskErrors("sync")
      expect(a.totalErrors).toBe(3)
      expect(a.categoryDistribution).toEqual({ ...zeros(categories), network_error: 2, data_error: 1 })
      expect(a.retries).toBe(2)
      expect(a.outcomes).toEqual({ ...zeros(outcomes), recovered: 1, succeeded_first_try: 1, not_retryable: 1 })
      expect(a.recoveryRate).toBe(0.5)
      const s = yield* RetryStats.getErrorStatistics
      expect(s.recentSamples.map((x) => x.tag)).toEqual(["NetworkError", "NetworkError", "DataError"])
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("an exhausted temporary dependency shows up in the suggestions", () =>
    Effect.gen(function*() {
      const down = Effect.fail(new TemporaryError({ message: "503" }))
      const fiber = yield* Effect.fork(
        Effect.forEach(Array.from({ length: 10 }), () => Effect.exit(withIntelligentRetry(down, { task: "db" })), {
          concurrency: "unbounded"
        })
      )
      yield* TestClock.adjust("1 day")
      yield* Fiber.join(fiber)
      const a = yield* RetryStats.analyzeTaskErrors("db")
      expect(a.outcomes.exhausted).toBe(10)
      expect(codes(a)).toContain("TRANSIENT_ERRORS_EXHAUSTED")
    }).pipe(Effect.provide(RetryStats.layer)))
})

it.effect("layers compose: a store provided by layer is the one the combinator and the accessors see", () =>
  Effect.gen(function*() {
    const store = unsafeMake()
    yield* failure("t", "network_error").pipe(Effect.provide(Layer.succeed(RetryStats.RetryStats, store)))
    expect((yield* store.analyzeTaskErrors("t")).totalErrors).toBe(1)
    expect(noop.enabled).toBe(false)
  }))
