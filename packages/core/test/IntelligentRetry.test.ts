import { describe, expect, it } from "@effect/vitest"
import {
  Classifier,
  DataError,
  type IntelligentRetry,
  InvalidPolicyError,
  NetworkError,
  PermanentError,
  RateLimitError,
  RetryConfig,
  RetryStats,
  Strategies,
  SystemError,
  TemporaryError,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Cause, Duration, Effect, Exit, Fiber, HashMap, Layer, Logger, LogLevel, Random, Ref, TestClock } from "effect"
import { runVirtual, scripted } from "./utils.js"

const net = (message = "reset") => new NetworkError({ message })
const rate = (message = "429", retryAfter?: Duration.DurationInput) =>
  new RateLimitError({ message, ...(retryAfter === undefined ? {} : { retryAfter: Duration.decode(retryAfter) }) })
const temp = (message = "503") => new TemporaryError({ message })

describe("withIntelligentRetry: delay semantics", () => {
  it.effect("defaults: network errors retry at once, 5 times, then the last error surfaces", () =>
    Effect.gen(function*() {
      const errors = Array.from({ length: 7 }, (_, i) => net(`reset ${i}`))
      const { effect, times } = scripted(errors)
      const exit = yield* runVirtual(withIntelligentRetry(effect))
      expect(times).toEqual([0, 0, 0, 0, 0, 0])
      expect(exit).toEqual(Exit.fail(errors[5]))
    }))

  it.effect("retry_immediately waits 0 for n = 0, then baseDelay × factor^(n−1), capped by maxDelay", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted(Array.from({ length: 10 }, () => net()))
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        strategies: {
          network_error: {
            decision: "retry_immediately",
            maxRetries: 5,
            baseDelay: 1000,
            maxDelay: 5000,
            backoffFactor: 2
          }
        }
      })))
      // waits: 0, 1000, 2000, 4000, 5000 (capped)
      expect(times).toEqual([0, 0, 1000, 3000, 7000, 12000])
    }))

  it.effect("retry_with_backoff waits min(maxDelay, baseDelay × factor^n)", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted(Array.from({ length: 10 }, () => temp()))
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        strategies: {
          temporary_error: {
            decision: "retry_with_backoff",
            maxRetries: 5,
            baseDelay: 100,
            maxDelay: 500,
            backoffFactor: 2
          }
        }
      })))
      expect(times).toEqual([0, 100, 300, 700, 1200, 1700])
    }))

  it.effect("retry_with_delay uses the same formula (the guide's rate-limit strategy)", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([rate(), rate(), rate(), rate()])
      const exit = yield* runVirtual(withIntelligentRetry(effect))
      // defaults: 300 s, 600 s, 1200 s (max 1800 s), 3 retries
      expect(times).toEqual([0, 300_000, 900_000, 2_100_000])
      expect(Exit.isFailure(exit)).toBe(true)
    }))

  it.effect("tracking preset: network waits exactly 5 s, 10 s, 20 s, 40 s", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted(Array.from({ length: 6 }, () => net()))
      yield* runVirtual(effect.pipe(withIntelligentRetry({ strategies: Strategies.tracking })))
      expect(times).toEqual([0, 5000, 15000, 35000, 75000])
    }))

  it.effect("tracking preset: rate limits wait exactly 5, 10, 20 minutes", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted(Array.from({ length: 6 }, () => rate()))
      yield* runVirtual(effect.pipe(withIntelligentRetry({ strategies: Strategies.tracking })))
      expect(times).toEqual([0, 300_000, 900_000, 2_100_000])
    }))

  it.effect("each category counts its own retries: network, network, then rate limit starts at n = 0", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([net(), net(), rate(), rate()])
      const retries: Array<[string, number, number, number]> = []
      const exit = yield* runVirtual(effect.pipe(withIntelligentRetry({
        strategies: {
          network_error: { decision: "retry_with_backoff", maxRetries: 3, baseDelay: 100, backoffFactor: 2 },
          api_rate_limit: { decision: "retry_with_delay", maxRetries: 3, baseDelay: 1000, backoffFactor: 3 }
        },
        onRetry: (info) =>
          Effect.sync(() =>
            retries.push([info.category, info.attempt, info.categoryAttempt, Duration.toMillis(info.wait)])
          )
      })))
      expect(exit).toEqual(Exit.succeed("ok"))
      expect(times).toEqual([0, 100, 300, 1300, 4300])
      expect(retries).toEqual([
        ["network_error", 1, 1, 100],
        ["network_error", 2, 2, 200],
        ["api_rate_limit", 3, 1, 1000],
        ["api_rate_limit", 4, 2, 3000]
      ])
    }))

  it.effect("a category's maxRetries is its own: exhausting network does not consume rate-limit retries", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([net(), rate(), net(), rate(), net()])
      const failures: Array<IntelligentRetry.FailureInfo<unknown>> = []
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        strategies: {
          network_error: { decision: "retry_with_delay", maxRetries: 2, baseDelay: 10, backoffFactor: 1 },
          api_rate_limit: { decision: "retry_with_delay", maxRetries: 2, baseDelay: 100, backoffFactor: 1 }
        },
        onFailure: (info) => Effect.sync(() => failures.push(info))
      })))
      expect(times).toEqual([0, 10, 110, 120, 220])
      expect(failures.map((f) => [f.outcome, f.category, f.attempts, f.retries])).toEqual([
        ["exhausted", "network_error", 5, 4]
      ])
    }))
})

