/**
 * The carrier of bad input, per kind of API, in the types: layers and constructors returning an
 * Effect carry `InvalidPolicyError` in their error channel; operations and combinators keep theirs
 * (they die with it); plain values are plain.
 */
import {
  Classifier,
  type InvalidPolicyError,
  RetryBudget,
  RetryMonitor,
  RetryStats,
  Strategies,
  withIntelligentRetry
} from "@intelligent-retry/core"
import type { Effect, Layer, Scope } from "effect"
import { describe, expectTypeOf, it } from "vitest"

declare const program: Effect.Effect<number, Error>

describe("bad input in the types", () => {
  it("layers fail with InvalidPolicyError", () => {
    expectTypeOf(RetryStats.layerWith({})).toEqualTypeOf<Layer.Layer<RetryStats.RetryStats, InvalidPolicyError>>()
    expectTypeOf(RetryStats.layerSink({ write: () => undefined as any }, {})).toEqualTypeOf<
      Layer.Layer<RetryStats.RetryStats, InvalidPolicyError>
    >()
    expectTypeOf(Classifier.layer({})).toEqualTypeOf<Layer.Layer<Classifier.Classifier, InvalidPolicyError>>()
    expectTypeOf(Strategies.layer({})).toEqualTypeOf<Layer.Layer<Strategies.Strategies, InvalidPolicyError>>()
    expectTypeOf(RetryBudget.layer({})).toEqualTypeOf<Layer.Layer<RetryBudget.RetryBudget, InvalidPolicyError>>()
  })

  it("constructors returning an Effect fail with it", () => {
    expectTypeOf(RetryStats.make({})).toEqualTypeOf<Effect.Effect<RetryStats.RetryStatsService, InvalidPolicyError>>()
    expectTypeOf(RetryStats.makeWithSink({ write: () => undefined as any })).toEqualTypeOf<
      Effect.Effect<RetryStats.RetryStatsService, InvalidPolicyError, Scope.Scope>
    >()
  })

  it("operations and the combinator keep their error channel (they die with it)", () => {
    expectTypeOf(RetryStats.cleanupOldErrors(-1)).toEqualTypeOf<Effect.Effect<number>>()
    expectTypeOf(RetryStats.errorsInWindow(0)).toEqualTypeOf<Effect.Effect<RetryStats.WindowErrorCounts>>()
    expectTypeOf(RetryMonitor.check({})).toEqualTypeOf<Effect.Effect<ReadonlyArray<RetryMonitor.RetryAlert>>>()
    expectTypeOf(withIntelligentRetry(program, { maxAttempts: 3 })).toEqualTypeOf<Effect.Effect<number, Error>>()
  })
})
