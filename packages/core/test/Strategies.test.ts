import { describe, expect, it } from "@effect/vitest"
import { IntelligentRetry, RetryPolicy, Strategies } from "@intelligent-retry/core"
import { Duration, Either, pipe } from "effect"

const summary = (p: RetryPolicy.RetryPolicy) => ({
  decision: p.decision,
  maxRetries: p.maxRetries,
  baseDelay: Duration.toMillis(p.baseDelay),
  maxDelay: Duration.toMillis(p.maxDelay),
  backoffFactor: p.backoffFactor,
  jitter: p.jitter
})

describe("presets (the numbers of docs/strategies.md)", () => {
  it("defaults", () => {
    expect(summary(Strategies.defaults.network_error)).toEqual({
      decision: "retry_immediately",
      maxRetries: 5,
      baseDelay: 0,
      maxDelay: 10_000,
      backoffFactor: 1.2,
      jitter: false
    })
    expect(summary(Strategies.defaults.api_rate_limit)).toEqual({
      decision: "retry_with_delay",
      maxRetries: 3,
      baseDelay: 300_000,
      maxDelay: 1_800_000,
      backoffFactor: 2,
      jitter: false
    })
    expect(Strategies.defaults.data_error.decision).toBe("no_retry")
    expect(summary(Strategies.defaults.system_error)).toEqual({
      decision: "retry_with_backoff",
      maxRetries: 3,
      baseDelay: 30_000,
      maxDelay: 600_000,
      backoffFactor: 2,
      jitter: "equal"
    })
    expect(summary(Strategies.defaults.temporary_error)).toEqual({
      decision: "retry_with_backoff",
      maxRetries: 3,
      baseDelay: 60_000,
      maxDelay: 300_000,
      backoffFactor: 2,
      jitter: true
    })
    expect(Strategies.defaults.permanent_error.decision).toBe("no_retry")
  })

  it("tracking, screenshot and document", () => {
    expect(Object.keys(Strategies.tracking)).toEqual([
      "network_error",
      "api_rate_limit",
      "data_error",
      "temporary_error"
    ])
    expect(Strategies.tracking.temporary_error.jitter).toBe(true)
    expect(Object.keys(Strategies.screenshot)).toEqual(["network_error", "system_error", "temporary_error"])
    expect(RetryPolicy.nominalWaits(Strategies.screenshot.network_error)).toEqual([0, 2000, 4000])
    expect(Strategies.screenshot.system_error).toEqual(Strategies.resourceConstraint())
    expect(RetryPolicy.nominalWaits(Strategies.screenshot.temporary_error)).toEqual([2000, 3000, 4500])
    expect(Object.keys(Strategies.document)).toEqual(["data_error", "system_error", "temporary_error"])
    expect(RetryPolicy.nominalWaits(Strategies.document.temporary_error)).toEqual([
      10_000,
      20_000,
      40_000,
      80_000,
      160_000
    ])
    expect(Strategies.presets.tracking).toBe(Strategies.tracking)
  })

  it("named helpers take overrides, validated", () => {
    expect(Strategies.resourceConstraint({ maxRetries: 1 }).maxRetries).toBe(1)
    expect(() => Strategies.immediate({ maxRetries: -1 })).toThrow("maxRetries")
  })
})

describe("tables", () => {
  it("merge replaces whole categories and keeps the rest", () => {
    const merged = Either.getOrThrow(Strategies.merge(Strategies.defaults, { network_error: { decision: "no_retry" } }))
    expect(merged.network_error.decision).toBe("no_retry")
    expect(merged.network_error.maxRetries).toBe(3)
    expect(merged.api_rate_limit).toBe(Strategies.defaults.api_rate_limit)
  })

  it("strategyFor tells which category and policy apply", () => {
    expect(IntelligentRetry.strategyFor({ status: 429 }, Strategies.tracking)).toEqual({
      category: "api_rate_limit",
      policy: Strategies.tracking.api_rate_limit
    })
    expect(IntelligentRetry.strategyFor({ code: "ENOMEM" })).toEqual({
      category: "system_error",
      policy: Strategies.defaults.system_error
    })
    expect(IntelligentRetry.strategyFor("odd", undefined, { fallback: "permanent_error" }).category).toBe(
      "permanent_error"
    )
  })
})

describe("time scale", () => {
  it("scales every delay of a table, full or partial", () => {
    const fast = Strategies.scale(Strategies.tracking, 1 / 60)
    expect(RetryPolicy.nominalWaits(fast.api_rate_limit)).toEqual([5000, 10000, 20000])
    expect(Duration.toMillis(fast.api_rate_limit.maxDelay)).toBe(30_000)
    expect(Object.keys(fast)).toEqual(Object.keys(Strategies.tracking))
    expect(Duration.toMillis(Strategies.scale(Strategies.defaults, 2).temporary_error.baseDelay)).toBe(120_000)
  })

  it("rejects a factor that is not a finite number > 0", () => {
    for (const factor of [0, -1, Number.NaN, Infinity]) {
      expect(() => Strategies.scale(Strategies.defaults, factor)).toThrow(
        /Invalid timeScale: must be a finite number > 0/
      )
    }
  })
})

describe("data-last forms (dual)", () => {
  it("scale and merge take their subject first or last", () => {
    const policy = RetryPolicy.make({ decision: "retry_with_delay", baseDelay: "1 minute", maxDelay: "10 minutes" })
    expect(pipe(policy, RetryPolicy.scale(1 / 60))).toEqual(RetryPolicy.scale(policy, 1 / 60))
    expect(Duration.toMillis(RetryPolicy.scale(1 / 60)(policy).baseDelay)).toBe(1000)
    expect(pipe(Strategies.tracking, Strategies.scale(0.5))).toEqual(Strategies.scale(Strategies.tracking, 0.5))
    const overrides = { data_error: { decision: "retry_immediately" } } as const
    expect(Strategies.merge(overrides)(Strategies.defaults)).toEqual(Strategies.merge(Strategies.defaults, overrides))
  })
})