describe("withIntelligentRetry: decisions that stop", () => {
  it.effect("data and permanent errors are attempted once, and the original error surfaces", () =>
    Effect.gen(function*() {
      for (
        const error of [new DataError({ message: "missing tracking_number" }), new PermanentError({ message: "404" })]
      ) {
        const { effect, times } = scripted([error])
        const failures: Array<string> = []
        const exit = yield* runVirtual(effect.pipe(withIntelligentRetry({
          onFailure: (info) => Effect.sync(() => failures.push(info.outcome))
        })))
        expect(times.length).toBe(1)
        expect(exit).toEqual(Exit.fail(error))
        expect(failures).toEqual(["not_retryable"])
      }
    }))

  it.effect("maxRetries 0 fails at once whatever the decision", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([net()])
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        strategies: { network_error: { decision: "retry_immediately", maxRetries: 0 } }
      })))
      expect(times).toEqual([0])
    }))

  it.effect("defects are never retried", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const exit = yield* runVirtual(
        Ref.update(attempts, (n) => n + 1).pipe(Effect.zipRight(Effect.die("boom")), withIntelligentRetry())
      )
      expect(yield* Ref.get(attempts)).toBe(1)
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    }))

  it.effect("maxAttempts caps the whole run across categories", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([net(), rate(), net(), rate(), net()])
      const outcomes: Array<string> = []
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        maxAttempts: 3,
        strategies: { api_rate_limit: { decision: "retry_with_delay", maxRetries: 5, baseDelay: 1 } },
        onFailure: (info) => Effect.sync(() => outcomes.push(info.outcome))
      })))
      expect(times.length).toBe(3)
      expect(outcomes).toEqual(["stopped_by_cap"])
    }))

  it.effect("maxElapsed: no retry whose wait would end past it", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted(Array.from({ length: 10 }, () => temp()))
      const outcomes: Array<string> = []
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        maxElapsed: "1 second",
        strategies: {
          temporary_error: { decision: "retry_with_backoff", maxRetries: 9, baseDelay: 100, backoffFactor: 2 }
        },
        onFailure: (info) => Effect.sync(() => outcomes.push(info.outcome))
      })))
      // 0, 100, 300, 700; the next wait (800) would end at 1500 > 1000
      expect(times).toEqual([0, 100, 300, 700])
      expect(outcomes).toEqual(["stopped_by_cap"])
    }))
})

