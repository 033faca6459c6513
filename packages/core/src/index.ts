/**
 * @since 0.1.0
 */

/** @since 0.1.0 */
export { categories, ErrorCategory } from "./ErrorCategory.js"
/** @since 0.1.0 */
export { RetryDecision } from "./RetryDecision.js"
/** @since 0.1.0 */
export { outcomes, RetryOutcome } from "./RetryOutcome.js"
/** @since 0.1.0 */
export type { FailureOutcome } from "./RetryOutcome.js"
/** @since 0.1.0 */
export {
  DataError,
  isRetryHandoff,
  NetworkError,
  PermanentError,
  RateLimitError,
  RetryHandoff,
  SystemError,
  TemporaryError
} from "./RetryErrors.js"
/** @since 0.1.0 */
export { CircuitOpenError } from "./RetryErrors.js"
/** @since 0.1.0 */
export { withCircuitBreaker } from "./CircuitBreaker.js"
/** @since 0.1.0 */
export { classify, RetryClassifier } from "./Classifier.js"
/** @since 0.1.0 */
export { InvalidPolicyError } from "./RetryPolicy.js"
/** @since 0.1.0 */
export { RetryStrategies } from "./Strategies.js"
/** @since 0.1.0 */
export type { StrategyTable, StrategyTableInput } from "./Strategies.js"
/** @since 0.1.0 */
export { currentStrategyFor, strategyFor, withIntelligentRetry } from "./IntelligentRetry.js"
/** @since 0.1.0 */
export type {
  FailureInfo,
  HandoffOptions,
  IntelligentRetryOptions,
  RetryInfo,
  StrategyChoice
} from "./IntelligentRetry.js"
/** @since 0.1.0 */
export { AlertSink } from "./RetryMonitor.js"
/** @since 0.1.0 */
export type { AlertCode, AlertSinkService, MonitorOptions, RetryAlert } from "./RetryMonitor.js"

/**
 * The classifier: `classify`, server hints and the HTTP mapping table.
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
 * Strategy tables, presets and named policies.
 *
 * @since 0.1.0
 */
export * as Strategies from "./Strategies.js"
/**
 * The combinator module.
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
 * The monitor: thresholds over a window, alerts through `AlertSink`, on a `Schedule`.
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
 * The error classes and their shared type id.
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
