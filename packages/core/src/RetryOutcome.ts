/**
 * How a run of `withIntelligentRetry` ended.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/retryOutcome.js"

/**
 * The outcomes, as a const object whose values are the wire names used in statistics and metrics.
 *
 * @since 0.1.0
 * @category constants
 */
export const RetryOutcome: {
  /** The first attempt succeeded. */
  readonly SUCCEEDED_FIRST_TRY: "succeeded_first_try"
  /** An attempt succeeded after one or more retries. */
  readonly RECOVERED: "recovered"
  /** The category's `maxRetries` was used up; the last error surfaced. */
  readonly EXHAUSTED: "exhausted"
  /** The category's decision is `no_retry` (or its `maxRetries` is 0); the error surfaced at once. */
  readonly NOT_RETRYABLE: "not_retryable"
  /**
   * The server asked for a wait longer than the policy's `maxDelay`, or than the wait ceiling
   * (`RetryConfig.Settings.maxWait`, 24 hours by default); the error surfaced at once.
   */
  readonly HINT_EXCEEDS_MAX_DELAY: "hint_exceeds_max_delay"
  /** A run-wide cap (`maxAttempts` or `maxElapsed`) stopped the run. */
  readonly STOPPED_BY_CAP: "stopped_by_cap"
  /** The run was interrupted after its first failure, during a wait or a retry. */
  readonly INTERRUPTED: "interrupted"
  /** A retry budget refused the retry; the error surfaced at once. */
  readonly BUDGET_EXHAUSTED: "budget_exhausted"
  /**
   * A circuit breaker (`withCircuitBreaker`) shed the run without running it: the dependency's
   * breaker was open, or its one probe was in flight. The run failed with `CircuitOpenError`.
   */
  readonly CIRCUIT_OPEN: "circuit_open"
  /** Retrying is switched off by configuration (`INTELLIGENT_RETRY_ENABLED=false`); one attempt only. */
  readonly DISABLED: "disabled"
  /**
   * The run died after its first failure: an attempt after a retry died (`Effect.die`, a thrown
   * exception), or the run itself did. The defect surfaces unchanged; the outcome is recorded so that
   * every run that reached its first failure ends with exactly one outcome. A first attempt that
   * dies is not a failure: it records nothing.
   */
  readonly DIED: "died"
} = internal.RetryOutcome

/**
 * One of the outcome names.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryOutcome = typeof RetryOutcome[keyof typeof RetryOutcome]

/**
 * Every outcome, in declaration order.
 *
 * @since 0.1.0
 * @category constants
 */
export const outcomes: ReadonlyArray<RetryOutcome> = internal.outcomes

/**
 * The outcomes in which the run failed: everything but `succeeded_first_try` and `recovered`.
 *
 * @since 0.1.0
 * @category models
 */
export type FailureOutcome = Exclude<RetryOutcome, "succeeded_first_try" | "recovered">