describe("withIntelligentRetry: server hints", () => {
  it.effect("a RateLimitError's retryAfter raises the wait to at least the hint", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([rate("429", "45 seconds"), rate("429", "1 second")])
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        strategies: {
          api_rate_limit: { decision: "retry_with_delay", maxRetries: 3, baseDelay: "10 seconds", maxDelay: "1 minute" }
        }
      })))
      // hint 45 s raises the first wait; the hint 1 s does not lower the second (20 s)
      expect(times).toEqual([0, 45_000, 65_000])
    }))

  it.effect("Retry-After headers on a 429 response are honoured, as delta-seconds and as an HTTP-date", () =>
    Effect.gen(function*() {
      const date = new Date(90_000).toUTCString() // 90 s after the epoch, where TestClock starts
      const errors = [
        { status: 429, headers: { "retry-after": "30" } },
        { status: 503, response: { status: 503, headers: new Headers({ "Retry-After": date }) } }
      ]
      const { effect, times } = scripted(errors)
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        strategies: {
          api_rate_limit: { decision: "retry_with_delay", maxRetries: 3, baseDelay: 1000, maxDelay: "1 hour" },
          temporary_error: { decision: "retry_with_delay", maxRetries: 3, baseDelay: 1000, maxDelay: "1 hour" }
        }
      })))
      expect(times).toEqual([0, 30_000, 90_000])
    }))

  it.effect("a hint above maxDelay is refused: the error surfaces at once", () =>
    Effect.gen(function*() {
      const error = rate("429", "2 hours")
      const { effect, times } = scripted([error])
      const outcomes: Array<string> = []
      const exit = yield* runVirtual(effect.pipe(withIntelligentRetry({
        onFailure: (info) => Effect.sync(() => outcomes.push(info.outcome))
      })))
      expect(times).toEqual([0])
      expect(exit).toEqual(Exit.fail(error))
      expect(outcomes).toEqual(["hint_exceeds_max_delay"])
    }))
})

describe("withIntelligentRetry: hints and jitter", () => {
  it.effect("with jitter, a wait raised to a hint is spread above it: hint + r × min(10% of it, 1 s)", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([rate("429", "4 seconds"), rate("429", "30 seconds")])
      yield* runVirtual(effect.pipe(
        withIntelligentRetry({
          strategies: {
            api_rate_limit: {
              decision: "retry_with_delay",
              maxRetries: 3,
              baseDelay: 100,
              maxDelay: "1 minute",
              jitter: true
            }
          }
        }),
        Effect.withRandom(Random.fixed([0.5]))
      ))
      // 4000 + 0.5 × 400; then 30000 + 0.5 × 1000 (the spread is at most 1 s)
      expect(times).toEqual([0, 4200, 4200 + 30500])
    }))

  it.effect("the spread never passes maxDelay", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([rate("429", "10 seconds")])
      yield* runVirtual(effect.pipe(
        withIntelligentRetry({
          strategies: {
            api_rate_limit: {
              decision: "retry_with_delay",
              maxRetries: 1,
              baseDelay: 100,
              maxDelay: "10.5 seconds",
              jitter: "equal"
            }
          }
        }),
        Effect.withRandom(Random.fixed([0.99]))
      ))
      expect(times).toEqual([0, 10_500])
    }))
})

