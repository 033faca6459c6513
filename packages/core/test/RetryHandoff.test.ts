import { describe, expect, it } from "@effect/vitest"
import {
  IntelligentRetry,
  InvalidPolicyError,
  NetworkError,
  PermanentError,
  RateLimitError,
  RetryHandoff,
  RetryState,
  RetryStats,
  TemporaryError,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Cause, Duration, Effect, Either, Exit, Fiber, Option, Random, Schema, TestClock, TestContext } from "effect"
import * as fc from "fast-check"
import * as arb from "./arbitraries.js"
import { scripted } from "./utils.js"

const rate = (message = "429") => new RateLimitError({ message })
const net = (message = "reset") => new NetworkError({ message })

/** Forks, moves the clock by `advance` (the in-process waits the run may sleep), and returns the exit. */
const exitOf = <A, E>(effect: Effect.Effect<A, E>, advance: Duration.DurationInput = 0) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust(advance)
    return yield* Fiber.await(fiber)
  })

const handoffOf = <A, E>(exit: Exit.Exit<A, E>): RetryHandoff => {
  const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
  if (Option.isNone(failure) || !(failure.value instanceof RetryHandoff)) {
    throw new Error(`expected a RetryHandoff, got ${String(exit)}`)
  }
  return failure.value
}

/** An effect whose attempts fail with `errors` in turn (across every part of the run), then succeed. */
const remote = <E>(errors: ReadonlyArray<E>) => scripted(errors)

