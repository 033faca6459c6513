/**
 * Retry budgets: a shared, success-funded token bucket (gRPC A6 retry throttling) with a cost per
 * category, so that retries cannot turn an outage into a retry storm.
 *
 * **Model**
 *
 * - The bucket starts full, at `maxTokens`.
 * - Every failed attempt withdraws its category's cost (default 1). A failure that carries a
 *   server hint (Retry-After) costs `hintedCost`, default 0: the server scheduled that retry
 *   itself, and the hint already paces it. The retry still needs a balance above half.
 *   `data_error` and `permanent_error` never touch the budget.
 * - Every successful attempt deposits `tokenRatio`.
 * - A retry is allowed only while the balance is above `maxTokens / 2`. The balance always stays
 *   within [0, `maxTokens`].
 *
 * A retry the budget refuses is never silent: the original error surfaces at once, `onFailure`
 * reports the outcome `budget_exhausted`, and statistics and metrics count it. Without a budget
 * layer, behaviour is exactly as without this module.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ErrorCategory } from "./ErrorCategory.js"
import * as internal from "./internal/budget.js"
import type { InvalidPolicyError } from "./RetryPolicy.js"

/**
 * The identifier of budget services.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * What `withIntelligentRetry` asks of a budget. Both calls are synchronous and atomic, so
 * concurrent runs can never overspend, and no lock is held across a wait.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryBudgetService {
  /** Marks a budget service. */
  readonly [TypeId]: TypeId
  /** A successful attempt deposits `tokenRatio` into the bucket of `key`. */
  readonly unsafeOnSuccess: (key: string) => void
  /**
   * A failed attempt of `category` withdraws that category's cost (the hinted cost when the
   * server sent a hint) and tells whether a retry is allowed.
   */
  readonly unsafeOnFailure: (key: string, category: ErrorCategory, hinted: boolean) => boolean
}

/**
 * Options of a budget. All optional.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryBudgetOptions {
  /** Capacity of a bucket; it starts full. Default: 10 (gRPC A6's example). */
  readonly maxTokens?: number | undefined
  /** Deposit per successful attempt. Default: 0.1, the Google SRE book's 10% retry budget. */
  readonly tokenRatio?: number | undefined
  /**
   * Cost of a failed attempt, per retryable category. Default: 1 each. `data_error` and
   * `permanent_error` cannot be given: they never touch the budget.
   */
  readonly costs?: Partial<Record<ErrorCategory, number>> | undefined
  /**
   * Cost of a failed attempt that carries a server hint (Retry-After). Default: 0 — in the
   * rate-limit simulation (docs/benchmarks.md, scenario b) a cost of 0.5 made the default budget
   * drop about half of all requests that the server would have served after its hint.
   */
  readonly hintedCost?: number | undefined
  /** With {@link RetryBudget.keyed}: distinct keys kept; further keys share one bucket. Default: 10,000. */
  readonly maxKeys?: number | undefined
}

/**
 * The budget current for `withIntelligentRetry`, as a `Context.Reference`; by default there is
 * none.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RetryBudget, withIntelligentRetry } from "@intelligent-retry/core"
 *
 * declare const callCarrier: Effect.Effect<string, Error>
 *
 * const program = Effect.forEach(Array.from({ length: 100 }), () =>
 *   callCarrier.pipe(withIntelligentRetry({ task: "track" }))
 * ).pipe(Effect.provide(RetryBudget.layer({ maxTokens: 10, tokenRatio: 0.1 })))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class RetryBudget extends Context.Reference<RetryBudget>()("@intelligent-retry/core/RetryBudget", {
  defaultValue: (): RetryBudgetService | undefined => undefined
}) {
  /**
   * One bucket shared by every run under the layer. Invalid options fail the layer with an
   * `InvalidPolicyError` naming the field and the value.
   *
   * @since 0.1.0
   */
  static readonly layer = (options: RetryBudgetOptions = {}): Layer.Layer<RetryBudget, InvalidPolicyError> =>
    Layer.effect(RetryBudget, make(options))

  /**
   * One bucket per key: each run draws on the bucket named by its `budgetKey` option (by default
   * its task name; `@intelligent-retry/platform` uses the request's host). Use it to keep one
   * struggling dependency from starving the retries of the others.
   *
   * @since 0.1.0
   */
  static readonly keyed = (options: RetryBudgetOptions = {}): Layer.Layer<RetryBudget, InvalidPolicyError> =>
    Layer.effect(RetryBudget, makeKeyed(options))

  /**
   * The balance of the current budget's bucket for `key` (the shared bucket of an unkeyed
   * budget); `undefined` without a budget.
   *
   * @since 0.1.0
   */
  static readonly balance = (key = ""): Effect.Effect<number | undefined> =>
    Effect.map(
      RetryBudget,
      (budget) => budget === undefined ? undefined : (budget as internal.Budget).bucket(key).balance
    )
}

/**
 * A budget with one shared bucket, to install with `Layer.succeed(RetryBudget, …)` or to share
 * between layers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: RetryBudgetOptions = {}): Effect.Effect<RetryBudgetService, InvalidPolicyError> =>
  Effect.map(internal.validate(options), (settings) => internal.make(settings, false))

/**
 * A budget with one bucket per key.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeKeyed = (options: RetryBudgetOptions = {}): Effect.Effect<RetryBudgetService, InvalidPolicyError> =>
  Effect.map(internal.validate(options), (settings) => internal.make(settings, true))
