import { describe, expect, it } from "@effect/vitest"
import { type RetryInfo, Strategies, withIntelligentRetry } from "@intelligent-retry/core"
import { Duration, Effect, Either, Fiber, Random, TestClock, TestContext } from "effect"
import * as fc from "fast-check"
import * as arb from "./arbitraries.js"
import { scripted } from "./utils.js"

const NUM_RUNS = Number(process.env.PROPERTY_RUNS ?? 1000)

interface Observed {
  readonly times: ReadonlyArray<number>
  readonly retries: ReadonlyArray<RetryInfo<unknown>>
  readonly outcome: string | undefined
}

const observe = (
  strategies: arb.Table,
  errors: ReadonlyArray<arb.AnyError>,
  seed: number,
  caps: { maxAttempts?: number; maxElapsed?: number } = {}
): Promise<Observed> => {
  const { effect, times } = scripted(errors)
  const retries: Array<RetryInfo<unknown>> = []
  let outcome: string | undefined
  return Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect.pipe(
      withIntelligentRetry({
        strategies,
        ...caps,
        onRetry: (info) => Effect.sync(() => retries.push(info)),
        onFailure: (info) => Effect.sync(() => (outcome = info.outcome))
      }),
      Effect.withRandom(Random.make(seed))
    ))
    yield* TestClock.adjust("10000 days")
    yield* Fiber.await(fiber)
    return { times, retries, outcome }
  }).pipe(Effect.provide(TestContext.TestContext), Effect.runPromise)
}

const policyOf = (strategies: arb.Table, category: keyof arb.Table) =>
  Either.getOrThrow(Strategies.merge(Strategies.defaults, strategies))[category]

describe("properties of withIntelligentRetry", () => {
  it("retries per category never exceed maxRetries; no_retry is attempted once; waits stay in [hint, maxDelay]", async () => {
    await fc.assert(
      fc.asyncProperty(
        arb.table,
        fc.array(arb.error, { maxLength: 15 }),
        fc.integer(),
        async (strategies, errors, seed) => {
          const { retries, times } = await observe(strategies, errors, seed)
          for (const category of Object.keys(strategies) as Array<keyof arb.Table>) {
            const policy = policyOf(strategies, category)
            const mine = retries.filter((r) => r.category === category)
            expect(mine.length).toBeLessThanOrEqual(policy.decision === "no_retry" ? 0 : policy.maxRetries)
            for (const r of mine) {
              const wait = Duration.toMillis(r.wait)
              expect(wait).toBeGreaterThanOrEqual(r.hint === undefined ? 0 : Duration.toMillis(r.hint))
              expect(wait).toBeLessThanOrEqual(Duration.toMillis(policy.maxDelay))
            }
          }
          // every attempt happens exactly when the previous wait ends
          for (let i = 1; i < times.length; i++) {
            expect(times[i] - times[i - 1]).toBe(Duration.toMillis(retries[i - 1].wait))
          }
          // an attempt follows a failure only when a retry was decided
          expect(times.length).toBe(retries.length + 1)
        }
      ),
      { numRuns: NUM_RUNS }
    )
  })

  it("the same seed gives the same waits", async () => {
    await fc.assert(
      fc.asyncProperty(
        arb.table,
        fc.array(arb.error, { maxLength: 10 }),
        fc.integer(),
        async (strategies, errors, seed) => {
          const a = await observe(strategies, errors, seed)
          const b = await observe(strategies, errors, seed)
          expect(a.times).toEqual(b.times)
        }
      ),
      { numRuns: Math.ceil(NUM_RUNS / 4) }
    )
  })

  it("total attempts respect maxAttempts and no wait ends past maxElapsed", async () => {
    await fc.assert(
      fc.asyncProperty(
        arb.table,
        fc.array(arb.error, { maxLength: 15 }),
        fc.integer(),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 60_000 }),
        async (strategies, errors, seed, maxAttempts, maxElapsed) => {
          const { outcome, times } = await observe(strategies, errors, seed, { maxAttempts, maxElapsed })
          expect(times.length).toBeLessThanOrEqual(maxAttempts)
          expect(times[times.length - 1] - times[0]).toBeLessThanOrEqual(maxElapsed)
          if (times.length === maxAttempts && errors.length >= maxAttempts) expect(outcome).toBeDefined()
        }
      ),
      { numRuns: Math.ceil(NUM_RUNS / 2) }
    )
  })
})
