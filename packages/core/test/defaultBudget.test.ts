/**
 * Issue 16: the default budget. With no layer every run draws on a process-wide budget per key; it
 * bounds mass failure and leaves every isolated run exactly as its policy says.
 */
import { describe, expect, it } from "@effect/vitest"
import type { ErrorCategory } from "@intelligent-retry/core"
import {
  DataError,
  NetworkError,
  PermanentError,
  RateLimitError,
  RetryBudget,
  RetryPolicy,
  Strategies,
  SystemError,
  TemporaryError,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Clock, Duration, Effect, Fiber, Layer, Random, Ref, TestClock } from "effect"

/**
 * A task name no other test uses. The default budget keeps one set of buckets per Clock, so tests
 * (each with its own TestClock) no longer share it; unique names keep the tests independent of that.
 */
let unique = 0
const freshTask = (name: string) => `${name}-${++unique}-${Math.random().toString(36).slice(2)}`

const massFailure = (task: string, layer: Layer.Layer<RetryBudget.RetryBudget, unknown> | undefined) =>
  Effect.gen(function*() {
    const attempts = yield* Ref.make(0)
    const run = Ref.update(attempts, (n) => n + 1).pipe(
      Effect.zipRight(Effect.fail(new NetworkError({ message: "connection reset" }))),
      withIntelligentRetry({ task }),
      Effect.exit
    )
    const all = Effect.forEach(Array.from({ length: 1000 }), () => run, { concurrency: "unbounded", discard: true })
    yield* layer === undefined ? all : Effect.provide(all, layer)
    return yield* Ref.get(attempts)
  })

describe("the default budget (issue 16)", () => {
  it.effect("1,000 concurrent always-failing runs of one task make at most 1,300 attempts with no layer", () =>
    Effect.gen(function*() {
      const total = yield* massFailure(freshTask("mass"), undefined)
      // 50 tokens, a retry only above 25, 1 per network failure: 1,000 first attempts + at most 24 retries
      expect(total).toBeGreaterThan(1000)
      expect(total).toBeLessThanOrEqual(1024)
    }))

  it.effect("the same with RetryBudget.layer(): a fresh budget with exactly the default configuration", () =>
    Effect.gen(function*() {
      const total = yield* massFailure(freshTask("mass-layer"), RetryBudget.layer())
      expect(total).toBeGreaterThan(1000)
      expect(total).toBeLessThanOrEqual(1024)
      // and budgeting off: every run retries 5 times, as the default network policy says
      expect(yield* massFailure(freshTask("mass-none"), RetryBudget.layerNone)).toBe(6000)
    }))

  it.effect("runs of another key are not refused when one key is exhausted", () =>
    Effect.gen(function*() {
      yield* massFailure(freshTask("exhausted"), undefined)
      const other = freshTask("healthy")
      const attempts = yield* Ref.make(0)
      yield* Ref.update(attempts, (n) => n + 1).pipe(
        Effect.zipRight(Effect.fail(new NetworkError({ message: "reset" }))),
        withIntelligentRetry({ task: other }),
        Effect.exit
      )
      expect(yield* Ref.get(attempts)).toBe(6)
      expect(yield* RetryBudget.balance(other)).toBe(44)
    }))

  it.effect("time refills a bucket: maxTokens / 100 per second by default (0.5)", () =>
    Effect.gen(function*() {
      const task = freshTask("refill")
      yield* massFailure(task, undefined)
      const drained = (yield* RetryBudget.balance(task))!
      expect(drained).toBe(0)
      yield* TestClock.adjust("30 seconds")
      expect(yield* RetryBudget.balance(task)).toBe(15)
      yield* TestClock.adjust("1 hour")
      expect(yield* RetryBudget.balance(task)).toBe(50)
    }))

  it.effect("the default budget keeps one set of buckets per Clock: a key drained under one is full under another", () =>
    Effect.gen(function*() {
      const task = freshTask("per-clock")
      yield* massFailure(task, undefined)
      expect(yield* RetryBudget.balance(task)).toBe(0)
      const other = Clock.make()
      expect(yield* RetryBudget.balance(task).pipe(Effect.withClock(other))).toBe(50)
      // and a run under the other clock retries as its policy says: 1 + 5 attempts
      const attempts = yield* Ref.make(0)
      yield* Ref.update(attempts, (n) => n + 1).pipe(
        Effect.zipRight(Effect.fail(new NetworkError({ message: "reset" }))),
        withIntelligentRetry({ task }),
        Effect.exit,
        Effect.withClock(other)
      )
      expect(yield* Ref.get(attempts)).toBe(6)
      // the drained buckets of this test's clock are untouched
      expect(yield* RetryBudget.balance(task)).toBe(0)
    }))

  it.effect("RetryBudget.balance works on a budget the library did not make", () =>
    Effect.gen(function*() {
      const budget: RetryBudget.RetryBudgetService = {
        [RetryBudget.TypeId]: RetryBudget.TypeId,
        unsafeOnSuccess: () => {},
        unsafeOnFailure: () => true,
        balance: (key) => Effect.succeed(key.length)
      }
      expect(yield* RetryBudget.balance("four").pipe(Effect.provideService(RetryBudget.RetryBudget, budget))).toBe(4)
      expect(yield* RetryBudget.balance().pipe(Effect.provide(RetryBudget.layerNone))).toBeUndefined()
    }))
})

