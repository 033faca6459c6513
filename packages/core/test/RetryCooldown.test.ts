import { describe, expect, it } from "@effect/vitest"
import { RateLimitError, RetryCooldown, withIntelligentRetry } from "@intelligent-retry/core"
import { Clock, Duration, Effect, Fiber, TestClock } from "effect"

const limited = new RateLimitError({ message: "429", retryAfter: Duration.seconds(2) })

/** A run of `key` that records when each of its attempts starts, failing with a 2 s hint first. */
const runOf = (key: string, times: Array<number>, failFirst: boolean, options: { cooldown?: boolean } = {}) => {
  let n = 0
  return Effect.flatMap(Clock.currentTimeMillis, (now) => {
    times.push(now)
    return failFirst && n++ === 0 ? Effect.fail(limited) : Effect.succeed("ok")
  }).pipe(withIntelligentRetry({ task: key, ...options }))
}

describe("RetryCooldown", () => {
  it.effect("under the layer, a 2 s hint seen by one run holds the first attempts of the key's other runs", () =>
    Effect.gen(function*() {
      const first: Array<number> = []
      const second: Array<number> = []
      const other: Array<number> = []
      yield* Effect.gen(function*() {
        const a = yield* Effect.fork(runOf("carrier", first, true))
        yield* TestClock.adjust("500 millis")
        const b = yield* Effect.fork(runOf("carrier", second, false))
        const c = yield* Effect.fork(runOf("another", other, false))
        yield* TestClock.adjust("10 seconds")
        yield* Fiber.join(a)
        yield* Fiber.join(b)
        yield* Fiber.join(c)
      }).pipe(Effect.provide(RetryCooldown.layer))
      // the first run retries after its hint plus the spread (2 s + up to 200 ms)
      expect(first[0]).toBe(0)
      expect(first[1]).toBeGreaterThanOrEqual(2000)
      expect(second).toEqual([2000])
      expect(other).toEqual([500])
    }))

  it.effect("without the layer only runs with cooldown: true wait; the others pay nothing", () =>
    Effect.gen(function*() {
      const optedIn: Array<number> = []
      const plain: Array<number> = []
      const a = yield* Effect.fork(runOf("api-x", [], true))
      yield* TestClock.adjust("100 millis")
      const b = yield* Effect.fork(runOf("api-x", optedIn, false, { cooldown: true }))
      const c = yield* Effect.fork(runOf("api-x", plain, false))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(a)
      yield* Fiber.join(b)
      yield* Fiber.join(c)
      expect(optedIn).toEqual([2000])
      expect(plain).toEqual([100])
    }))

  it.effect("cooldown must be a boolean", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Effect.void.pipe(withIntelligentRetry({ cooldown: "yes" as any })))
      expect(exit._tag === "Failure" && String(exit.cause)).toContain("Invalid cooldown")
    }))
})
