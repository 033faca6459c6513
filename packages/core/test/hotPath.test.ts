import { describe, expect, it } from "@effect/vitest"
import { RetryCooldown, RetryStats, withIntelligentRetry } from "@intelligent-retry/core"
import { Clock, Effect, Fiber, TestClock } from "effect"

/**
 * The happy path caches the services it reads from the fiber's context while the context object
 * is unchanged: one applied combinator must still follow every context it runs in.
 */
describe("the happy path follows the fiber's context", () => {
  it.effect("the same applied combinator, first without a cool-down layer, then under one: the second run waits", () =>
    Effect.gen(function*() {
      const started: Array<number> = []
      const run = Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => started.push(now))).pipe(
        withIntelligentRetry({ task: "cached" })
      )
      yield* run
      const registry = RetryCooldown.make()
      const clock = yield* Effect.clock
      registry.unsafeHold("cached", 3_000, 0, clock)
      const held = yield* Effect.fork(Effect.provideService(run, RetryCooldown.RetryCooldown, registry))
      yield* TestClock.adjust(3_000)
      yield* Fiber.join(held)
      expect(started).toEqual([0, 3_000])
    }))

  it.effect("runs of one applied combinator interleaved across fibers with different stores: each store counts its own", () =>
    Effect.gen(function*() {
      const a = RetryStats.unsafeMake()
      const b = RetryStats.unsafeMake()
      const run = Effect.sleep(1_000).pipe(withIntelligentRetry({ task: "interleaved" }))
      // both runs start (and read their context) before either succeeds
      const first = yield* Effect.fork(Effect.provideService(run, RetryStats.RetryStats, a))
      const second = yield* Effect.fork(Effect.provideService(run, RetryStats.RetryStats, b))
      const third = yield* Effect.fork(Effect.provideService(run, RetryStats.RetryStats, a))
      yield* TestClock.adjust(1_000)
      yield* Fiber.join(Fiber.zip(Fiber.zip(first, second), third))
      expect((yield* a.analyzeTaskErrors("interleaved")).outcomes.succeeded_first_try).toBe(2)
      expect((yield* b.analyzeTaskErrors("interleaved")).outcomes.succeeded_first_try).toBe(1)
    }))
})
