/**
 * Issue 13, defect 3: a zero or past hint bypassed the retry budget. Hinted failures cost
 * `hintedCost` (default 0) because the hint paces them; `Retry-After: 0`, a past HTTP date or a past
 * `X-RateLimit-Reset` pace nothing. Before the fix, 1,000 concurrent runs against `503` +
 * `Retry-After: 0` under `RetryBudget.layer({ maxTokens: 10, tokenRatio: 0.1 })` made 4,000
 * attempts, against 1,004 for a plain 503. A hint earns the discount only when it actually makes the
 * run wait longer than its policy would (or, under `hint: "exact"`, when it is above zero).
 */
import { describe, expect, it } from "@effect/vitest"
import { RetryBudget, withIntelligentRetry } from "@intelligent-retry/core"
import { Duration, Effect, Fiber, Ref, TestClock } from "effect"

const EPOCH = Date.UTC(2025, 0, 6, 12, 0, 0)

const storm = (response: () => object, runs = 1000) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(EPOCH)
    const attempts = yield* Ref.make(0)
    const run = Ref.update(attempts, (n) => n + 1).pipe(
      Effect.zipRight(Effect.fail(response())),
      withIntelligentRetry({ task: "defect-3" }),
      Effect.exit
    )
    const fiber = yield* Effect.fork(
      Effect.forEach(Array.from({ length: runs }), () => run, { concurrency: "unbounded", discard: true }).pipe(
        Effect.provide(RetryBudget.layer({ maxTokens: 10, tokenRatio: 0.1, refillPerSecond: 0 }))
      )
    )
    yield* TestClock.adjust(Duration.hours(2))
    yield* Fiber.join(fiber)
    return yield* Ref.get(attempts)
  })

describe("regression: issue 13 defect 3, a zero or past hint earns no budget discount", () => {
  it.effect("503 + Retry-After: 0 costs like a plain 503 (1,004 attempts, not 4,000)", () =>
    Effect.gen(function*() {
      const plain = yield* storm(() => ({ status: 503 }))
      expect(plain).toBe(1004)
      expect(yield* storm(() => ({ status: 503, headers: { "retry-after": "0" } }))).toBe(plain)
    }))

  it.effect("a past HTTP date and a past X-RateLimit-Reset cost like a plain 503 too", () =>
    Effect.gen(function*() {
      const past = new Date(EPOCH - 60_000).toUTCString()
      expect(yield* storm(() => ({ status: 503, headers: { "retry-after": past } }))).toBe(1004)
      const reset = String(Math.floor((EPOCH - 60_000) / 1000))
      expect(yield* storm(() => ({ status: 429, headers: { "x-ratelimit-reset": reset } }))).toBeLessThanOrEqual(
        1004
      )
    }))

  it.effect("a hint that paces the retry still earns the hinted cost: every run retries", () =>
    Effect.gen(function*() {
      // 429 + Retry-After: 2 under the default table (hint: "exact"): 3 retries each, paced by the server
      expect(yield* storm(() => ({ status: 429, headers: { "retry-after": "2" } }), 100)).toBe(400)
    }))
})