describe("withIntelligentRetry: jitter", () => {
  const policy = (jitter: boolean | "full" | "equal" | "decorrelated") => ({
    temporary_error: {
      decision: "retry_with_backoff" as const,
      maxRetries: 3,
      baseDelay: 1000,
      maxDelay: 10_000,
      backoffFactor: 2,
      jitter
    }
  })

  it.effect("full jitter draws from [0, wait] with Effect's Random", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([temp(), temp(), temp()])
      yield* runVirtual(
        effect.pipe(withIntelligentRetry({ strategies: policy("full") }), Effect.withRandom(Random.fixed([0.5, 0.25])))
      )
      // 0.5 × 1000, 0.25 × 2000, then the draws cycle: 0.5 × 4000
      expect(times).toEqual([0, 500, 1000, 3000])
    }))

  it.effect("equal jitter draws from [wait/2, wait]", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([temp(), temp()])
      yield* runVirtual(
        effect.pipe(withIntelligentRetry({ strategies: policy("equal") }), Effect.withRandom(Random.fixed([0, 0.5])))
      )
      // 500 + 0 × 500, then 1000 + 0.5 × 1000
      expect(times).toEqual([0, 500, 2000])
    }))

  it.effect("decorrelated jitter is min(maxDelay, uniform(base, 3 × previous))", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([temp(), temp(), temp()])
      yield* runVirtual(
        effect.pipe(
          withIntelligentRetry({ strategies: policy("decorrelated") }),
          Effect.withRandom(Random.fixed([0.5, 1, 0.999]))
        )
      )
      // previous starts at base 1000: uniform(1000, 3000) at 0.5 = 2000;
      // then uniform(1000, 6000) at 1 = 6000; then min(10000, uniform(1000, 18000) at 0.999) = 10000
      expect(times).toEqual([0, 2000, 8000, 18000])
    }))

  it.effect("true means full jitter", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([temp()])
      yield* runVirtual(
        effect.pipe(withIntelligentRetry({ strategies: policy(true) }), Effect.withRandom(Random.fixed([0.3])))
      )
      expect(times).toEqual([0, 300])
    }))
})

describe("withIntelligentRetry: callbacks, interruption, layers", () => {
  it.effect("onRetry is told task, category, decision, attempts, wait, hint and error", () =>
    Effect.gen(function*() {
      const error = rate("429", "2 seconds")
      const { effect } = scripted([error])
      const infos: Array<IntelligentRetry.RetryInfo<unknown>> = []
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        task: "update_tracking_info",
        strategies: { api_rate_limit: { decision: "retry_with_delay", maxRetries: 1, baseDelay: 1000 } },
        onRetry: (info) => Effect.sync(() => infos.push(info))
      })))
      expect(infos).toEqual([{
        task: "update_tracking_info",
        category: "api_rate_limit",
        decision: "retry_with_delay",
        attempt: 1,
        categoryAttempt: 1,
        wait: Duration.millis(2000),
        hint: Duration.millis(2000),
        error
      }])
    }))

  it.effect("a failing, dying or throwing callback never breaks the retry loop", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([net(), net(), net()])
      let calls = 0
      const exit = yield* runVirtual(effect.pipe(withIntelligentRetry({
        onRetry: () => {
          calls++
          if (calls === 1) return Effect.fail("callback failed")
          if (calls === 2) return Effect.die("callback died")
          throw new Error("callback threw")
        },
        onFailure: () => Effect.die("never reached")
      })))
      expect(exit).toEqual(Exit.succeed("ok"))
      expect(times).toEqual([0, 0, 0, 0])
      expect(calls).toBe(3)
    }))

  it.effect("an interruption during a wait ends the run with no further attempt", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([temp(), temp(), temp()])
      const fiber = yield* Effect.fork(effect.pipe(withIntelligentRetry({
        strategies: { temporary_error: { decision: "retry_with_delay", maxRetries: 3, baseDelay: "1 minute" } }
      })))
      yield* TestClock.adjust("30 seconds")
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("1 hour")
      expect(times).toEqual([0])
    }))

  it.effect("the original error surfaces, unwrapped, with its type", () =>
    Effect.gen(function*() {
      const error = new SystemError({ message: "ENOMEM" })
      const { effect } = scripted([error, error, error, error, error])
      const fiber = yield* Effect.fork(Effect.flip(withIntelligentRetry(effect)))
      yield* TestClock.adjust("1 day")
      const flipped: SystemError = yield* Fiber.join(fiber)
      expect(flipped).toBe(error)
    }))

  it.effect("Strategies.layer overrides the default table", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([net(), net(), net()])
      yield* runVirtual(effect.pipe(withIntelligentRetry())).pipe(
        Effect.provide(Strategies.layer(Strategies.tracking))
      )
      expect(times).toEqual([0, 5000, 15000, 35000])
    }))

  it.effect("the run's strategies option wins over the layer, for its categories only", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([net(), rate()])
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        strategies: { network_error: { decision: "retry_with_delay", maxRetries: 1, baseDelay: 7 } }
      }))).pipe(Effect.provide(Strategies.layer(Strategies.tracking)))
      expect(times).toEqual([0, 7, 7 + 300_000])
    }))

  it.effect("Classifier.layer sets the fallback category", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([new Error("unknown")])
      yield* runVirtual(withIntelligentRetry(effect)).pipe(
        Effect.provide(Classifier.layer({ fallback: "permanent_error" }))
      )
      expect(times).toEqual([0])
    }))

  it.effect("classify and byTag options take precedence over the built-in rules", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([net(), temp()])
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        byTag: { NetworkError: "permanent_error", TemporaryError: "temporary_error" }
      })))
      expect(times).toEqual([0])
      const second = scripted([new Error("custom_error: bad payload")])
      const outcomes: Array<string> = []
      yield* runVirtual(second.effect.pipe(withIntelligentRetry({
        classify: (e) => String(e).includes("custom_error") ? "data_error" : undefined,
        onFailure: (info) => Effect.sync(() => outcomes.push(`${info.category}/${info.outcome}`))
      })))
      expect(second.times.length).toBe(1)
      expect(outcomes).toEqual(["data_error/not_retryable"])
    }))

  it.effect("with retrying disabled by configuration, one attempt and the outcome 'disabled'", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([net()])
      const outcomes: Array<string> = []
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        onFailure: (info) => Effect.sync(() => outcomes.push(info.outcome))
      }))).pipe(Effect.provide(Layer.succeed(RetryConfig.RetryConfig, { enabled: false })))
      expect(times).toEqual([0])
      expect(outcomes).toEqual(["disabled"])
    }))
})

