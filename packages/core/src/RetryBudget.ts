/**
 * Retry budgets: a shared, success-funded token bucket (gRPC A6 retry throttling) with a cost per
 * category and per signal, so that retries cannot turn an outage into a retry storm. **On by
 * default**: with no budget layer, every run draws on a process-wide default budget, one bucket per
 * dependency key (the run's `budgetKey`, by default its task name; `@intelligent-retry/platform`
 * keys by host).
 *
 * **Model**
 *
 * - The bucket starts full, at `maxTokens` (default 50).
 * - Every failed attempt withdraws its category's cost (default 1). Two kinds of failure cost
 *   less: one whose server hint (Retry-After) actually paces its retry — the run waits longer, or
 *   exactly as long, as the server said, for a hint above zero — costs `hintedCost` (default 0);
 *   one that signals contention rather than overload (409, 412, 423, 425) costs `contentionCost`
 *   (default 0). `data_error` and `permanent_error` never touch the budget.
 * - Every successful attempt deposits `tokenRatio` (default 0.1), and time adds `refillPerSecond`
 *   (default `maxTokens / 100` per second: 0.5 per second).
 * - A retry is allowed only while the balance is above `maxTokens / 2`. The balance always stays
 *   within [0, `maxTokens`].
 *
 * With the defaults a run on its own is never refused (its worst case, every category's retries,
 * costs 14 of the 25 tokens above the threshold), while 1,000 concurrent runs failing together
 * make at most 1,024 attempts instead of 6,000. See `docs/budget.md` for how the numbers were
 * chosen with the simulator.
 *
 * A retry the budget refuses is never silent: the original error surfaces at once, `onFailure`
 * reports the outcome `budget_exhausted`, and statistics and metrics count it.
 *
 * @since 0.1.0
 */
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
 * What `withIntelligentRetry` asks of a budget.
 *
 * **Details**
 *
 * The synchronous calls are atomic, so concurrent runs can never overspend, and no lock is held
 * across a wait. A budget backed by an asynchronous store (Redis) also gives `onFailure`: the
 * combinator then awaits it on the failure path (which is about to wait anyway) instead of calling
 * `unsafeOnFailure`. The happy path only ever calls `unsafeOnSuccess`, which must not block.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryBudgetService {
  /** Marks a budget service. */
  readonly [TypeId]: TypeId
  /** A successful attempt deposits `tokenRatio` into the bucket of `key`. Must not block. */
  readonly unsafeOnSuccess: (key: string) => void
  /** A failed attempt withdraws its cost and tells whether a retry is allowed. Atomic. */
  readonly unsafeOnFailure: (key: string, failure: BudgetFailure) => boolean
  /**
   * The same decision, consulting an asynchronous store. Optional; when present the combinator
   * uses it instead of `unsafeOnFailure`. It must not fail, and must answer within a bounded time
   * (a store that is down or slow falls back to a local decision).
   */
  readonly onFailure?: ((key: string, failure: BudgetFailure) => Effect.Effect<boolean>) | undefined
  /** The balance of the bucket of `key` (the shared bucket of an unkeyed budget). */
  readonly balance: (key: string) => Effect.Effect<number | undefined>
}

/**
 * One failed attempt, as a budget is told of it.
 *
 * @since 0.1.0
 * @category models
 */
export interface BudgetFailure {
  readonly category: ErrorCategory
  /** A server hint above zero paces the retry (the run waits for it): the hinted cost applies. */
  readonly hinted: boolean
  /** The failure signals contention (409, 412, 423, 425): the contention cost applies. */
  readonly contention: boolean
  /** When it failed, epoch milliseconds from the run's `Clock`. */
  readonly now: number
}

