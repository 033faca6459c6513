/**
 * @since 0.1.0
 */

/** @since 0.1.0 */
export { ErrorCategory } from "./ErrorCategory.js"
/** @since 0.1.0 */
export { RetryDecision } from "./RetryDecision.js"
/** @since 0.1.0 */
export { RetryOutcome } from "./RetryOutcome.js"
/** @since 0.1.0 */
export {
  CircuitOpenError,
  DataError,
  NetworkError,
  PermanentError,
  RateLimitError,
  RetryHandoff,
  SystemError,
  TemporaryError
} from "./RetryErrors.js"
/** @since 0.1.0 */
export { withCircuitBreaker } from "./CircuitBreaker.js"
/** @since 0.1.0 */
export { classify } from "./Classifier.js"
/** @since 0.1.0 */
export { InvalidPolicyError } from "./RetryPolicy.js"
/** @since 0.1.0 */
export { withIntelligentRetry } from "./IntelligentRetry.js"

/**
 * The classifier: `classify`, the service tag `Classifier.Classifier` and its `layer`, the
 * categories (`categories`, `isErrorCategory`), server hints and the HTTP mapping table.
 *
 * @since 0.1.0
 */
export * as Classifier from "./Classifier.js"
/**
 * Retry policies: validation and compilation to `Schedule`.
 *
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"
/**
 * Strategy tables (`StrategyTable`, `StrategyTableInput`), presets and named policies; the service
 * tag `Strategies.Strategies` holding the current table and `Strategies.layer`.
 *
 * @since 0.1.0
 */
export * as Strategies from "./Strategies.js"
/**
 * The combinator module: `withIntelligentRetry`'s options and callbacks' types, `withHandoff`,
 * the debugging aids `strategyFor` / `currentStrategyFor`, and the outcome names (`outcomes`,
 * `FailureOutcome`).
 *
 * @since 0.1.0
 */
export * as IntelligentRetry from "./IntelligentRetry.js"
/**
 * Statistics: the `RetryStats` service tag (`RetryStats.RetryStats`), its layers, analysis,
 * snapshots, sinks and cleanup.
 *
 * @since 0.1.0
 */
export * as RetryStats from "./RetryStats.js"
/**
 * The monitor: thresholds over a window (`check`, `run`), alerts through the `RetryMonitor.AlertSink`
 * service, read from the `RetryMonitor.Source` service.
 *
 * @since 0.1.0
 */
export * as RetryMonitor from "./RetryMonitor.js"
/**
 * Retry budgets: the service tag `RetryBudget.RetryBudget`, its layers (`layer`, `keyed`,
 * `layerNone`), constructors and `balance`.
 *
 * @since 0.1.0
 */
export * as RetryBudget from "./RetryBudget.js"
/**
 * Cool-downs shared by every run calling the same dependency: `RetryCooldown.layer`, the service
 * tag `RetryCooldown.RetryCooldown`.
 *
 * @since 0.1.0
 */
export * as RetryCooldown from "./RetryCooldown.js"
/**
 * The error classes, their shared type id and guards (`isRetryError`, `isRetryHandoff`,
 * `isCircuitOpenError`).
 *
 * @since 0.1.0
 */
export * as RetryErrors from "./RetryErrors.js"
/**
 * The saved state of one logical run, for `IntelligentRetry.withHandoff`: type, schema, `initial`.
 *
 * @since 0.1.0
 */
export * as RetryState from "./RetryState.js"
/**
 * Configuration: the service tag `RetryConfig.RetryConfig` (its default: the process's environment
 * variables), the layers (`layer`, `layerFromSettings`, `layerFromJsonFile`), `resolve`, the
 * settings object's schema.
 *
 * @since 0.1.0
 */
export * as RetryConfig from "./RetryConfig.js"
/**
 * The circuit breaker: `withCircuitBreaker`, the store service `CircuitBreaker` and its state.
 *
 * @since 0.1.0
 */
export * as CircuitBreaker from "./CircuitBreaker.js"

// ---------------------------------------------------------------------------------------------
// Deprecated root aliases
// ---------------------------------------------------------------------------------------------
// Earlier releases exported these five names flat, and applications (and acceptance tests) call
// them: `RetryStrategies.layer(...)`, `RetryClassifier.layer(...)`, `strategyFor(error, table?)`,
// `currentStrategyFor(error)`, `AlertSink.layer(...)`. They stay as aliases of the namespace
// members: the same values, not copies, so a layer built through either name provides the same
// tag. New code uses the namespace paths.

import { Classifier as ClassifierTag } from "./Classifier.js"
import { currentStrategyFor as currentStrategyForImpl, strategyFor as strategyForImpl } from "./IntelligentRetry.js"
import { AlertSink as AlertSinkTag } from "./RetryMonitor.js"
import { Strategies as StrategiesTag } from "./Strategies.js"

/**
 * The strategies tag under its former name: the current strategy table.
 *
 * @deprecated Use `Strategies.Strategies` (the tag) and `Strategies.layer`.
 * @since 0.1.0
 * @category tags
 */
export const RetryStrategies: typeof StrategiesTag = StrategiesTag
/**
 * The strategies tag's type under its former name.
 *
 * @deprecated Use `Strategies.Strategies`.
 * @since 0.1.0
 * @category tags
 */
export type RetryStrategies = StrategiesTag

/**
 * The classifier tag under its former name: the classifier options in context.
 *
 * @deprecated Use `Classifier.Classifier` (the tag) and `Classifier.layer`.
 * @since 0.1.0
 * @category tags
 */
export const RetryClassifier: typeof ClassifierTag = ClassifierTag
/**
 * The classifier tag's type under its former name.
 *
 * @deprecated Use `Classifier.Classifier`.
 * @since 0.1.0
 * @category tags
 */
export type RetryClassifier = ClassifierTag

/**
 * The category and policy that would apply to an error, under its former name.
 *
 * @deprecated Use `IntelligentRetry.strategyFor`.
 * @since 0.1.0
 * @category getters
 */
export const strategyFor: typeof strategyForImpl = strategyForImpl

/**
 * The category and policy that would apply to an error under the table in context, under its
 * former name.
 *
 * @deprecated Use `IntelligentRetry.currentStrategyFor`.
 * @since 0.1.0
 * @category accessors
 */
export const currentStrategyFor: typeof currentStrategyForImpl = currentStrategyForImpl

/**
 * The alert sink tag under its former name.
 *
 * @deprecated Use `RetryMonitor.AlertSink`.
 * @since 0.1.0
 * @category tags
 */
export const AlertSink: typeof AlertSinkTag = AlertSinkTag
/**
 * The alert sink tag's type under its former name.
 *
 * @deprecated Use `RetryMonitor.AlertSink`.
 * @since 0.1.0
 * @category tags
 */
export type AlertSink = AlertSinkTag
