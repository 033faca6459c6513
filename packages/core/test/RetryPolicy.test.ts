import { describe, expect, it } from "@effect/vitest"
import {
  NetworkError,
  RateLimitError,
  RetryBudget,
  RetryPolicy,
  Strategies,
  TemporaryError,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Duration, Effect, Either, Exit } from "effect"
import { runVirtual, scripted } from "./utils.js"

const invalid = (input: unknown) => {
  const result = RetryPolicy.decodeUnknown(input)
  return Either.isLeft(result)
    ? { field: result.left.field, value: result.left.value, message: result.left.message }
    : undefined
}

describe("RetryPolicy validation", () => {
  it("fills omitted fields with documented defaults", () => {
    expect(RetryPolicy.make({ decision: "retry_with_backoff" })).toEqual({
      decision: "retry_with_backoff",
      maxRetries: 3,
      baseDelay: Duration.seconds(1),
      maxDelay: Duration.infinity,
      backoffFactor: 2,
      jitter: false,
      hint: "at least"
    })
  })

  it("hint: \"at least\" (the default) or \"exact\"; anything else names the field", () => {
    expect(RetryPolicy.make({ decision: "retry_with_delay", hint: "exact" }).hint).toBe("exact")
    const error = Either.flip(RetryPolicy.decodeUnknown({ decision: "retry_with_delay", hint: "floor" }))
    expect(Either.isRight(error) && error.right.field).toBe("policy.hint")
    expect(Either.isRight(error) && error.right.message).toContain("\"at least\" or \"exact\", got \"floor\"")
  })

  it("accepts every DurationInput form", () => {
    const forms: Array<Duration.DurationInput> = [1500, "1500 millis", "1.5 seconds", Duration.millis(1500), [
      1,
      500_000_000
    ], 1_500_000_000n]
    for (const baseDelay of forms) {
      expect(Duration.toMillis(RetryPolicy.make({ decision: "retry_with_delay", baseDelay }).baseDelay)).toBe(1500)
    }
  })

  it.each([
    [
      { decision: "retry_sometimes" },
      "decision",
      "retry_sometimes",
      /must be one of "retry_immediately", .*got "retry_sometimes"/
    ],
    [{ decision: "no_retry", maxRetries: -1 }, "maxRetries", -1, /must be an integer ≥ 0, got -1$/],
    [{ decision: "no_retry", maxRetries: 1.5 }, "maxRetries", 1.5, /got 1.5$/],
    [{ decision: "no_retry", maxRetries: "3" }, "maxRetries", "3", /got "3"$/],
    [{ decision: "retry_with_delay", baseDelay: -1 }, "baseDelay", -1, /must be a non-negative duration.*got -1$/],
    [{ decision: "retry_with_delay", baseDelay: "-5 seconds" }, "baseDelay", "-5 seconds", /got "-5 seconds"$/],
    [{ decision: "retry_with_delay", baseDelay: Number.NaN }, "baseDelay", Number.NaN, /got NaN$/],
    [{ decision: "retry_with_delay", maxDelay: "soon" }, "maxDelay", "soon", /got "soon"$/],
    [
      { decision: "retry_with_delay", backoffFactor: 0.5 },
      "backoffFactor",
      0.5,
      /must be a finite number ≥ 1, got 0.5$/
    ],
    [{ decision: "retry_with_delay", backoffFactor: Infinity }, "backoffFactor", Infinity, /got Infinity$/],
    [{ decision: "retry_with_delay", jitter: "lots" }, "jitter", "lots", /got "lots"$/],
    [{ decision: "retry_with_delay", maxRetry: 3 }, "maxRetry", 3, /is not a policy field/]
  ])("%j is rejected, naming the field and the value", (input, field, value, message) => {
    const error = invalid(input)
    expect(error?.field).toBe(`policy.${field}`)
    expect(error?.value).toEqual(value)
    expect(error?.message).toMatch(message)
  })

  it("non-objects are rejected without throwing", () => {
    for (const input of [null, undefined, 3, "x", [], Symbol("s")]) {
      expect(invalid(input)?.field).toBe("policy.(policy)")
    }
  })

  it("make throws the InvalidPolicyError; decode fails with it", () => {
    expect(() => RetryPolicy.make({ decision: "no_retry", maxRetries: -2 })).toThrow("Invalid policy.maxRetries")
    const exit = Effect.runSyncExit(RetryPolicy.decode({ decision: "no_retry", maxRetries: -2 }))
    expect(Exit.isFailure(exit)).toBe(true)
  })

  it("nominalWaits lists the documented waits", () => {
    expect(RetryPolicy.nominalWaits(Strategies.tracking.network_error)).toEqual([5000, 10000, 20000, 40000])
    expect(RetryPolicy.nominalWaits(Strategies.tracking.api_rate_limit)).toEqual([300_000, 600_000, 1_200_000])
    expect(RetryPolicy.nominalWaits(Strategies.defaults.network_error)).toEqual([0, 0, 0, 0, 0])
    expect(RetryPolicy.nominalWaits(RetryPolicy.make({ decision: "retry_immediately", maxRetries: 4, baseDelay: 100 })))
      .toEqual([0, 100, 200, 400])
    expect(RetryPolicy.nominalWaits(Strategies.noRetry)).toEqual([])
  })
})

