/**
 * The tarball check's program: written as a user would, against the published packages only.
 * `scripts/pack-check.sh` copies it into a throwaway project, type-checks it with
 * `skipLibCheck: false` under NodeNext and Bundler resolution, and runs it.
 */
import {
  Classifier,
  ErrorCategory,
  IntelligentRetry,
  NetworkError,
  RetryBudget,
  RetryClassifier,
  RetryConfig,
  RetryDecision,
  RetryStats,
  RetryStrategies,
  Strategies,
  strategyFor,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { IntelligentHttpClient } from "@intelligent-retry/platform"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import "./packages.js"

const program = Effect.gen(function*() {
  const calls = yield* Ref.make(0)
  const flaky = Ref.updateAndGet(calls, (n) => n + 1).pipe(
    Effect.flatMap((n) => n < 3 ? Effect.fail(new NetworkError({ message: `reset ${n}` })) : Effect.succeed(n))
  )
  const result = yield* flaky.pipe(
    withIntelligentRetry({
      task: "pack_check",
      strategies: { network_error: { decision: RetryDecision.RETRY_IMMEDIATELY, maxRetries: 3, baseDelay: 0 } }
    })
  )
  const analysis = yield* RetryStats.analyzeTaskErrors("pack_check")
  // the namespace paths, and the deprecated flat aliases of earlier releases (the same values)
  const table: Strategies.StrategyTable = yield* Strategies.Strategies
  if (table.network_error.maxRetries !== Strategies.tracking.network_error.maxRetries) {
    throw new Error("Strategies.layer")
  }
  return { result, analysis }
}).pipe(Effect.provide(Strategies.layer(Strategies.tracking)))

if (RetryStrategies !== Strategies.Strategies || RetryStrategies.layer !== Strategies.layer) {
  throw new Error("RetryStrategies is not Strategies.Strategies")
}
if (RetryClassifier !== Classifier.Classifier || RetryClassifier.layer !== Classifier.layer) {
  throw new Error("RetryClassifier is not Classifier.Classifier")
}
if (strategyFor !== IntelligentRetry.strategyFor) throw new Error("strategyFor is not IntelligentRetry.strategyFor")

const { analysis, result } = await Effect.runPromise(program)
if (result !== 3) throw new Error(`expected the third attempt to succeed, got ${result}`)
if (analysis.totalErrors !== 2) throw new Error(`expected 2 recorded errors, got ${analysis.totalErrors}`)
if (ErrorCategory.NETWORK_ERROR !== "network_error") throw new Error("ErrorCategory.NETWORK_ERROR")
for (const [name, value] of Object.entries({ Strategies, RetryConfig, RetryBudget, IntelligentHttpClient })) {
  if (value === undefined) throw new Error(`${name} is missing`)
}
if (typeof IntelligentHttpClient.withIntelligentRetry !== "function") throw new Error("IntelligentHttpClient")
console.log(`pack-check program: succeeded on attempt ${result}, ${analysis.totalErrors} errors recorded`)
