/**
 * Concurrency: 10,000 concurrent runs of the real combinator share one `RetryStats.layer` store
 * and one budget. Every count adds up exactly to what was scripted, and the budget's balance,
 * sampled at every retry, never leaves [0, maxTokens].
 *
 * Time: every attempt and every wait yields to the scheduler (`YieldingClock`), so the 10,000
 * fibers interleave at each step, deterministically. `TestClock` wakes sleepers one at a time and
 * polls every fiber between two wake-ups: 10,000 sleeping fibers took over 30 s.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  DataError,
  NetworkError,
  RateLimitError,
  RetryBudget,
  RetryStats,
  TemporaryError,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Duration, Effect, Layer, Random } from "effect"
import { ms, n, section } from "../../../../test/reliability/report.js"
import { YieldingClock } from "../../../../test/reliability/virtualClock.js"

const report = section({ id: "04-concurrency", order: 4, title: "Concurrency" })

const RUNS = 10_000

const strategies = {
  network_error: { decision: "retry_immediately", maxRetries: 5, baseDelay: 10, maxDelay: 1_000, backoffFactor: 2 },
  api_rate_limit: { decision: "retry_with_delay", maxRetries: 3, baseDelay: 100, maxDelay: 5_000 },
  temporary_error: {
    decision: "retry_with_backoff",
    maxRetries: 3,
    baseDelay: 50,
    maxDelay: 1_000,
    backoffFactor: 2,
    jitter: true
  },
  data_error: { decision: "no_retry" }
} as const

/** The scripts, by run number modulo 10, with what each must add to the statistics. */
const scripts: ReadonlyArray<{
  readonly name: string
  readonly errors: () => ReadonlyArray<unknown>
  readonly outcome: string
}> = [
  ...Array.from({ length: 5 }, () => ({ name: "succeeds at once", errors: () => [], outcome: "succeeded_first_try" })),
  { name: "one reset, then ok", errors: () => [new NetworkError({ message: "reset" })], outcome: "recovered" },
  {
    name: "two resets, then ok",
    errors: () => [new NetworkError({ message: "reset" }), new NetworkError({ message: "reset" })],
    outcome: "recovered"
  },
  {
    name: "a dependency down for good",
    errors: () => Array.from({ length: 4 }, () => new TemporaryError({ message: "503" })),
    outcome: "exhausted"
  },
  { name: "bad input", errors: () => [new DataError({ message: "missing field" })], outcome: "not_retryable" },
  {
    name: "a 429 asking for 1 s, then ok",
    errors: () => [new RateLimitError({ message: "429", retryAfter: Duration.seconds(1) })],
    outcome: "recovered"
  }
]

interface Observed {
  attempts: number
  successes: number
  retries: number
  samples: number
  minBalance: number
  maxBalance: number
  outcomes: Record<string, number>
}

/** 10,000 concurrent runs under the current store and budget. */
const runAll = (observed: Observed, clock: YieldingClock) =>
  Effect.gen(function*() {
    const run = (i: number) => {
      const script = scripts[i % scripts.length]
      const errors = script.errors()
      let attempt = 0
      const effect = Effect.suspend(() => {
        observed.attempts++
        const error = errors[attempt++]
        if (error !== undefined) return Effect.fail(error)
        observed.successes++
        return Effect.succeed(i)
      })
      return effect.pipe(
        // each attempt yields, so that attempts of different runs interleave
        Effect.zipLeft(Effect.yieldNow()),
        withIntelligentRetry({
          task: "concurrency",
          strategies,
          onRetry: () =>
            Effect.flatMap(RetryBudget.balance(), (balance) =>
              Effect.sync(() => {
                observed.retries++
                if (balance !== undefined) {
                  observed.samples++
                  observed.minBalance = Math.min(observed.minBalance, balance)
                  observed.maxBalance = Math.max(observed.maxBalance, balance)
                }
              })),
          onFailure: (info) =>
            Effect.sync(() => (observed.outcomes[info.outcome] = (observed.outcomes[info.outcome] ?? 0) + 1))
        }),
        Effect.exit
      )
    }
    yield* Effect.forEach(Array.from({ length: RUNS }, (_, i) => i), run, { concurrency: "unbounded", discard: true })
  }).pipe(Effect.withClock(clock))

const newObserved = (): Observed => ({
  attempts: 0,
  successes: 0,
  retries: 0,
  samples: 0,
  minBalance: Infinity,
  maxBalance: -Infinity,
  outcomes: {}
})

