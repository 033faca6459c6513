/**
 * Regressions of the defects found by probing the library from outside (issue 13): each test here
 * failed before its fix. docs/reliability.md lists them.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import {
  Classifier,
  classify,
  IntelligentRetry,
  InvalidPolicyError,
  NetworkError,
  RateLimitError,
  RetryConfig,
  RetryPolicy,
  RetryStats,
  Strategies,
  TemporaryError,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Cause, ConfigProvider, Duration, Effect, Either, Exit, Fiber, Layer, Logger, Option, TestClock } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { section } from "../../../../test/reliability/report.js"
import { runVirtual, scripted } from "../utils.js"

const report = section({ id: "09-defects", order: 9, title: "Defects found by probing from outside (issue 13)" })

const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => {
    lines.push(Logger.logfmtLogger.log(options))
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

const DAY = 86_400_000

describe("defect 1: no wait is NaN, infinite or above the ceiling", () => {
  it("a policy field that cannot give a finite wait is rejected when decoded, naming the field", () => {
    report.add({
      tried: "defect 1: a policy field that cannot give a finite wait",
      inputs:
        "baseDelay Infinity, Duration.infinity, \"Infinity millis\", 2^31 ms, \"30 days\", [1e12, 0]; backoffFactor Infinity",
      faults: "non-finite and out-of-range numbers",
      load: "—",
      measured:
        "before: accepted (decorrelated jitter then gave NaN waits, run as 0 ms: six immediate attempts, maxElapsed never fired); now: InvalidPolicyError naming policy.baseDelay / policy.backoffFactor (internal/policy.ts)"
    })
    for (const baseDelay of [Infinity, Duration.infinity, "Infinity millis", 2 ** 31, "30 days", [1e12, 0]]) {
      const decoded = RetryPolicy.decodeUnknown({ decision: "retry_with_backoff", baseDelay })
      expect(Either.isLeft(decoded), String(baseDelay)).toBe(true)
      if (Either.isLeft(decoded)) {
        expect(decoded.left).toBeInstanceOf(InvalidPolicyError)
        expect(decoded.left.field).toBe("policy.baseDelay")
      }
    }
    const factor = RetryPolicy.decodeUnknown({ decision: "retry_with_backoff", backoffFactor: Infinity })
    expect(Either.isLeft(factor) && factor.left.field).toBe("policy.backoffFactor")
  })

  it("nominalWaits of an astronomic factor with an unbounded maxDelay stop at the 24-hour ceiling", () => {
    report.add({
      tried: "defect 1: nominalWaits of backoffFactor 1e308 with an unbounded maxDelay",
      inputs: "4 retries, base 1 s",
      faults: "an astronomic factor",
      load: "—",
      measured:
        "before: [1000, Infinity, Infinity, Infinity] (null in JSON); now: [1000, 86400000, 86400000, 86400000], the 24-hour ceiling (internal/policy.ts bounded)"
    })
    const policy = RetryPolicy.make({
      decision: "retry_with_backoff",
      maxRetries: 4,
      baseDelay: 1000,
      backoffFactor: 1e308
    })
    expect(RetryPolicy.nominalWaits(policy)).toEqual([1000, DAY, DAY, DAY])
    expect(JSON.stringify(RetryPolicy.nominalWaits(policy))).not.toContain("null")
  })

  it.effect("decorrelated jitter with a huge factor gives finite waits, and maxElapsed fires", () =>
    Effect.gen(function*() {
      report.add({
        tried: "defect 1: decorrelated jitter, factor 1e308, unbounded maxDelay, maxElapsed 2 days",
        inputs: "10 network errors",
        faults: "an astronomic factor",
        load: "—",
        measured:
          "every wait a whole number in [1 s, 24 h]; the run stops before 2 days (before: NaN waits, maxElapsed never fired)"
      })
      const { effect, times } = scripted(Array.from({ length: 10 }, () => new NetworkError({ message: "reset" })))
      const exit = yield* runVirtual(
        effect.pipe(withIntelligentRetry({
          strategies: {
            network_error: {
              decision: "retry_with_backoff",
              maxRetries: 6,
              baseDelay: 1000,
              backoffFactor: 1e308,
              jitter: "decorrelated"
            }
          },
          maxElapsed: "2 days"
        }))
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const waits = times.slice(1).map((t, i) => t - times[i])
      expect(waits.length).toBeGreaterThan(0)
      for (const wait of waits) {
        expect(Number.isInteger(wait)).toBe(true)
        expect(wait).toBeGreaterThanOrEqual(1000)
        expect(wait).toBeLessThanOrEqual(DAY)
      }
      expect(times[times.length - 1]).toBeLessThanOrEqual(2 * DAY)
    }))

  const hinted = [
    ["Retry-After: 999999999999", { status: 503, headers: { "retry-after": "999999999999" } }],
    ["X-RateLimit-Reset: 999999999999", { status: 429, headers: { "x-ratelimit-reset": "999999999999" } }],
    ["Retry-After in year 9999", { status: 429, headers: { "retry-after": "Fri, 31 Dec 9999 23:59:59 GMT" } }],
    [
      "RateLimitError({ retryAfter: Duration.infinity })",
      new RateLimitError({ message: "429", retryAfter: Duration.infinity })
    ],
    ["Retry-After of 25 hours", { status: 503, headers: { "retry-after": String(25 * 3600) } }]
  ] as const

  for (const [name, error] of hinted) {
    it.effect(`a hint above the ceiling ends the run at once with hint_exceeds_max_delay: ${name}`, () =>
      Effect.gen(function*() {
        report.add({
          tried: `defect 1: a server hint above the ceiling ends the run at once: ${name}`,
          inputs: "under an unbounded maxDelay (the default of user policies)",
          faults: "hostile hints",
          load: "—",
          measured:
            "before: the fiber parked for up to ~31,700 years; now: one attempt, outcome hint_exceeds_max_delay (internal/plan.ts decide)"
        })
        const store = yield* RetryStats.make({ metrics: false })
        const { effect, times } = scripted([error, error])
        const exit = yield* runVirtual(
          effect.pipe(
            withIntelligentRetry({
              task: "hint",
              // unbounded maxDelay, the default for user policies
              strategies: {
                temporary_error: { decision: "retry_with_delay", maxRetries: 3 },
                api_rate_limit: { decision: "retry_with_delay", maxRetries: 3 }
              }
            }),
            Effect.provideService(RetryStats.RetryStats, store)
          )
        )
        expect(exit).toEqual(Exit.fail(error))
        expect(times).toEqual([0])
        const analysis = yield* store.analyzeTaskErrors("hint")
        expect(analysis.outcomes.hint_exceeds_max_delay).toBe(1)
      }))
  }

  it.effect("the ceiling is a setting: RetryConfig's maxWait lowers it; an invalid one dies naming it", () =>
    Effect.gen(function*() {
      report.add({
        tried: "defect 1: the ceiling is a setting (RetryConfig maxWait)",
        inputs:
          "maxWait 1 hour vs default 24 h with Retry-After: 7200; invalid maxWait Infinity, 2^31 − 1, 0, −1, \"forever\"",
        faults: "invalid settings",
        load: "—",
        measured:
          "a 2-hour hint ends the run under a 1-hour ceiling and is waited under the default; every invalid ceiling dies with InvalidPolicyError naming RetryConfig.maxWait"
      })
      const error = { status: 503, headers: { "retry-after": "7200" } }
      const one = scripted([error])
      const stopped = yield* runVirtual(
        one.effect.pipe(
          withIntelligentRetry({ strategies: { temporary_error: { decision: "retry_with_delay" } } }),
          Effect.provideService(RetryConfig.RetryConfig, { enabled: true, maxWait: "1 hour" })
        )
      )
      expect(stopped).toEqual(Exit.fail(error))
      const two = scripted([error])
      const waited = yield* runVirtual(
        two.effect.pipe(withIntelligentRetry({ strategies: { temporary_error: { decision: "retry_with_delay" } } }))
      )
      expect(waited).toEqual(Exit.succeed("ok"))
      expect(two.times[1] - two.times[0]).toBe(7_200_000)
      // the same ceiling, read back for code that stores a resumption time outside the process
      expect(yield* IntelligentRetry.currentMaxWait).toBe(86_400_000)
      expect(
        yield* IntelligentRetry.currentMaxWait.pipe(
          Effect.provideService(RetryConfig.RetryConfig, { enabled: true, maxWait: "1 hour" })
        )
      ).toBe(3_600_000)
      for (const maxWait of [Duration.infinity, 2 ** 31 - 1, 0, -1, "forever"]) {
        const read = yield* IntelligentRetry.currentMaxWait.pipe(
          Effect.provideService(RetryConfig.RetryConfig, { enabled: true, maxWait: maxWait as any }),
          Effect.flip
        )
        expect(read.field, String(maxWait)).toBe("RetryConfig.maxWait")
        const bad = yield* runVirtual(
          scripted([error]).effect.pipe(
            withIntelligentRetry(),
            Effect.provideService(RetryConfig.RetryConfig, { enabled: true, maxWait: maxWait as any })
          )
        )
        const defect = Exit.isFailure(bad) ? Option.getOrUndefined(Cause.dieOption(bad.cause)) : undefined
        expect(defect, String(maxWait)).toBeInstanceOf(InvalidPolicyError)
        expect((defect as InvalidPolicyError).field).toBe("RetryConfig.maxWait")
      }
    }))
})

describe("defect 4: every run that reaches its first failure ends with exactly one outcome", () => {
  it.effect("an attempt that dies after a retry is recorded as died; the defect surfaces unchanged", () =>
    Effect.gen(function*() {
      report.add({
        tried: "defect 4: an attempt that dies after a retry",
        inputs: "a network error, then Effect.die",
        faults: "a defect after the first failure",
        load: "—",
        measured:
          "before: runs 0, no outcome counted; now: one outcome, died, the defect surfacing unchanged (internal/intelligentRetry.ts, one onExit)"
      })
      const store = yield* RetryStats.make({ metrics: false })
      let attempt = 0
      const boom = new Error("boom")
      const effect = Effect.suspend(() =>
        attempt++ === 0 ? Effect.fail(new NetworkError({ message: "reset" })) : Effect.die(boom)
      )
      const exit = yield* runVirtual(
        effect.pipe(withIntelligentRetry({ task: "dies" }), Effect.provideService(RetryStats.RetryStats, store))
      )
      expect(exit).toEqual(Exit.die(boom))
      const analysis = yield* store.analyzeTaskErrors("dies")
      expect(analysis.totalErrors).toBe(1)
      expect(analysis.retries).toBe(1)
      expect(analysis.outcomes.died).toBe(1)
      expect(Object.values(analysis.outcomes).reduce((a, b) => a + b, 0)).toBe(1)
    }))

  it.effect("a first attempt that dies is not a failure and records no outcome", () =>
    Effect.gen(function*() {
      const store = yield* RetryStats.make({ metrics: false })
      const exit = yield* Effect.die("first").pipe(
        withIntelligentRetry({ task: "first" }),
        Effect.provideService(RetryStats.RetryStats, store),
        Effect.exit
      )
      expect(exit).toEqual(Exit.die("first"))
      const analysis = yield* store.analyzeTaskErrors("first")
      expect(Object.values(analysis.outcomes).reduce((a, b) => a + b, 0)).toBe(0)
    }))
})

describe("defects 8 and 9: callbacks never crash the process nor hang the run", () => {
  it.effect("an async onRetry that rejects is awaited, logged and ignored (no unhandled rejection)", () =>
    Effect.gen(function*() {
      report.add({
        tried: "defect 8: an async onRetry that rejects",
        inputs: "onRetry: async () => { throw new Error(\"metrics down\") }",
        faults: "a rejected promise from a callback",
        load: "—",
        measured:
          "before: unhandled rejection, Node exited with code 1; now: awaited, one warning logged, 0 unhandled rejections, the run recovers"
      })
      const logs = captureLogs()
      const rejections: Array<unknown> = []
      const onRejection = (reason: unknown) => rejections.push(reason)
      process.on("unhandledRejection", onRejection)
      const { effect, times } = scripted([new NetworkError({ message: "reset" })])
      const exit = yield* effect.pipe(
        withIntelligentRetry({
          onRetry: (async () => {
            throw new Error("metrics down")
          }) as any
        }),
        Effect.provide(logs.layer),
        Effect.exit
      )
      // let any stray rejection reach the process
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      process.off("unhandledRejection", onRejection)
      expect(exit).toEqual(Exit.succeed("ok"))
      expect(times).toEqual([0, 0])
      expect(rejections).toEqual([])
      expect(logs.lines.filter((l) => l.includes("the onRetry callback failed")).length).toBe(1)
    }))

  it.effect("an onFailure returning a rejecting thenable is logged, and the run's own error surfaces", () =>
    Effect.gen(function*() {
      const logs = captureLogs()
      const error = new TemporaryError({ message: "503" })
      const exit = yield* Effect.fail(error).pipe(
        withIntelligentRetry({
          strategies: { temporary_error: { decision: "no_retry" } },
          onFailure: (() => ({ then: (_: unknown, reject: (e: unknown) => void) => reject(new Error("down")) })) as any
        }),
        Effect.provide(logs.layer),
        Effect.exit
      )
      expect(exit).toEqual(Exit.fail(error))
      expect(logs.lines.filter((l) => l.includes("the onFailure callback failed")).length).toBe(1)
    }))

  it.effect("onRetry that never returns is interrupted at its time limit (default 5 s), and the run goes on", () =>
    Effect.gen(function*() {
      report.add({
        tried: "defect 9: onRetry: () => Effect.never",
        inputs: "one network error, default callbackTimeout",
        faults: "a callback that never returns",
        load: "—",
        measured:
          "before: the run hung forever; now: interrupted at 5,000 ms (virtual), one warning, the next attempt at t = 5,000, the run recovers"
      })
      const logs = captureLogs()
      let interrupted = 0
      const { effect, times } = scripted([new NetworkError({ message: "reset" })])
      const fiber = yield* effect.pipe(
        withIntelligentRetry({
          onRetry: () => Effect.onInterrupt(Effect.never, () => Effect.sync(() => interrupted++))
        }),
        Effect.provide(logs.layer),
        Effect.fork
      )
      yield* TestClock.adjust(4_999)
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(1)
      expect(yield* Fiber.join(fiber)).toBe("ok")
      expect(times).toEqual([0, 5_000])
      expect(interrupted).toBe(1)
      expect(logs.lines.filter((l) => l.includes("ran past its time limit (5000 ms)")).length).toBe(1)
    }))

  it.effect("onFailure that never returns: the error surfaces after callbackTimeout", () =>
    Effect.gen(function*() {
      report.add({
        tried: "defect 9: onFailure: () => Effect.never",
        inputs: "no_retry, callbackTimeout 250 ms",
        faults: "a callback that never returns",
        load: "—",
        measured: "before: the error never surfaced; now: it surfaces at t = 250 ms"
      })
      const error = new TemporaryError({ message: "503" })
      const fiber = yield* Effect.fail(error).pipe(
        withIntelligentRetry({
          strategies: { temporary_error: { decision: "no_retry" } },
          callbackTimeout: "250 millis",
          onFailure: () => Effect.never
        }),
        Effect.provide(Logger.remove(Logger.defaultLogger)),
        Effect.fork
      )
      yield* TestClock.adjust(249)
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(1)
      expect(yield* Fiber.await(fiber)).toEqual(Exit.fail(error))
    }))

  it("callbackTimeout is validated when the combinator is applied", () => {
    for (const callbackTimeout of [0, -1, Infinity, Duration.infinity, "soon"]) {
      const exit = Effect.runSyncExit(
        Effect.void.pipe(withIntelligentRetry({ callbackTimeout: callbackTimeout as any }))
      )
      const defect = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.dieOption(exit.cause)) : undefined
      expect(defect, String(callbackTimeout)).toBeInstanceOf(InvalidPolicyError)
      expect((defect as InvalidPolicyError).field).toBe("callbackTimeout")
    }
  })
})

describe("classification and parsing, tightened", () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code })

  it("the caller's own abort is not retried: AbortError and UND_ERR_ABORTED are permanent_error", () => {
    const controller = new AbortController()
    report.add({
      tried: "tightened: the caller's own abort",
      inputs: "AbortController reason, DOMException AbortError, UND_ERR_ABORTED",
      faults: "cancellation",
      load: "—",
      measured: "before: temporary_error, retried for minutes; now: permanent_error (TimeoutError stays network_error)"
    })
    controller.abort()
    expect(classify(controller.signal.reason)).toBe("permanent_error")
    expect(classify(new DOMException("This operation was aborted", "AbortError"))).toBe("permanent_error")
    expect(classify(withCode("Request aborted", "UND_ERR_ABORTED"))).toBe("permanent_error")
    // a timeout is still a network error
    expect(classify(new DOMException("The operation timed out.", "TimeoutError"))).toBe("network_error")
  })

  it("an AggregateError whose members carry network codes is network_error", () => {
    report.add({
      tried: "tightened: AggregateError (happy eyeballs)",
      inputs: "ECONNREFUSED on IPv4 and IPv6, bare and under fetch failed",
      faults: "—",
      load: "—",
      measured: "network_error (before: temporary_error when bare)"
    })
    const happyEyeballs = new AggregateError([
      withCode("connect ECONNREFUSED 127.0.0.1:80", "ECONNREFUSED"),
      withCode("connect ECONNREFUSED ::1:80", "ECONNREFUSED")
    ])
    expect(classify(happyEyeballs)).toBe("network_error")
    expect(classify(new TypeError("fetch failed", { cause: happyEyeballs }))).toBe("network_error")
    expect(classify(new AggregateError([withCode("x", "ECONNREFUSED"), new Error("other")]))).toBe("temporary_error")
  })

  it("an Effect Cause or Exit given as an error is unwrapped to its failure", () => {
    const network = new NetworkError({ message: "reset" })
    report.add({
      tried: "tightened: an Effect Cause or Exit passed as an error",
      inputs: "Cause.fail, Exit.fail, sequential causes, Cause.die, a Cause as a cause",
      faults: "—",
      load: "—",
      measured: "unwrapped to the failure (else the defect) and classified by it"
    })
    expect(classify(Cause.fail(network))).toBe("network_error")
    expect(classify(Exit.fail(network))).toBe("network_error")
    expect(classify(Cause.sequential(Cause.empty, Cause.fail({ status: 404 })))).toBe("permanent_error")
    expect(classify(Cause.die(withCode("reset", "ECONNRESET")))).toBe("network_error")
    expect(classify(Exit.succeed(1))).toBe("temporary_error")
    expect(classify(new Error("wrapped", { cause: Cause.fail({ status: 429 }) }))).toBe("api_rate_limit")
  })

  it("programming errors are permanent_error; a TypeError with a network cause is not", () => {
    expect(classify(new TypeError("x is not a function"))).toBe("permanent_error")
    report.add({
      tried: "tightened: programming errors",
      inputs: "TypeError, RangeError, ReferenceError, SyntaxError, bare and wrapped; TypeErrors with network causes",
      faults: "—",
      load: "—",
      measured: "permanent_error unless a network cause is found (before: temporary_error, retried for minutes)"
    })
    expect(classify(new RangeError("Invalid array length"))).toBe("permanent_error")
    expect(classify(new ReferenceError("x is not defined"))).toBe("permanent_error")
    expect(classify(new SyntaxError("Unexpected token"))).toBe("permanent_error")
    expect(classify(new Error("wrapped", { cause: new RangeError("bad") }))).toBe("permanent_error")
    expect(classify(new TypeError("fetch failed", { cause: withCode("reset", "ECONNRESET") }))).toBe("network_error")
    expect(classify(new TypeError("terminated", { cause: withCode("reset", "ECONNRESET") }))).toBe("network_error")
    expect(classify(new Error("plain"))).toBe("temporary_error")
  })

  it("Retry-After HTTP-dates are parsed strictly: an impossible date is no hint", () => {
    const now = Date.UTC(2025, 0, 1)
    report.add({
      tried: "tightened: strict RFC 9110 HTTP-dates",
      inputs:
        "4 valid dates in the three forms (one with a wrong weekday) and 9 impossible ones (31 Feb, 29 Feb 2025, 31 Apr, day 0, hour 24, minute 60, month Foo)",
      faults: "impossible dates",
      load: "—",
      measured: "before: \"Mon, 31 Feb 2025\" rolled over into March (a 61-day hint); now: no hint"
    })
    const parse = (value: string) => Classifier.parseRetryAfter(value, now)
    expect(parse("Wed, 01 Jan 2025 00:01:00 GMT")).toBe(60_000)
    // the weekday is not checked (1 Jan 2025 is a Wednesday), as Go's http.ParseTime
    expect(parse("Mon, 01 Jan 2025 00:01:00 GMT")).toBe(60_000)
    expect(parse("Wednesday, 01-Jan-25 00:01:00 GMT")).toBe(60_000)
    expect(parse("Wed Jan  1 00:01:00 2025")).toBe(60_000)
    for (
      const impossible of [
        "Mon, 31 Feb 2025 00:00:00 GMT",
        "Tue, 29 Feb 2025 00:00:00 GMT",
        "Wed, 31 Apr 2025 00:00:00 GMT",
        "Wed, 00 Jan 2025 00:00:00 GMT",
        "Wed, 01 Jan 2025 24:00:00 GMT",
        "Wed, 01 Jan 2025 00:60:00 GMT",
        "Wed, 01 Foo 2025 00:00:00 GMT",
        "Monday, 31-Feb-25 00:00:00 GMT",
        "Mon Feb 31 00:00:00 2025"
      ]
    ) expect(parse(impossible), impossible).toBeUndefined()
    // a leap day that exists
    expect(parse("Thu, 29 Feb 2028 00:00:00 GMT")).toBe(Date.UTC(2028, 1, 29) - now)
  })
})

describe("defect 6: a strategies table mutated after first use", () => {
  it.effect("is frozen when first decoded: a later change throws at once instead of being ignored", () =>
    Effect.gen(function*() {
      report.add({
        tried: "defect 6: a strategies table mutated after first use",
        inputs: "table.temporary_error = { decision: \"no_retry\" }, a nested field, a [s, ns] pair",
        faults: "mutation after use",
        load: "—",
        measured:
          "before: the old policy silently kept running; now: the table is frozen when first decoded and each mutation throws TypeError at once (Strategies.ts decodeTable)"
      })
      const table: Record<string, any> = {
        temporary_error: { decision: "retry_with_delay", maxRetries: 2, baseDelay: [1, 0] }
      }
      const { effect, times } = scripted([new TemporaryError({ message: "503" })])
      yield* runVirtual(effect.pipe(withIntelligentRetry({ strategies: table })))
      expect(times).toEqual([0, 1000])
      expect(Object.isFrozen(table)).toBe(true)
      expect(() => {
        table.temporary_error = { decision: "no_retry" }
      }).toThrow(TypeError)
      expect(() => {
        table.temporary_error.maxRetries = 0
      }).toThrow(TypeError)
      expect(() => {
        table.temporary_error.baseDelay[0] = 1e9
      }).toThrow(TypeError)
      // a new table is decoded afresh, and an invalid one is reported
      const invalid = Strategies.decodeTable({ ...table, temporary_error: { decision: "no_retry", maxRetries: -1 } })
      expect(Either.isLeft(invalid) && invalid.left.field).toBe("strategies.temporary_error.maxRetries")
    }))

  it("a table that cannot be frozen (a Proxy) is decoded on every use", () => {
    const target: Record<string, unknown> = { temporary_error: { decision: "retry_with_delay" } }
    const proxy = new Proxy(target, {
      preventExtensions: () => false
    })
    expect(Either.isRight(Strategies.decodeTable(proxy))).toBe(true)
    target.temporary_error = { decision: "retry_with_delay", maxRetries: -1 }
    expect(Either.isLeft(Strategies.decodeTable(proxy))).toBe(true)
  })
})

describe("secrets and input hygiene in configuration", () => {
  const layerError = <A>(layer: Layer.Layer<A, InvalidPolicyError>) =>
    Effect.runSyncExit(Effect.provide(Effect.void, layer))

  it("a configuration error shows the offending value scrubbed", () => {
    const exit = layerError(RetryConfig.layerFromSettings({ DEFAULT_STRATEGY: "password=hunter2" as any }))
    report.add({
      tried: "secrets: configuration errors",
      inputs:
        "DEFAULT_STRATEGY \"password=hunter2\"; RETRY_DEFAULT_BASE_DELAY with URL credentials and a token; a policy baseDelay \"api_key=AKIA…\"",
      faults: "secrets in invalid values",
      load: "—",
      measured: "before: echoed raw; now: masked in the message and the value (describe / invalid scrub)"
    })
    const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
    expect(error).toBeInstanceOf(InvalidPolicyError)
    expect(error!.field).toBe("DEFAULT_STRATEGY")
    expect(error!.message).toContain("password=***")
    expect(JSON.stringify(error)).not.toContain("hunter2")
    expect(String(error!.value)).not.toContain("hunter2")
    const env = Effect.runSyncExit(
      RetryConfig.resolve().pipe(
        Effect.withConfigProvider(
          ConfigProvider.fromMap(new Map([["RETRY_DEFAULT_BASE_DELAY", "https://admin:s3cret@db.example/?token=abc"]]))
        )
      )
    )
    const envError = Exit.isFailure(env) ? Option.getOrUndefined(Cause.failureOption(env.cause)) : undefined
    expect(envError!.field).toBe("RETRY_DEFAULT_BASE_DELAY")
    expect(JSON.stringify(envError)).not.toMatch(/s3cret|token=abc/)
    // policy values too
    const policy = RetryPolicy.decodeUnknown({ decision: "retry_with_delay", baseDelay: "api_key=AKIA1234" })
    expect(Either.isLeft(policy) && policy.left.message).not.toContain("AKIA1234")
  })

  it("a settings object with a throwing getter, or a hostile Proxy, fails the layer with InvalidPolicyError", () => {
    report.add({
      tried: "hygiene: a settings object with a throwing getter, a hostile Proxy, a revoked Proxy",
      inputs: "RetryConfig.layerFromSettings and RetryConfig.resolve",
      faults: "values that throw when read",
      load: "—",
      measured: "before: a defect; now: the layer fails with InvalidPolicyError naming the key (or settings)"
    })
    const getter = {
      ENABLED: true,
      get DEFAULT_STRATEGY(): string {
        throw new Error("boom")
      }
    }
    const revocable = Proxy.revocable({}, {})
    revocable.revoke()
    const hostile = [
      ["a throwing getter", getter, "DEFAULT_STRATEGY"],
      [
        "a Proxy throwing on every trap",
        new Proxy({}, {
          ownKeys: () => {
            throw new Error("trap")
          },
          get: () => {
            throw new Error("trap")
          },
          getOwnPropertyDescriptor: () => {
            throw new Error("trap")
          },
          has: () => {
            throw new Error("trap")
          }
        }),
        "settings"
      ],
      ["a revoked Proxy", revocable.proxy, "settings"]
    ] as const
    for (const [name, settings, field] of hostile) {
      const exit = layerError(RetryConfig.layerFromSettings(settings as any))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause), name).toBe(false)
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      expect(error, name).toBeInstanceOf(InvalidPolicyError)
      expect(error!.field, name).toBe(field)
      const resolved = Effect.runSyncExit(RetryConfig.resolve(settings as any))
      expect(Exit.isFailure(resolved) && Cause.isDie(resolved.cause), name).toBe(false)
    }
  })

  it.effect("a UTF-8 byte-order mark in a JSON settings file is accepted", () =>
    Effect.gen(function*() {
      report.add({
        tried: "hygiene: a UTF-8 byte-order mark in a JSON settings file",
        inputs: "RetryConfig.layerFromJsonFile",
        faults: "a BOM",
        load: "—",
        measured: "before: \"is not valid JSON\"; now: read"
      })
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "intelligent-retry-bom-"))
      const file = path.join(dir, "settings.json")
      try {
        fs.writeFileSync(file, "\uFEFF" + JSON.stringify({ DEFAULT_STRATEGY: "tracking", ENABLED: false }), "utf8")
        const settings = yield* RetryConfig.RetryConfig.pipe(
          Effect.provide(RetryConfig.layerFromJsonFile(file).pipe(Layer.provide(NodeFileSystem.layer)))
        )
        expect(settings.enabled).toBe(false)
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }))
})
