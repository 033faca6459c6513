/**
 * The property of issue 13's rule "no wait is NaN, infinite or above the ceiling": policies with
 * arbitrary finite and non-finite numbers, and server hints from arbitrary header strings and
 * arbitrary `RateLimitError` durations. Every policy either fails to decode with an
 * `InvalidPolicyError` naming a field, or runs; every wait of every run is a whole number of
 * milliseconds in [0, ceiling]; every run ends, with exactly one outcome.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  InvalidPolicyError,
  RateLimitError,
  RetryConfig,
  RetryPolicy,
  RetryStats,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Cause, Clock, Duration, Effect, Either, Exit, Logger, LogLevel, Random } from "effect"
import * as fc from "fast-check"
import { n, section } from "../../../../test/reliability/report.js"
import { VirtualClock } from "../../../../test/reliability/virtualClock.js"

const report = section({ id: "10-ceiling", order: 10, title: "The wait ceiling" })

const RUNS = Number(process.env.RELIABILITY_PROPERTY_RUNS ?? 3_000)
const SEED = Number(process.env.RELIABILITY_SEED ?? 20_261_129)
const DAY = 86_400_000
const LIMIT = 2 ** 31 - 1

/** Any number: finite, huge, tiny, negative, NaN, ±Infinity, -0. */
const anyNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, 1e308, 1e300, Number.MAX_VALUE, Number.MIN_VALUE, -0, 0, 2 ** 31, LIMIT),
  fc.integer({ min: 0, max: 100_000 })
)

/** A duration field: a number, a `Duration` of any number, or a string. */
const anyDuration = fc.oneof(
  anyNumber,
  anyNumber.map((x) => Duration.millis(x)),
  fc.constant(Duration.infinity),
  fc.constantFrom("1 second", "Infinity millis", "1e400 millis", "30 days", "-1 seconds", "NaN millis", "")
)

const policyInput = fc.record({
  decision: fc.constantFrom("retry_immediately", "retry_with_delay", "retry_with_backoff", "no_retry"),
  maxRetries: fc.oneof(fc.integer({ min: 0, max: 6 }), anyNumber),
  baseDelay: anyDuration,
  maxDelay: anyDuration,
  backoffFactor: fc.oneof(anyNumber, fc.double({ min: 1, max: 1e6, noNaN: true })),
  jitter: fc.constantFrom(false, true, "full", "equal", "decorrelated")
}, { requiredKeys: ["decision"] })

/** Header values a hostile or broken server might send. */
const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^\d{1,15}$/),
  fc.constantFrom(
    "999999999999",
    "0",
    "-5",
    "1e9",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Mon, 31 Feb 2025 00:00:00 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Wed, 21 Oct 2026 07:28:00 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
    "NaN",
    "Infinity"
  )
)

const hintedError = fc.oneof(
  fc.record({
    status: fc.constantFrom(429, 503),
    headers: fc.record({
      "retry-after": headerValue,
      "x-ratelimit-reset": headerValue,
      ratelimit: headerValue.map((v) => `"default";r=0;t=${v}`),
      "ratelimit-reset": headerValue
    }, { requiredKeys: [] })
  }),
  anyDuration.map((retryAfter) => {
    const decoded = Duration.isDuration(retryAfter) ? retryAfter : Duration.decodeUnknown(retryAfter)
    return new RateLimitError({
      message: "429",
      ...(Duration.isDuration(decoded) ? { retryAfter: decoded } : {})
    })
  }),
  fc.constant({ code: "ECONNRESET" }),
  fc.constant({ status: 500 })
)

/** A valid ceiling, or none (the default, 24 hours). */
const ceiling = fc.option(fc.integer({ min: 1, max: LIMIT - 1 }), { nil: undefined })

/** The store, recording every outcome it is told into `outcomes` (the store is a class: extend it). */
const countingStore = (
  store: RetryStats.RetryStatsService,
  outcomes: Array<string>
): RetryStats.RetryStatsService => {
  const counting = Object.create(store) as { -readonly [K in keyof RetryStats.RetryStatsService]: any }
  counting.unsafeRecordOutcome = (...args: Parameters<RetryStats.RetryStatsService["unsafeRecordOutcome"]>) => {
    outcomes.push(args[1])
    store.unsafeRecordOutcome(...args)
  }
  return counting
}