describe("IntelligentRetry.withHandoff", () => {
  it.effect("the first wait of at least `after` is not slept: resumeAt is exactly now + wait", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const { effect, times } = remote([net(), net(), rate("429 #1")])
      const exit = yield* exitOf(effect.pipe(IntelligentRetry.withHandoff({ after: "1 minute" })))
      const handoff = handoffOf(exit)
      // the network retries (0 ms) were slept in-process; the 300 s rate-limit wait was handed off
      expect(times).toEqual([1_700_000_000_000, 1_700_000_000_000, 1_700_000_000_000])
      expect(handoff._tag).toBe("RetryHandoff")
      expect(handoff).toBeInstanceOf(RetryHandoff)
      expect(handoff.resumeAt).toBe(1_700_000_000_000 + 300_000)
      expect(Duration.toMillis(handoff.wait)).toBe(300_000)
      expect(handoff.category).toBe("api_rate_limit")
      expect(handoff.error).toEqual(rate("429 #1"))
      expect(handoff.state).toEqual({
        version: 1,
        attempts: 3,
        retries: {
          network_error: 2,
          api_rate_limit: 1,
          data_error: 0,
          system_error: 0,
          temporary_error: 0,
          permanent_error: 0
        },
        previous: { network_error: 0, api_rate_limit: 300_000 },
        start: 1_700_000_000_000,
        category: "api_rate_limit"
      })
      expect(handoff.message).toContain("api_rate_limit")
    }))

  it.effect("resumeAt is measured when the hand-off happens, after in-process waits", () =>
    Effect.gen(function*() {
      const { effect, times } = remote([rate(), rate()])
      const exit = yield* exitOf(
        effect.pipe(IntelligentRetry.withHandoff({
          after: "10 minutes",
          strategies: { api_rate_limit: { decision: "retry_with_delay", maxRetries: 5, baseDelay: "5 minutes" } }
        })),
        "5 minutes"
      )
      // 300 s slept, then 600 s ≥ 10 minutes handed off at t = 300 s
      expect(times).toEqual([0, 300_000])
      expect(handoffOf(exit).resumeAt).toBe(900_000)
    }))

  it.effect("a run that never waits `after` behaves like withIntelligentRetry", () =>
    Effect.gen(function*() {
      const { effect, times } = remote([net(), net()])
      const exit = yield* exitOf(effect.pipe(IntelligentRetry.withHandoff({ after: Duration.infinity })))
      expect(exit).toEqual(Exit.succeed("ok"))
      expect(times).toEqual([0, 0, 0])
    }))

  it.effect("counters carry on across 4 resumptions: 3 retries hand off 3 times, the 4th failure is exhausted", () =>
    Effect.gen(function*() {
      const errors = [rate("a"), rate("b"), rate("c"), rate("d"), rate("e")]
      const { effect, times } = remote(errors)
      const outcomes: Array<string> = []
      const handoffs: Array<[number, number, number]> = []
      let state: unknown = undefined
      let exit: Exit.Exit<string, RateLimitError | RetryHandoff> | undefined
      for (let part = 0; part < 4; part++) {
        exit = yield* exitOf(effect.pipe(IntelligentRetry.withHandoff({
          after: "1 minute",
          state: state as RetryState.RetryState | undefined,
          onFailure: (info) => Effect.sync(() => outcomes.push(info.outcome))
        })))
        if (part === 3) break
        const handoff = handoffOf(exit)
        handoffs.push([handoff.resumeAt, Duration.toMillis(handoff.wait), handoff.state.attempts])
        // the queue keeps JSON, and runs the job again at resumeAt
        state = JSON.parse(JSON.stringify(handoff.state))
        yield* TestClock.setTime(handoff.resumeAt)
      }
      // defaults for api_rate_limit: 300 s, 600 s, 1200 s, 3 retries
      expect(handoffs).toEqual([[300_000, 300_000, 1], [900_000, 600_000, 2], [2_100_000, 1_200_000, 3]])
      expect(times).toEqual([0, 300_000, 900_000, 2_100_000])
      expect(exit).toEqual(Exit.fail(errors[3]))
      expect(outcomes).toEqual(["exhausted"])
    }))

  it.effect("per-category counters across 4 resumptions: each category keeps its own n", () =>
    Effect.gen(function*() {
      const temp = (message: string) => new TemporaryError({ message })
      const errors = [rate("r1"), temp("t1"), rate("r2"), temp("t2"), rate("r3")]
      const { effect, times } = remote(errors)
      const strategies = {
        api_rate_limit: { decision: "retry_with_delay", maxRetries: 2, baseDelay: "1 minute", backoffFactor: 2 },
        temporary_error: { decision: "retry_with_backoff", maxRetries: 3, baseDelay: "2 minutes", backoffFactor: 2 }
      } as const
      const seen: Array<[string, number, number, number, number]> = []
      let state: RetryState.RetryState | undefined = undefined
      for (let part = 0; part < 4; part++) {
        const handoff = handoffOf(
          yield* exitOf(effect.pipe(IntelligentRetry.withHandoff({ after: "30 seconds", strategies, state })))
        )
        seen.push([
          handoff.category,
          Duration.toMillis(handoff.wait),
          handoff.resumeAt,
          handoff.state.retries.api_rate_limit ?? 0,
          handoff.state.retries.temporary_error ?? 0
        ])
        state = JSON.parse(JSON.stringify(handoff.state))
        yield* TestClock.setTime(handoff.resumeAt)
      }
      const exit = yield* exitOf(effect.pipe(IntelligentRetry.withHandoff({ after: "30 seconds", strategies, state })))
      expect(seen).toEqual([
        ["api_rate_limit", 60_000, 60_000, 1, 0],
        ["temporary_error", 120_000, 180_000, 1, 1],
        ["api_rate_limit", 120_000, 300_000, 2, 1],
        ["temporary_error", 240_000, 540_000, 2, 2]
      ])
      // the third rate limit finds its category's 2 retries used: exhausted, whatever temporary_error has left
      expect(exit).toEqual(Exit.fail(errors[4]))
      expect(times).toEqual([0, 60_000, 180_000, 300_000, 540_000])
    }))

  it.effect("maxElapsed counts from the original start, not from the resumption", () =>
    Effect.gen(function*() {
      const { effect, times } = remote([rate("a"), rate("b"), rate("c")])
      const outcomes: Array<string> = []
      const options = {
        after: "1 minute" as const,
        maxElapsed: "10 minutes" as const,
        onFailure: (info: { readonly outcome: string }) => Effect.sync(() => outcomes.push(info.outcome))
      }
      yield* TestClock.setTime(5_000)
      const first = handoffOf(yield* exitOf(effect.pipe(IntelligentRetry.withHandoff(options))))
      expect(first.resumeAt).toBe(305_000)
      expect(first.state.start).toBe(5_000)
      yield* TestClock.setTime(first.resumeAt)
      // 300 s after the start, a 600 s wait would end at 905 s > 600 s from the start: stopped by the cap,
      // although 600 s from the resumption alone would fit
      const exit = yield* exitOf(effect.pipe(IntelligentRetry.withHandoff({ ...options, state: first.state })))
      expect(exit).toEqual(Exit.fail(rate("b")))
      expect(outcomes).toEqual(["stopped_by_cap"])
      expect(times).toEqual([5_000, 305_000])
    }))

  it.effect("maxAttempts counts the attempts of every part", () =>
    Effect.gen(function*() {
      const { effect } = remote([rate("a"), rate("b"), rate("c")])
      const options = { after: "1 minute", maxAttempts: 2 } as const
      const first = handoffOf(yield* exitOf(effect.pipe(IntelligentRetry.withHandoff(options))))
      yield* TestClock.setTime(first.resumeAt)
      const exit = yield* exitOf(effect.pipe(IntelligentRetry.withHandoff({ ...options, state: first.state })))
      expect(exit).toEqual(Exit.fail(rate("b")))
    }))

  it.effect("JSON round trip: JSON.parse(JSON.stringify(handoff.state)) is the same valid state", () =>
    Effect.gen(function*() {
      const { effect } = remote([rate(), rate()])
      const handoff = handoffOf(
        yield* exitOf(
          effect.pipe(
            IntelligentRetry.withHandoff({
              after: "1 second",
              strategies: { api_rate_limit: { decision: "retry_with_delay", maxRetries: 3, jitter: "decorrelated" } }
            })
          ).pipe(Effect.withRandom(Random.fixed([0.5])))
        )
      )
      const json = JSON.parse(JSON.stringify(handoff.state))
      expect(json).toEqual(handoff.state)
      expect(RetryState.is(json)).toBe(true)
      expect(Schema.decodeUnknownSync(RetryState.schema)(json)).toEqual(handoff.state)
      expect(RetryState.decode(json)).toEqual(Either.right(handoff.state))
      // the drawn wait is what decorrelated jitter grows from on the next part
      expect(json.previous.api_rate_limit).toBe(Duration.toMillis(handoff.wait))
      // a handoff error itself encodes through its schema
      expect(Schema.is(RetryHandoff)(handoff)).toBe(true)
    }))

  it.effect("decorrelated jitter resumes from the saved previous wait", () =>
    Effect.gen(function*() {
      const strategies = {
        api_rate_limit: {
          decision: "retry_with_delay",
          maxRetries: 5,
          baseDelay: "1 minute",
          maxDelay: "1 hour",
          jitter: "decorrelated"
        }
      } as const
      const { effect } = remote([rate(), rate(), rate()])
      const run = (state?: RetryState.RetryState) =>
        exitOf(
          effect.pipe(
            IntelligentRetry.withHandoff({ after: "1 second", strategies, state }),
            Effect.withRandom(Random.fixed([0.5]))
          )
        )
      const first = handoffOf(yield* run())
      // first wait: base + (max(base, 3 × base) − base) × 0.5 = 60 + 60 = 120 s
      expect(Duration.toMillis(first.wait)).toBe(120_000)
      yield* TestClock.setTime(first.resumeAt)
      const second = handoffOf(yield* run(JSON.parse(JSON.stringify(first.state))))
      // second wait grows from the saved 120 s: 60 + (360 − 60) × 0.5 = 210 s
      expect(Duration.toMillis(second.wait)).toBe(210_000)
      expect(second.resumeAt).toBe(120_000 + 210_000)
    }))

  it.effect("an invalid saved state is reported, never trusted: the run dies with InvalidPolicyError", () =>
    Effect.gen(function*() {
      const valid = RetryState.initial(0)
      const cases: ReadonlyArray<[unknown, string]> = [
        [{ ...valid, version: 2 }, "state.version"],
        [{ ...valid, attempts: -1 }, "state.attempts"],
        [{ ...valid, attempts: 1.5 }, "state.attempts"],
        [{ ...valid, attempts: "3" }, "state.attempts"],
        [{ ...valid, retries: { ...valid.retries, api_rate_limit: Number.NaN } }, "state.retries.api_rate_limit"],
        [{ ...valid, retries: { bogus_error: 1 } }, "state.retries.bogus_error"],
        [{ ...valid, attempts: 1, retries: { api_rate_limit: 2 } }, "state"],
        [{ ...valid, start: -5 }, "state.start"],
        [{ ...valid, category: "nope" }, "state.category"],
        [{ ...valid, extra: true }, "state.extra"],
        [{ attempts: 0 }, "state.version"],
        ["{\"version\":1}", "state"],
        [null, "state"],
        [42, "state"]
      ]
      for (const [state, field] of cases) {
        let ran = 0
        const exit = yield* exitOf(
          Effect.sync(() => ran++).pipe(IntelligentRetry.withHandoff({ after: "1 minute", state: state as any }))
        )
        expect(ran, field).toBe(0)
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause), field).toBe(true)
        const defect = Exit.isFailure(exit) ? Cause.dieOption(exit.cause) : Option.none()
        expect(Option.getOrThrow(defect)).toBeInstanceOf(InvalidPolicyError)
        const error = Option.getOrThrow(defect) as InvalidPolicyError
        expect(error.field, String(state)).toBe(field)
        expect(error.message).toContain(`Invalid ${field}`)
        const decoded = RetryState.decode(state)
        expect(Either.isLeft(decoded) && decoded.left.field).toBe(field)
        expect(RetryState.is(state)).toBe(false)
      }
    }))

  it.effect("`after` is required and validated", () =>
    Effect.gen(function*() {
      const unknown = yield* Effect.exit(
        Effect.succeed(1).pipe(IntelligentRetry.withHandoff({ after: 1000, resumeAt: 5 } as any))
      )
      const error = Exit.isFailure(unknown) ? Option.getOrThrow(Cause.dieOption(unknown.cause)) : undefined
      expect(error).toBeInstanceOf(InvalidPolicyError)
      expect((error as InvalidPolicyError).field).toBe("options.resumeAt")
      expect((error as InvalidPolicyError).message).toMatch(/withHandoff.*after.*state/)
      for (const [after, field] of [[undefined, "after"], [-1, "after"], ["soon", "after"]] as const) {
        const exit = yield* Effect.exit(Effect.succeed(1).pipe(IntelligentRetry.withHandoff({ after } as any)))
        const defect = Exit.isFailure(exit) ? Option.getOrThrow(Cause.dieOption(exit.cause)) : undefined
        expect(defect).toBeInstanceOf(InvalidPolicyError)
        expect((defect as InvalidPolicyError).field).toBe(field)
      }
    }))

  it.effect("a permanent error is not handed off: it ends the run at once", () =>
    Effect.gen(function*() {
      const error = new PermanentError({ message: "404" })
      const { effect, times } = remote([error])
      const exit = yield* exitOf(effect.pipe(IntelligentRetry.withHandoff({ after: 0 })))
      expect(exit).toEqual(Exit.fail(error))
      expect(times).toEqual([0])
    }))

  it.effect("statistics count one run: hand-offs record failures and retries, only the last part an outcome", () =>
    Effect.gen(function*() {
      const { effect } = remote([net(), rate(), rate()])
      const options = { task: "track", after: "1 minute" } as const
      const first = handoffOf(yield* exitOf(effect.pipe(IntelligentRetry.withHandoff(options))))
      let analysis = yield* RetryStats.analyzeTaskErrors("track")
      expect(analysis.totalErrors).toBe(2)
      expect(analysis.retries).toBe(2)
      expect(analysis.waitMillis).toBe(300_000)
      expect(Object.values(analysis.outcomes).reduce((a, b) => a + b, 0)).toBe(0)

      yield* TestClock.setTime(first.resumeAt)
      const second = handoffOf(
        yield* exitOf(effect.pipe(IntelligentRetry.withHandoff({ ...options, state: first.state })))
      )
      yield* TestClock.setTime(second.resumeAt)
      const exit = yield* exitOf(effect.pipe(IntelligentRetry.withHandoff({ ...options, state: second.state })))
      expect(exit).toEqual(Exit.succeed("ok"))

      analysis = yield* RetryStats.analyzeTaskErrors("track")
      expect(analysis.totalErrors).toBe(3)
      expect(analysis.retries).toBe(3)
      expect(analysis.waitMillis).toBe(300_000 + 600_000)
      expect(analysis.outcomes).toMatchObject({ recovered: 1, succeeded_first_try: 0, interrupted: 0, exhausted: 0 })
      expect(Object.values(analysis.outcomes).reduce((a, b) => a + b, 0)).toBe(1)
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("a fresh state (no failure yet) runs as a new run: its first success is succeeded_first_try", () =>
    Effect.gen(function*() {
      yield* Effect.succeed(1).pipe(
        IntelligentRetry.withHandoff({ task: "t", after: "1 minute", state: RetryState.initial(0) })
      )
      const analysis = yield* RetryStats.analyzeTaskErrors("t")
      expect(analysis.outcomes).toMatchObject({ succeeded_first_try: 1, recovered: 0 })
    }).pipe(Effect.provide(RetryStats.layer)))

  it.effect("a state without a start takes the run's start when it first fails", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(42_000)
      const { effect } = remote([rate()])
      const handoff = handoffOf(
        yield* exitOf(effect.pipe(IntelligentRetry.withHandoff({ after: "1 minute", state: RetryState.initial() })))
      )
      expect(handoff.state.start).toBe(42_000)
      expect(handoff.resumeAt).toBe(342_000)
    }))
})

