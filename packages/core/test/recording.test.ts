import { describe, expect, it } from "@effect/vitest"
import { DataError, NetworkError, RetryStats, TemporaryError, withIntelligentRetry } from "@intelligent-retry/core"
import { Effect, Fiber, TestClock } from "effect"
import { runVirtual, scripted } from "./utils.js"

const fast = {
  temporary_error: { decision: "retry_with_delay", maxRetries: 2, baseDelay: 1000, backoffFactor: 1 }
} as const

describe("withIntelligentRetry records into the current RetryStats", () => {
  it.effect("every failed attempt, retry (with its wait) and outcome", () =>
    Effect.gen(function*() {
      yield* withIntelligentRetry(Effect.succeed(1), { task: "track" })
      yield* runVirtual(
        scripted([new NetworkError({ message: "reset" })]).effect.pipe(withIntelligentRetry({ task: "track" })),
        "1 hour"
      )
      yield* runVirtual(
        scripted([
          new TemporaryError({ message: "503" }),
          new TemporaryError({ message: "503" }),
          new TemporaryError({ message: "503" })
        ]).effect
          .pipe(withIntelligentRetry({ task: "track", strategies: fast })),
        "1 hour"
      )
      yield* runVirtual(
        scripted([new DataError({ message: "bad" })]).effect.pipe(withIntelligentRetry({ task: "track" })),
        "1 hour"
      )
      const analysis = yield* RetryStats.analyzeTaskErrors("track")
      expect(analysis.totalErrors).toBe(5)
      expect(analysis.categoryDistribution).toEqual({
        network_error: 1,
        api_rate_limit: 0,
        data_error: 1,
        system_error: 0,
        temporary_error: 3,
        permanent_error: 0
      })
      expect(analysis.retries).toBe(3)
      expect(analysis.waitMillis).toBe(2000)
      expect(analysis.outcomes).toMatchObject({ succeeded_first_try: 1, recovered: 1, exhausted: 1, not_retryable: 1 })
      const samples = (yield* RetryStats.getErrorStatistics).recentSamples
      expect(samples.map((s) => [s.task, s.category, s.tag])).toContainEqual(["track", "data_error", "DataError"])
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("an interruption during a wait records 'interrupted'", () =>
    Effect.gen(function*() {
      const { effect } = scripted([new TemporaryError({ message: "503" }), new TemporaryError({ message: "503" })])
      const fiber = yield* Effect.fork(effect.pipe(withIntelligentRetry({ task: "t", strategies: fast })))
      yield* TestClock.adjust(500)
      yield* Fiber.interrupt(fiber)
      const analysis = yield* RetryStats.analyzeTaskErrors("t")
      expect(analysis.outcomes.interrupted).toBe(1)
      expect(analysis.totalErrors).toBe(1)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("a store without a success counter gets each first-try success with the run's clock time", () =>
    Effect.gen(function*() {
      const outcomes: Array<[string, string, number]> = []
      const store: RetryStats.RetryStatsService = {
        ...RetryStats.noop,
        enabled: true,
        unsafeRecordOutcome: (task, outcome, _category, _retries, now) => outcomes.push([task, outcome, now])
      }
      const run = withIntelligentRetry(Effect.succeed(1), { task: "own-store" })
      yield* TestClock.adjust(5_000)
      yield* Effect.provideService(run, RetryStats.RetryStats, store)
      yield* TestClock.adjust(2_000)
      yield* Effect.provideService(run, RetryStats.RetryStats, store)
      expect(outcomes).toEqual([["own-store", "succeeded_first_try", 5_000], [
        "own-store",
        "succeeded_first_try",
        7_000
      ]])
    }))

  it.effect("the memory store counts first-try successes exactly, per store, with the same applied combinator", () =>
    Effect.gen(function*() {
      const a = RetryStats.unsafeMake()
      const b = RetryStats.unsafeMake()
      const run = withIntelligentRetry(Effect.succeed(1), { task: "counted" })
      for (let i = 0; i < 3; i++) yield* Effect.provideService(run, RetryStats.RetryStats, a)
      yield* Effect.provideService(run, RetryStats.RetryStats, b)
      yield* Effect.provideService(run, RetryStats.RetryStats, a)
      expect((yield* a.analyzeTaskErrors("counted")).outcomes.succeeded_first_try).toBe(4)
      expect((yield* b.analyzeTaskErrors("counted")).outcomes.succeeded_first_try).toBe(1)
    }))

  it.effect("the no-op layer records nothing", () =>
    Effect.gen(function*() {
      yield* runVirtual(
        scripted([new NetworkError({ message: "reset" })]).effect.pipe(withIntelligentRetry({ task: "quiet" }))
      )
      const analysis = yield* RetryStats.analyzeTaskErrors("quiet")
      expect(analysis.totalErrors).toBe(0)
    }).pipe(Effect.provide(RetryStats.layerNoop)))
})