describe("10,000 concurrent runs sharing one store and one budget", () => {
  it.effect("a budget that never refuses: every count is exactly what was scripted", () =>
    Effect.gen(function*() {
      const observed = newObserved()
      const clock = new YieldingClock()
      const start = performance.now()
      yield* runAll(observed, clock)
      const elapsed = performance.now() - start
      const analysis = yield* RetryStats.analyzeTaskErrors("concurrency")
      const per = RUNS / scripts.length
      // scripted: 5 × 0 failures, then 1, 2, 4, 1, 1 failures per 10 runs
      expect(observed.attempts).toBe(17_000)
      expect(analysis.totalErrors).toBe(9_000)
      expect(analysis.categoryDistribution).toEqual({
        network_error: 3 * per,
        api_rate_limit: per,
        data_error: per,
        system_error: 0,
        temporary_error: 4 * per,
        permanent_error: 0
      })
      expect(analysis.retries).toBe(7_000)
      expect(observed.retries).toBe(7_000)
      expect(analysis.retriesByCategory).toEqual({
        network_error: 3 * per,
        api_rate_limit: per,
        data_error: 0,
        system_error: 0,
        temporary_error: 3 * per,
        permanent_error: 0
      })
      expect(analysis.runs).toBe(RUNS)
      expect(analysis.outcomes.succeeded_first_try).toBe(5 * per)
      expect(analysis.outcomes.recovered).toBe(3 * per)
      expect(analysis.outcomes.exhausted).toBe(per)
      expect(analysis.outcomes.not_retryable).toBe(per)
      expect(analysis.outcomes.budget_exhausted).toBe(0)
      expect(analysis.totalErrors + observed.successes).toBe(observed.attempts)
      expect(observed.minBalance).toBeGreaterThanOrEqual(0)
      expect(observed.maxBalance).toBeLessThanOrEqual(1e9)
      report.add({
        tried: "10,000 concurrent runs, one RetryStats.layer store, one RetryBudget.layer (never refusing)",
        inputs: `scripts by run number mod 10: ${[...new Set(scripts.map((s) => s.name))].join("; ")} (half the runs ` +
          "succeed at once)",
        faults: "network resets, a dependency down, bad input, a 429 with Retry-After 1 s",
        load: `${n(RUNS)} fibers at once; each attempt and each of the ${
          n(clock.sleeps)
        } waits yields to the scheduler`,
        measured: `attempts ${n(observed.attempts)} (scripted 17,000); failed attempts ${n(analysis.totalErrors)} ` +
          `(9,000); retries ${n(analysis.retries)} (7,000), per category exact; outcomes: succeeded_first_try ` +
          `${n(analysis.outcomes.succeeded_first_try)}, recovered ${n(analysis.outcomes.recovered)}, exhausted ${
            n(analysis.outcomes.exhausted)
          }, not_retryable ${n(analysis.outcomes.not_retryable)} (all as scripted); balance sampled ${
            n(observed.samples)
          } times, never negative`,
        timing: ms(elapsed)
      })
    }).pipe(
      Effect.provide(Layer.mergeAll(RetryStats.layer, RetryBudget.layer({ maxTokens: 1e9, tokenRatio: 0.1 }))),
      Effect.withRandom(Random.make(1))
    ))

  it.effect("a budget that runs dry: counts still add up, and the balance never leaves [0, maxTokens]", () =>
    Effect.gen(function*() {
      const observed = newObserved()
      const clock = new YieldingClock()
      const start = performance.now()
      yield* runAll(observed, clock)
      const elapsed = performance.now() - start
      const analysis = yield* RetryStats.analyzeTaskErrors("concurrency")
      const balance = (yield* RetryBudget.balance())!
      const refused = analysis.outcomes.budget_exhausted
      expect(refused).toBeGreaterThan(0)
      expect(analysis.runs).toBe(RUNS)
      expect(Object.values(analysis.outcomes).reduce((a, b) => a + b, 0)).toBe(RUNS)
      expect(analysis.totalErrors + observed.successes).toBe(observed.attempts)
      expect(analysis.retries).toBe(observed.retries)
      // every failed run reported its outcome to onFailure, exactly once
      const failedRuns = RUNS - analysis.outcomes.succeeded_first_try - analysis.outcomes.recovered
      expect(Object.values(observed.outcomes).reduce((a, b) => a + b, 0)).toBe(failedRuns)
      expect(observed.outcomes.budget_exhausted).toBe(refused)
      expect(observed.minBalance).toBeGreaterThanOrEqual(0)
      expect(observed.maxBalance).toBeLessThanOrEqual(100)
      expect(balance).toBeGreaterThanOrEqual(0)
      expect(balance).toBeLessThanOrEqual(100)
      report.add({
        tried: "the same 10,000 runs with a budget that runs dry (maxTokens 100, tokenRatio 0.1)",
        inputs: "the same scripts",
        faults: "the same faults, and retries refused by the budget",
        load: `${n(RUNS)} fibers at once; every attempt and wait yields`,
        measured: `attempts ${n(observed.attempts)} = failed attempts ${n(analysis.totalErrors)} + successes ${
          n(observed.successes)
        }; retries recorded ${n(analysis.retries)} = onRetry calls ${n(observed.retries)}; outcomes sum to ${
          n(RUNS)
        } (budget_exhausted ${n(refused)}); balance sampled at every retry within [${observed.minBalance.toFixed(1)}, ${
          observed.maxBalance.toFixed(1)
        }], final ${balance.toFixed(1)}`,
        timing: ms(elapsed)
      })
    }).pipe(
      Effect.provide(Layer.mergeAll(RetryStats.layer, RetryBudget.layer({ maxTokens: 100, tokenRatio: 0.1 }))),
      Effect.withRandom(Random.make(2))
    ))
})