/**
 * Options of a budget. All optional; every field left out takes the default configuration's value.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryBudgetOptions {
  /** Capacity of a bucket; it starts full. Default: 50. */
  readonly maxTokens?: number | undefined
  /** Deposit per successful attempt. Default: 0.1, the Google SRE book's 10% retry budget. */
  readonly tokenRatio?: number | undefined
  /**
   * Cost of a failed attempt, per retryable category. Default: 1 each. `data_error` and
   * `permanent_error` cannot be given: they never touch the budget.
   */
  readonly costs?: Partial<Record<ErrorCategory, number>> | undefined
  /**
   * Cost of a failed attempt whose server hint paces its retry (a hint above zero that the run
   * waits for). Default: 0 — in the rate-limit simulation (docs/benchmarks.md, scenario b) a cost
   * of 0.5 made a budget drop about half of all requests that the server would have served after
   * its hint. A zero or past hint paces nothing and costs the category's cost.
   */
  readonly hintedCost?: number | undefined
  /**
   * Cost of a failed attempt that signals contention (409, 412, 423, 425), never more than the
   * category's cost. Default: 0 — in the contention simulation (scenario a) a budget charging
   * conflicts let 2% of 100 contending clients complete.
   */
  readonly contentionCost?: number | undefined
  /**
   * Tokens added per second of time, on top of deposits, so that a quiet dependency that fails now
   * and then is never starved of retries for lack of traffic (Finagle's `minRetriesPerSec`). 0
   * turns it off (gRPC A6). Default: `maxTokens / 100`, the whole bucket in 100 seconds (1 per
   * second with the default 50 tokens).
   */
  readonly refillPerSecond?: number | undefined
  /** With {@link keyed}: distinct keys kept; further keys share one bucket. Default: 10,000. */
  readonly maxKeys?: number | undefined
}

/**
 * The budget current for `withIntelligentRetry`, as a `Context.Reference`. Its default is a
 * process-wide budget with one bucket per key and the default configuration, and one set of
 * buckets per `Clock` (each test's `TestClock` starts with full buckets; the clock is read on the
 * failure path only, a success deposits into the buckets of the clock last seen failing); `undefined`
 * ({@link layerNone}) turns budgeting off.
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
 * @category tags
 */
export const RetryBudget: typeof internal.RetryBudgetTag = internal.RetryBudgetTag

/**
 * @since 0.1.0
 * @category tags
 */
export type RetryBudget = internal.RetryBudgetTag

/**
 * A budget with one shared bucket, to install with `Layer.succeed(RetryBudget.RetryBudget, …)` or to share
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

/**
 * One fresh bucket shared by every run under the layer; `layer()` has exactly the default
 * configuration. Invalid options fail the layer with an `InvalidPolicyError` naming the field and
 * the value.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: RetryBudgetOptions = {}): Layer.Layer<RetryBudget, InvalidPolicyError> =>
  Layer.effect(RetryBudget, make(options))

/**
 * One fresh bucket per key: each run draws on the bucket named by its `budgetKey` option (by
 * default its task name; `@intelligent-retry/platform` uses the request's host). This is how the
 * default budget is keyed.
 *
 * @since 0.1.0
 * @category layers
 */
export const keyed = (options: RetryBudgetOptions = {}): Layer.Layer<RetryBudget, InvalidPolicyError> =>
  Layer.effect(RetryBudget, makeKeyed(options))

/**
 * No budget: every run retries as its policy says, however many runs fail together.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNone: Layer.Layer<RetryBudget> = Layer.succeed(RetryBudget, undefined)

/**
 * A budget's validated configuration: every option with its default filled in.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryBudgetSettings {
  readonly maxTokens: number
  readonly tokenRatio: number
  readonly costs: Readonly<Record<ErrorCategory, number>>
  readonly hintedCost: number
  readonly contentionCost: number
  readonly refillPerSecond: number
  readonly maxKeys: number
}

/**
 * Validates budget options and fills in the defaults, for budgets backed by a store of their own
 * (`@intelligent-retry/redis`) that must behave exactly as the in-process one.
 *
 * @since 0.1.0
 * @category schemas
 */
export const decodeOptions = (
  options: RetryBudgetOptions = {}
): Effect.Effect<RetryBudgetSettings, InvalidPolicyError> => internal.validate(options)

/**
 * What one failed attempt withdraws under `settings`.
 *
 * @since 0.1.0
 * @category getters
 */
export const costOf: (settings: RetryBudgetSettings, failure: BudgetFailure) => number = internal.costOf

/**
 * A budget from validated settings, one bucket per key (`keyed`) or one shared bucket.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSettings = (settings: RetryBudgetSettings, keyed: boolean): RetryBudgetService =>
  internal.make(settings, keyed)

/**
 * Whether an error signals contention rather than overload: a 409, 412, 423 or 425 status on the
 * error or along its cause chain. Such a failure costs `contentionCost`. For budgets written
 * outside this library.
 *
 * @since 0.1.0
 * @category guards
 */
export const isContention: (error: unknown) => boolean = internal.isContention

/**
 * The balance of the current budget's bucket for `key` (the shared bucket of an unkeyed
 * budget); `undefined` with budgeting off.
 *
 * @since 0.1.0
 * @category accessors
 */
export const balance = (key = ""): Effect.Effect<number | undefined> =>
  Effect.flatMap(RetryBudget, (budget) => budget === undefined ? Effect.succeed(undefined) : budget.balance(key))