const errorOf: Record<ErrorCategory, () => unknown> = {
  network_error: () => new NetworkError({ message: "reset" }),
  api_rate_limit: () => new RateLimitError({ message: "429" }),
  data_error: () => new DataError({ message: "bad" }),
  system_error: () => new SystemError({ message: "ENOMEM" }),
  temporary_error: () => new TemporaryError({ message: "503" }),
  permanent_error: () => new PermanentError({ message: "404" })
}

/** The times of every attempt of one always-failing run, under TestClock. */
const attemptTimes = (
  table: Strategies.StrategyTable,
  category: ErrorCategory,
  layer: Layer.Layer<RetryBudget.RetryBudget, unknown> | undefined
) =>
  Effect.gen(function*() {
    const times: Array<number> = []
    const run = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      times.push(now)
      return Effect.fail(errorOf[category]())
    }).pipe(
      withIntelligentRetry({ task: freshTask(`isolated-${category}`), strategies: table as any }),
      Effect.exit,
      Effect.withRandom(Random.fixed([0.5, 0.25, 0.75]))
    )
    const fiber = yield* Effect.fork(layer === undefined ? run : Effect.provide(run, layer))
    yield* TestClock.adjust(Duration.days(1))
    yield* Fiber.join(fiber)
    return times.map((t) => t - times[0])
  })

describe("isolated runs are exactly as the guide says under the default budget (issue 16)", () => {
  const presets = Object.entries(Strategies.presets).map(([name, preset]) =>
    [name, { ...Strategies.defaults, ...preset } as Strategies.StrategyTable] as const
  )
  for (const [name, table] of presets) {
    it.effect(`${name}: every category's waits and retries unchanged`, () =>
      Effect.gen(function*() {
        for (const category of Object.keys(errorOf) as Array<ErrorCategory>) {
          const policy = table[category]
          const withDefault = yield* attemptTimes(table, category, undefined)
          const withNone = yield* attemptTimes(table, category, RetryBudget.layerNone)
          expect(withDefault, `${name}.${category}`).toEqual(withNone)
          const retries = policy.decision === "no_retry" ? 0 : policy.maxRetries
          expect(withDefault.length, `${name}.${category}`).toBe(retries + 1)
          if (policy.jitter === false) {
            // the exact, documented waits: attempt k starts after the sum of the first k nominal waits
            const nominal = RetryPolicy.nominalWaits(policy)
            const expected = [0]
            for (const wait of nominal) expected.push(expected[expected.length - 1] + wait)
            expect(withDefault, `${name}.${category}`).toEqual(expected.slice(0, retries + 1))
          }
        }
      }))
  }

  it.effect("the worst isolated run, every category's retries in one run, is never refused", () =>
    Effect.gen(function*() {
      const categories = ["network_error", "api_rate_limit", "system_error", "temporary_error"] as const
      const table = { ...Strategies.defaults, ...Strategies.tracking } as Strategies.StrategyTable
      const script = categories.flatMap((c) => Array.from({ length: table[c].maxRetries }, () => c))
      const attempts = yield* Ref.make(0)
      const run = Effect.flatMap(
        Ref.getAndUpdate(attempts, (n) => n + 1),
        (n) => n < script.length ? Effect.fail(errorOf[script[n]]()) : Effect.succeed("done")
      ).pipe(
        withIntelligentRetry({ task: freshTask("worst"), strategies: Strategies.tracking }),
        Effect.withRandom(Random.fixed([0.5]))
      )
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust(Duration.days(1))
      expect(yield* Fiber.join(fiber)).toBe("done")
      expect(yield* Ref.get(attempts)).toBe(script.length + 1)
    }))
})
