import { describe, expect, it } from "@effect/vitest"
import { NetworkError, TemporaryError, withIntelligentRetry } from "@intelligent-retry/core"
import { Effect, Fiber, TestClock } from "effect"
import { scripted } from "./utils.js"

describe("tracing", () => {
  it.effect("every retry annotates the current span and adds an event with attempt, category, decision and wait", () =>
    Effect.gen(function*() {
      const { effect } = scripted([new NetworkError({ message: "reset" }), new TemporaryError({ message: "503" })])
      const traced = Effect.gen(function*() {
        const span = yield* Effect.currentSpan
        yield* effect.pipe(withIntelligentRetry({
          strategies: { temporary_error: { decision: "retry_with_delay", maxRetries: 1, baseDelay: 250 } }
        }))
        return span
      }).pipe(Effect.withSpan("track"))
      const fiber = yield* Effect.fork(traced)
      yield* TestClock.adjust("1 second")
      const span: any = yield* Fiber.join(fiber)
      expect(Object.fromEntries(span.attributes)).toMatchObject({
        "retry.attempt": 2,
        "retry.category": "temporary_error",
        "retry.decision": "retry_with_delay",
        "retry.category_attempt": 1,
        "retry.wait_ms": 250
      })
      expect(
        // the retry's own events (the INFO log lines of the retries are span events too)
        span.events.filter(([name]: any) => name === "intelligent-retry.retry").map((
          [name, time, attributes]: any
        ) => [name, time, attributes["retry.category"], attributes["retry.wait_ms"]])
      )
        .toEqual([
          ["intelligent-retry.retry", 0n, "network_error", 0],
          ["intelligent-retry.retry", 0n, "temporary_error", 250]
        ])
    }))

  it.effect("without a span, retrying works and touches no tracer", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([new NetworkError({ message: "reset" })])
      const fiber = yield* Effect.fork(withIntelligentRetry(effect))
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toBe("ok")
      expect(times).toEqual([0, 0])
    }))
})