/** Tables that retry every category (1 to 4 times), so that most runs wait, and many hand off. */
const retryingPolicy = fc.record({
  decision: fc.constantFrom("retry_immediately", "retry_with_delay", "retry_with_backoff" as const),
  maxRetries: fc.integer({ min: 1, max: 4 }),
  baseDelay: fc.integer({ min: 0, max: 5_000 }),
  maxDelay: fc.integer({ min: 0, max: 20_000 }),
  backoffFactor: fc.double({ min: 1, max: 3, noNaN: true }),
  jitter: fc.constantFrom(false, true, "full" as const, "equal" as const, "decorrelated" as const)
})
const retryingTable = fc.record({
  network_error: retryingPolicy,
  api_rate_limit: retryingPolicy,
  data_error: retryingPolicy,
  system_error: retryingPolicy,
  temporary_error: retryingPolicy,
  permanent_error: retryingPolicy
})

describe("IntelligentRetry.withHandoff: a run split by hand-offs is the same run", () => {
  it("same attempt times, same end, same statistics as one in-process run (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        retryingTable,
        fc.array(arb.error, { minLength: 2, maxLength: 10 }),
        // small enough that most runs with a wait hand off at least once
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3_000 })),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }),
        (strategies, errors, after, r, maxElapsed) =>
          Effect.runPromise(Effect.gen(function*() {
            const options = { task: "p", strategies, ...(maxElapsed === undefined ? {} : { maxElapsed }) }
            const outcomes: Array<string> = []
            const onFailure = (info: { readonly outcome: string }) => Effect.sync(() => outcomes.push(info.outcome))

            // one run, sleeping every wait in-process
            const whole = remote(errors)
            const expected = yield* Effect.gen(function*() {
              const exit = yield* exitOf(
                whole.effect.pipe(
                  withIntelligentRetry({ ...options, onFailure }),
                  Effect.withRandom(Random.fixed([r]))
                ),
                "1000 days"
              )
              return { exit, stats: yield* RetryStats.analyzeTaskErrors("p") }
            }).pipe(Effect.provide(RetryStats.layer), Effect.provide(TestContext.TestContext))
            const expectedOutcomes = outcomes.splice(0)

            // the same run, handing off every wait of at least `after`, resumed from JSON at resumeAt
            const split = remote(errors)
            const actual = yield* Effect.gen(function*() {
              let state: RetryState.RetryState | undefined = undefined
              let handoffs = 0
              for (;;) {
                const exit = yield* exitOf(
                  split.effect.pipe(
                    IntelligentRetry.withHandoff({ ...options, onFailure, after, state }),
                    Effect.withRandom(Random.fixed([r]))
                  ),
                  "1000 days"
                )
                const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
                if (Option.isSome(failure) && failure.value instanceof RetryHandoff) {
                  handoffs++
                  expect(Duration.toMillis(failure.value.wait)).toBeGreaterThanOrEqual(after)
                  state = JSON.parse(JSON.stringify(failure.value.state))
                  yield* TestClock.setTime(failure.value.resumeAt)
                  continue
                }
                return { exit, handoffs, stats: yield* RetryStats.analyzeTaskErrors("p") }
              }
            }).pipe(Effect.provide(RetryStats.layer), Effect.provide(TestContext.TestContext))

            expect(split.times).toEqual(whole.times)
            expect(actual.exit).toEqual(expected.exit)
            expect(outcomes).toEqual(expectedOutcomes)
            expect(actual.stats.outcomes).toEqual(expected.stats.outcomes)
            expect(actual.stats.totalErrors).toBe(expected.stats.totalErrors)
            expect(actual.stats.retries).toBe(expected.stats.retries)
            expect(actual.stats.waitMillis).toBe(expected.stats.waitMillis)
            const waits = whole.times.slice(1).map((t, i) => t - whole.times[i])
            expect(actual.handoffs).toBe(waits.filter((w) => w >= after).length)
          }))
      ),
      { numRuns: 60, seed: 20_251_129 }
    )
  }, 60_000)
})