describe("withIntelligentRetry: invalid input", () => {
  it.effect("an invalid policy in options dies with an error naming the field and the value", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(withIntelligentRetry(Effect.succeed(1), {
        strategies: { network_error: { decision: "retry_immediately", maxRetries: -1 } }
      }))
      expect(Exit.isFailure(exit)).toBe(true)
      const defect = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      expect(defect).toBeInstanceOf(InvalidPolicyError)
      expect((defect as InvalidPolicyError).field).toBe("strategies.network_error.maxRetries")
      expect((defect as InvalidPolicyError).value).toBe(-1)
      expect((defect as InvalidPolicyError).message).toBe(
        "Invalid strategies.network_error.maxRetries: must be an integer ≥ 0, got -1"
      )
    }))

  it.effect("an unknown option or category is an error, not silently ignored", () =>
    Effect.gen(function*() {
      const unknownOption = yield* Effect.exit(withIntelligentRetry(Effect.succeed(1), { maxRetries: 3 } as any))
      const unknownCategory = yield* Effect.exit(
        withIntelligentRetry(Effect.succeed(1), { strategies: { netwrok_error: { decision: "no_retry" } } as any })
      )
      const messages = [unknownOption, unknownCategory].map((exit) =>
        Exit.isFailure(exit) ? (Cause.squash(exit.cause) as Error).message : "succeeded"
      )
      expect(messages[0]).toMatch(/^Invalid options.maxRetries: is not an option of withIntelligentRetry .*, got 3$/)
      expect(messages[1]).toMatch(
        /^Invalid strategies.netwrok_error: "netwrok_error" is not a category .*, got \{"decision":"no_retry"\}$/
      )
    }))

  it.effect("Strategies.layer fails with a typed InvalidPolicyError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.void.pipe(
        Effect.provide(
          Strategies.layer({ temporary_error: { decision: "retry_with_backoff", baseDelay: "-5 seconds" } })
        )
      ))
      expect(error.field).toBe("strategies.temporary_error.baseDelay")
      expect(error.value).toBe("-5 seconds")
    }))
})

