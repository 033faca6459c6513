/**
 * Retry budgets: a shared, success-funded token bucket (gRPC A6 retry throttling) with a cost per
 * category, so that retries cannot turn an outage into a retry storm.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type { ErrorCategory } from "./ErrorCategory.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@intelligent-retry/core/RetryBudget")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * What `withIntelligentRetry` asks of a budget. Both calls are synchronous and atomic (no lock is
 * held across a wait).
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryBudgetService {
  readonly [TypeId]: TypeId
  /** A successful attempt deposits `tokenRatio` into the bucket of `key`. */
  readonly unsafeOnSuccess: (key: string) => void
  /**
   * A failed attempt of `category` withdraws that category's cost (the hinted cost when the
   * server sent a hint) and tells whether a retry is allowed: the balance must stay above half of
   * `maxTokens`.
   */
  readonly unsafeOnFailure: (key: string, category: ErrorCategory, hinted: boolean) => boolean
}

/**
 * The budget current for `withIntelligentRetry`, as a `Context.Reference`. The default is no
 * budget at all: behaviour is exactly as without this module.
 *
 * @since 0.1.0
 * @category services
 */
export class RetryBudget extends Context.Reference<RetryBudget>()("@intelligent-retry/core/RetryBudget", {
  defaultValue: (): RetryBudgetService | undefined => undefined
}) {}
