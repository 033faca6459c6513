import { CircuitBreaker, CircuitOpenError, withCircuitBreaker, withIntelligentRetry } from "@intelligent-retry/core"
import { Data, Duration, Effect, pipe } from "effect"
import { describe, expectTypeOf, it } from "vitest"

class CarrierDown extends Data.TaggedError("CarrierDown")<{ readonly carrier: string }> {}

interface Db {
  readonly query: Effect.Effect<string>
}
declare const program: Effect.Effect<number, CarrierDown, Db>

describe("withCircuitBreaker types", () => {
  it("adds CircuitOpenError to E and keeps A and R, data-first and data-last", () => {
    type Expected = Effect.Effect<number, CarrierDown | CircuitOpenError, Db>
    expectTypeOf(withCircuitBreaker(program, { key: "carrier" })).toEqualTypeOf<Expected>()
    expectTypeOf(program.pipe(withCircuitBreaker({ key: "carrier" }))).toEqualTypeOf<Expected>()
    expectTypeOf(pipe(program, withIntelligentRetry(), withCircuitBreaker({ key: "carrier" }))).toEqualTypeOf<
      Expected
    >()
    expectTypeOf(CircuitBreaker.withCircuitBreaker).toEqualTypeOf(withCircuitBreaker)
  })

  it("requires a key; thresholds and durations are typed", () => {
    // @ts-expect-error the key is required
    withCircuitBreaker(program, {})
    // @ts-expect-error a number of failures, not a string
    withCircuitBreaker(program, { key: "k", consecutiveFailures: "5" })
    withCircuitBreaker(program, { key: "k", breakDuration: "5 seconds", window: Duration.seconds(10) })
  })

  it("CircuitOpenError carries key and retryAfter, and is recognized by catchTag", () => {
    const error = new CircuitOpenError({ key: "k", retryAfter: Duration.seconds(1) })
    expectTypeOf(error._tag).toEqualTypeOf<"CircuitOpenError">()
    expectTypeOf(error.key).toEqualTypeOf<string>()
    expectTypeOf(error.retryAfter).toEqualTypeOf<Duration.Duration>()
    const handled = program.pipe(
      withCircuitBreaker({ key: "k" }),
      Effect.catchTag("CircuitOpenError", () => Effect.succeed(0))
    )
    expectTypeOf(handled).toEqualTypeOf<Effect.Effect<number, CarrierDown, Db>>()
  })
})
