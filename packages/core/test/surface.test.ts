/**
 * The package root's public surface: one access path per module (a namespace), the few headline
 * names flat, and five deprecated flat aliases kept for applications written against earlier
 * releases. The aliases must be the namespace members themselves, not copies: a layer built
 * through either name provides the same tag.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Core from "@intelligent-retry/core"
import {
  AlertSink,
  Classifier,
  currentStrategyFor,
  IntelligentRetry,
  NetworkError,
  RetryClassifier,
  RetryMonitor,
  RetryStrategies,
  Strategies,
  strategyFor,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Effect, Layer } from "effect"
import { expectTypeOf } from "vitest"

describe("public surface", () => {
  it("the deprecated flat aliases are the namespace members themselves", () => {
    expect(RetryStrategies).toBe(Strategies.Strategies)
    expect(RetryStrategies.layer).toBe(Strategies.layer)
    expect(RetryClassifier).toBe(Classifier.Classifier)
    expect(RetryClassifier.layer).toBe(Classifier.layer)
    expect(strategyFor).toBe(IntelligentRetry.strategyFor)
    expect(currentStrategyFor).toBe(IntelligentRetry.currentStrategyFor)
    expect(AlertSink).toBe(RetryMonitor.AlertSink)
  })

  it("the aliases' types are the namespace members' types", () => {
    expectTypeOf<RetryStrategies>().toEqualTypeOf<Strategies.Strategies>()
    expectTypeOf<RetryClassifier>().toEqualTypeOf<Classifier.Classifier>()
    expectTypeOf<AlertSink>().toEqualTypeOf<RetryMonitor.AlertSink>()
    expectTypeOf(RetryStrategies.layer).toEqualTypeOf(Strategies.layer)
    expectTypeOf(RetryClassifier.layer).toEqualTypeOf(Classifier.layer)
  })

  it.effect("a layer built through the alias provides the namespace's tag", () =>
    Effect.gen(function*() {
      const table = yield* Strategies.Strategies
      expect(table.network_error.maxRetries).toBe(Strategies.tracking.network_error.maxRetries)
      const classifier = yield* Classifier.Classifier
      expect(classifier.fallback).toBe("permanent_error")
      const choice = yield* IntelligentRetry.currentStrategyFor(new Error("?"))
      expect(choice.category).toBe("permanent_error")
    }).pipe(
      Effect.provide(Layer.merge(
        RetryStrategies.layer(Strategies.tracking),
        RetryClassifier.layer({ fallback: "permanent_error" })
      ))
    ))

  it("the moved names are reached through their module", () => {
    expect(Classifier.categories).toEqual([
      "network_error",
      "api_rate_limit",
      "data_error",
      "system_error",
      "temporary_error",
      "permanent_error"
    ])
    expect(IntelligentRetry.outcomes).toContain("recovered")
    expect(IntelligentRetry.outcomes).toHaveLength(11)
    expect(Core.RetryErrors.isRetryHandoff(new NetworkError({ message: "x" }))).toBe(false)
    expect(IntelligentRetry.strategyFor({ status: 429 }, Strategies.tracking).category).toBe("api_rate_limit")
    expect(typeof withIntelligentRetry).toBe("function")
    expectTypeOf<IntelligentRetry.FailureOutcome>().toEqualTypeOf<
      Exclude<Core.RetryOutcome, "succeeded_first_try" | "recovered">
    >()
    expectTypeOf<Strategies.StrategyTable["network_error"]>().toEqualTypeOf<Core.RetryPolicy.RetryPolicy>()
    expectTypeOf<RetryMonitor.RetryAlert["code"]>().toEqualTypeOf<RetryMonitor.AlertCode>()
  })

  it("the flat names are the headline names and the deprecated aliases, nothing else", () => {
    const flat = Object.keys(Core).filter((name) => !/^[A-Z]/.test(name) || isValueOfNoNamespace(name))
    expect(flat.sort()).toEqual([
      "AlertSink",
      "CircuitOpenError",
      "DataError",
      "ErrorCategory",
      "InvalidPolicyError",
      "NetworkError",
      "PermanentError",
      "RateLimitError",
      "RetryClassifier",
      "RetryDecision",
      "RetryHandoff",
      "RetryOutcome",
      "RetryStrategies",
      "SystemError",
      "TemporaryError",
      "classify",
      "currentStrategyFor",
      "strategyFor",
      "withCircuitBreaker",
      "withIntelligentRetry"
    ])
  })
})

/** A capitalised export that is not a module namespace (a namespace object has no prototype). */
const isValueOfNoNamespace = (name: string): boolean => {
  const value = (Core as Record<string, unknown>)[name]
  return !(typeof value === "object" && value !== null && Object.getPrototypeOf(value) === null)
}