describe("compiled schedules work with plain Effect.retry", () => {
  it.effect("RetryPolicy.toSchedule", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted(Array.from({ length: 9 }, () => new Error("x")))
      const policy = RetryPolicy.make({ decision: "retry_with_backoff", maxRetries: 3, baseDelay: 100, maxDelay: 300 })
      const exit = yield* runVirtual(Effect.retry(effect, RetryPolicy.toSchedule(policy)))
      expect(times).toEqual([0, 100, 300, 600])
      expect(Exit.isFailure(exit)).toBe(true)
    }))

  it.effect("RetryPolicy.toSchedule honours a hint and stops on a hint above maxDelay", () =>
    Effect.gen(function*() {
      const errors = [
        new RateLimitError({ message: "", retryAfter: Duration.seconds(2) }),
        new RateLimitError({ message: "", retryAfter: Duration.hours(2) })
      ]
      const { effect, times } = scripted(errors)
      const policy = RetryPolicy.make({
        decision: "retry_with_delay",
        maxRetries: 5,
        baseDelay: 100,
        maxDelay: "1 minute"
      })
      const exit = yield* runVirtual(Effect.retry(effect, RetryPolicy.toSchedule(policy)))
      expect(times).toEqual([0, 2000])
      expect(exit).toEqual(Exit.fail(errors[1]))
    }))

  it.effect("Strategies.toSchedule dispatches on the category, one counter per category", () =>
    Effect.gen(function*() {
      const errors = [
        new NetworkError({ message: "" }),
        new TemporaryError({ message: "" }),
        new NetworkError({ message: "" })
      ]
      const { effect, times } = scripted(errors)
      const table = {
        ...Strategies.defaults,
        ...Strategies.tracking,
        temporary_error: RetryPolicy.make({ decision: "retry_with_delay", baseDelay: 1 })
      }
      yield* runVirtual(Effect.retry(effect, Strategies.toSchedule(table)))
      // network n=0: 5 s; temporary n=0: 1 ms; network n=1: 10 s
      expect(times).toEqual([0, 5000, 5001, 15001])
    }))

  it.effect("a schedule value can be reused: every run starts from fresh counters", () =>
    Effect.gen(function*() {
      const schedule = RetryPolicy.toSchedule(
        RetryPolicy.make({ decision: "retry_with_delay", maxRetries: 2, baseDelay: 10, backoffFactor: 1 })
      )
      for (let i = 0; i < 2; i++) {
        const { effect, times } = scripted([1, 2, 3])
        yield* runVirtual(Effect.retry(effect, schedule))
        expect(times.map((t) => t - times[0])).toEqual([0, 10, 20])
      }
    }))

  it.effect("Strategies.toSchedule honours the same run-wide rules as withIntelligentRetry: veto, caps, budget", () =>
    Effect.gen(function*() {
      const errors = Array.from({ length: 6 }, (_, i) => new NetworkError({ message: i === 2 ? "no" : "reset" }))
      const table = Strategies.defaults
      // the veto: the third failure is not retryable
      const vetoed = scripted(errors)
      yield* runVirtual(Effect.retry(
        vetoed.effect,
        Strategies.toSchedule(table, { retryable: (e: NetworkError) => e.message !== "no" })
      ))
      expect(vetoed.times.length).toBe(3)
      // maxAttempts
      const capped = scripted(errors)
      yield* runVirtual(Effect.retry(capped.effect, Strategies.toSchedule(table, { maxAttempts: 2 })))
      expect(capped.times.length).toBe(2)
      // the current RetryBudget: 4 tokens, each network failure costs one, a retry needs more than 2 left
      const budgeted = scripted(errors)
      yield* runVirtual(
        Effect.retry(budgeted.effect, Strategies.toSchedule(table)).pipe(
          Effect.provide(RetryBudget.layer({ maxTokens: 4 }))
        )
      )
      expect(budgeted.times.length).toBe(2)
    }))

  it.effect("withIntelligentRetry steps the very Schedule RetryPolicy.toSchedule returns (compiled once per policy)", () =>
    Effect.gen(function*() {
      const policy = RetryPolicy.make({ decision: "retry_with_backoff", maxRetries: 2, baseDelay: 100 })
      expect(RetryPolicy.toSchedule(policy)).toBe(RetryPolicy.toSchedule(policy))
      const viaSchedule = scripted([1, 2, 3])
      yield* runVirtual(Effect.retry(viaSchedule.effect, RetryPolicy.toSchedule(policy)))
      const viaCombinator = scripted([1, 2, 3])
      yield* runVirtual(viaCombinator.effect.pipe(
        withIntelligentRetry({ strategies: { temporary_error: policy } })
      ))
      const relative = (times: Array<number>) => times.map((t) => t - times[0])
      expect(relative(viaCombinator.times)).toEqual(relative(viaSchedule.times))
      expect(relative(viaSchedule.times)).toEqual([0, 100, 300])
    }))
})
