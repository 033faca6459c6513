/**
 * What a policy does with a failure of its category.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/retryDecision.js"

/**
 * The decisions, as a const object whose values are the wire names.
 *
 * | decision | first wait (n = 0) | later waits (n ≥ 1) |
 * | --- | --- | --- |
 * | `retry_immediately` | 0 | `min(maxDelay, baseDelay × backoffFactor^(n−1))` |
 * | `retry_with_delay` | `min(maxDelay, baseDelay)` | `min(maxDelay, baseDelay × backoffFactor^n)` |
 * | `retry_with_backoff` | `min(maxDelay, baseDelay)` | `min(maxDelay, baseDelay × backoffFactor^n)` |
 * | `no_retry` | fails at once | |
 *
 * @since 0.1.0
 * @category constants
 */
export const RetryDecision: {
  /** Retry at once, then back off: for blips such as a reset connection. */
  readonly RETRY_IMMEDIATELY: "retry_immediately"
  /** Wait a fixed cool-down before each retry: for throttling. */
  readonly RETRY_WITH_DELAY: "retry_with_delay"
  /** Wait longer after each retry: for a loaded or recovering dependency. */
  readonly RETRY_WITH_BACKOFF: "retry_with_backoff"
  /** Never retry: for failures that cannot succeed on a second try. */
  readonly NO_RETRY: "no_retry"
} = internal.RetryDecision

/**
 * One of the four decision names.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryDecision = typeof RetryDecision[keyof typeof RetryDecision]

/**
 * Every decision, in declaration order.
 *
 * @since 0.1.0
 * @category constants
 */
export const decisions: ReadonlyArray<RetryDecision> = internal.decisions

/**
 * Tells whether a value is one of the four decision names.
 *
 * @since 0.1.0
 * @category guards
 */
export const isRetryDecision: (u: unknown) => u is RetryDecision = internal.isRetryDecision