describe("withIntelligentRetry: retryable veto", () => {
  it.effect("retryable: false ends the run as not_retryable under the error's real category", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([net("ECONNREFUSED"), net("ECONNRESET"), net("x")])
      const failures: Array<string> = []
      const exit = yield* runVirtual(effect.pipe(withIntelligentRetry({
        retryable: (error) => error.message === "ECONNREFUSED",
        onFailure: (info) => Effect.sync(() => failures.push(`${info.category}/${info.outcome}/${info.attempts}`))
      })))
      expect(times).toEqual([0, 0])
      expect(exit).toEqual(Exit.fail(net("ECONNRESET")))
      expect(failures).toEqual(["network_error/not_retryable/2"])
    }))

  it.effect("a predicate that throws counts as retryable", () =>
    Effect.gen(function*() {
      const { effect, times } = scripted([net()])
      yield* runVirtual(effect.pipe(withIntelligentRetry({
        retryable: () => {
          throw new Error("bug")
        }
      })))
      expect(times).toEqual([0, 0])
    }))
})

describe("withIntelligentRetry: every scheduled retry is logged", () => {
  const capture = (lines: Array<string>) =>
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ annotations, logLevel, message }) => {
        const notes = HashMap.toEntries(annotations).map(([k, v]) => `${k}=${String(v)}`).sort().join(" ")
        lines.push(`${logLevel.label} ${String(Array.isArray(message) ? message[0] : message)} | ${notes}`)
      })
    )

  it.effect("at INFO by default, with the task, the category, the attempt and the wait", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const { effect } = scripted([net(), temp()])
      yield* runVirtual(effect.pipe(
        withIntelligentRetry({ task: "update_tracking_info", strategies: Strategies.tracking }),
        Effect.provide(capture(lines))
      ))
      expect(lines.length).toBe(2)
      expect(lines[0]).toBe(
        "INFO Retry in 5s: update_tracking_info attempt 1 failed with network_error (retry 1 of 4) | " +
          "retry.attempt=1 retry.category=network_error retry.task=update_tracking_info retry.wait_ms=5000"
      )
      expect(lines[1]).toMatch(/^INFO Retry in .*: update_tracking_info attempt 2 failed with temporary_error/)
    }))

  it.effect("the setting turns it down (DEBUG) or off (None)", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const run = (level: LogLevel.LogLevel) =>
        runVirtual(
          scripted([net()]).effect.pipe(
            withIntelligentRetry({ task: "t" }),
            Effect.provide(capture(lines)),
            Logger.withMinimumLogLevel(LogLevel.All),
            Effect.provideService(RetryConfig.RetryConfig, { enabled: true, retryLogLevel: level })
          )
        )
      yield* run(LogLevel.Debug)
      yield* run(LogLevel.None)
      expect(lines).toEqual([
        "DEBUG Retry in 0: t attempt 1 failed with network_error (retry 1 of 5) | " +
        "retry.attempt=1 retry.category=network_error retry.task=t retry.wait_ms=0"
      ])
    }))
})

describe("withIntelligentRetry: the hot path's caches", () => {
  it.effect("an options object is validated once, however often the data-last form is applied", () =>
    Effect.gen(function*() {
      let listed = 0
      const options = new Proxy({ task: "once" }, {
        ownKeys: (target) => {
          listed++
          return Reflect.ownKeys(target)
        }
      })
      const retry = withIntelligentRetry(options)
      for (let i = 0; i < 3; i++) yield* retry(Effect.succeed(i))
      for (let i = 0; i < 3; i++) yield* Effect.succeed(i).pipe(withIntelligentRetry(options))
      expect(listed).toBe(1)
    }))

  it.effect("the services cached for one context are looked up again when the context changes", () =>
    Effect.gen(function*() {
      const first = yield* RetryStats.make()
      const second = yield* RetryStats.make()
      const run = Effect.succeed(1).pipe(withIntelligentRetry({ task: "cached" }))
      yield* Effect.provideService(run, RetryStats.RetryStats, first)
      yield* Effect.provideService(run, RetryStats.RetryStats, first)
      yield* Effect.provideService(run, RetryStats.RetryStats, second)
      expect((yield* first.getErrorStatistics).totalRuns).toBe(2)
      expect((yield* second.getErrorStatistics).totalRuns).toBe(1)
    }))
})
