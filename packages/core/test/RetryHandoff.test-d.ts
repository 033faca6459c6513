import { IntelligentRetry, NetworkError, RateLimitError, RetryHandoff, RetryState } from "@intelligent-retry/core"
import { Duration, Effect, pipe } from "effect"
import { describe, expectTypeOf, it } from "vitest"

interface Db {
  readonly query: Effect.Effect<string>
}
declare const program: Effect.Effect<number, NetworkError | RateLimitError, Db>

describe("withHandoff types", () => {
  it("adds RetryHandoff to E, keeps A and R, data-first and data-last", () => {
    type Expected = Effect.Effect<number, NetworkError | RateLimitError | RetryHandoff, Db>
    expectTypeOf(IntelligentRetry.withHandoff(program, { after: "1 minute" })).toEqualTypeOf<Expected>()
    expectTypeOf(program.pipe(IntelligentRetry.withHandoff({ after: 60_000 }))).toEqualTypeOf<Expected>()
    expectTypeOf(pipe(program, IntelligentRetry.withHandoff({ after: Duration.minutes(1), task: "t" })))
      .toEqualTypeOf<Expected>()
  })

  it("requires after, takes a RetryState, infers E in callbacks", () => {
    // @ts-expect-error after is required
    IntelligentRetry.withHandoff(program, {})
    program.pipe(IntelligentRetry.withHandoff({
      after: "10 seconds",
      state: RetryState.initial(0),
      onFailure: (info) => {
        expectTypeOf(info.error).toEqualTypeOf<NetworkError | RateLimitError>()
        return Effect.void
      }
    }))
  })

  it("a hand-off carries a plain-JSON state", () => {
    expectTypeOf<RetryHandoff["resumeAt"]>().toEqualTypeOf<number>()
    expectTypeOf<RetryHandoff["wait"]>().toEqualTypeOf<Duration.Duration>()
    expectTypeOf<RetryHandoff["state"]>().toEqualTypeOf<RetryState.RetryState>()
    expectTypeOf(RetryState.initial(0).attempts).toEqualTypeOf<number>()
  })
})