describe("the wait ceiling, as a property", () => {
  it("every wait is a whole number in [0, ceiling], and every run ends with exactly one outcome", () => {
    const store = Effect.runSync(RetryStats.make({ metrics: false, sampleSize: 0 }))
    let rejected = 0
    let runs = 0
    let waits = 0
    let atCeiling = 0
    const tally: Record<string, number> = {}
    fc.assert(
      fc.property(
        policyInput,
        fc.array(hintedError, { minLength: 1, maxLength: 8 }),
        ceiling,
        fc.integer({ min: 0, max: 4e12 }),
        fc.integer(),
        (input, errors, maxWait, start, seed) => {
          const decoded = RetryPolicy.decodeUnknown(input)
          if (Either.isLeft(decoded)) {
            // rejected when decoded, naming the field
            expect(decoded.left).toBeInstanceOf(InvalidPolicyError)
            expect(decoded.left.field).toMatch(/^policy\.\w+$/)
            rejected++
            return
          }
          const policy = decoded.right
          const clock = new VirtualClock(start)
          const outcomes: Array<string> = []
          const attempts: Array<number> = []
          const effect = Effect.flatMap(Clock.currentTimeMillis, (now) => {
            attempts.push(now)
            const error = errors[attempts.length - 1]
            return error === undefined ? Effect.succeed("ok") : Effect.failCause(Cause.fail(error))
          })
          const table = {
            network_error: policy,
            api_rate_limit: policy,
            data_error: policy,
            system_error: policy,
            temporary_error: policy,
            permanent_error: policy
          }
          const exit = Effect.runSyncExit(
            effect.pipe(
              withIntelligentRetry({ task: "ceiling", strategies: table }),
              Effect.provideService(RetryStats.RetryStats, countingStore(store, outcomes)),
              Effect.provideService(
                RetryConfig.RetryConfig,
                maxWait === undefined ? { enabled: true } : { enabled: true, maxWait }
              ),
              Effect.withRandom(Random.make(seed)),
              Logger.withMinimumLogLevel(LogLevel.None),
              Effect.withClock(clock)
            )
          )
          const bound = maxWait ?? DAY
          expect(clock.hung).toBe(false)
          for (const sleep of clock.sleeps) {
            expect(Number.isInteger(sleep), `wait ${sleep}`).toBe(true)
            expect(sleep).toBeGreaterThanOrEqual(0)
            expect(sleep).toBeLessThanOrEqual(bound)
            if (sleep === bound) atCeiling++
          }
          // the run ended (synchronously: nothing left waiting), with exactly one outcome
          expect(Exit.isExit(exit)).toBe(true)
          expect(outcomes, Exit.isFailure(exit) ? Cause.pretty(exit.cause).slice(0, 600) : "").toHaveLength(1)
          tally[outcomes[0]] = (tally[outcomes[0]] ?? 0) + 1
          if (Exit.isSuccess(exit)) expect(outcomes[0]).toBe("recovered")
          runs++
          waits += clock.sleeps.length
        }
      ),
      { numRuns: RUNS, seed: SEED }
    )
    expect(runs + rejected).toBe(RUNS)
    expect(runs).toBeGreaterThan(RUNS / 10)
    expect(rejected).toBeGreaterThan(0)
    expect(waits).toBeGreaterThan(0)
    // the edges were reached: waits at the ceiling (huge factors, unbounded maxDelay), hints above it
    expect(atCeiling).toBeGreaterThan(0)
    expect(tally.hint_exceeds_max_delay).toBeGreaterThan(0)
    report.add({
      tried: "withIntelligentRetry with hostile policies and hints: every wait a whole number in [0, ceiling], " +
        "every run ends with exactly one outcome",
      inputs: "policies whose numbers are arbitrary doubles, NaN, ±Infinity, 1e308, 2^31, Duration.infinity and " +
        "duration strings; 1–8 errors: 429/503 with arbitrary Retry-After, RateLimit, RateLimit-Reset and " +
        "X-RateLimit-Reset strings, RateLimitErrors with arbitrary durations, resets, 500s; the default ceiling or " +
        "a random one below 2^31 − 1 ms; start times 0 – 4·10¹² ms",
      faults: "non-finite and huge numbers, hostile header strings",
      load: `${n(RUNS)} policies`,
      measured: `${n(rejected)} rejected when decoded (InvalidPolicyError naming the field), ${n(runs)} runs: ` +
        `${n(waits)} waits, all finite whole milliseconds within the ceiling (${n(atCeiling)} at it); no run ` +
        `left waiting; outcomes, one per run: ${
          Object.entries(tally).sort().map(([k, v]) => `${k} ${n(v)}`).join(", ")
        }`
    })
  })
})
