/**
 * `withIntelligentRetry`: retries an effect according to what kind of failure each error is.
 *
 * At every failure the error is classified; its category picks the policy from the current
 * strategy table (`Strategies.Strategies`, merged with the run's `strategies` option); the category's
 * own counter gives n, the index of this retry within the category; the policy gives the wait.
 * Server hints raise the wait. Every failed attempt, retry and outcome is recorded into the current
 * `RetryStats`.
 *
 * Only typed failures are retried: defects and interruptions never are. Every run that reaches its
 * first failure ends with exactly one outcome in `RetryStats`, including a run interrupted
 * (`interrupted`) or ended by a defect (`died`). After the last attempt the
 * last original error surfaces, not a wrapper, so `E` is unchanged. No requirement is added to `R`:
 * every service read (strategies, classifier, statistics, configuration, budget) is a
 * `Context.Reference` with a working default.
 *
 * The debugging aids `IntelligentRetry.strategyFor` and `IntelligentRetry.currentStrategyFor` (the guide's `get_strategy_for_error`)
 * live here, beside the combinator whose choice they explain, and so do the outcome names a run ends
 * with (`outcomes`, `FailureOutcome`).
 *
 * @since 0.1.0
 */
export {
  /**
   * Every outcome a run can end with, in declaration order (the order of `RetryOutcome`).
   *
   * @since 0.1.0
   * @category constants
   */
  outcomes
} from "./RetryOutcome.js"
export type {
  /**
   * The outcomes in which the run failed: everything but `succeeded_first_try` and `recovered`.
   *
   * @since 0.1.0
   * @category models
   */
  FailureOutcome
} from "./RetryOutcome.js"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { ClassifierOptions, ClassifyFn, TagMap } from "./Classifier.js"
import type { ErrorCategory } from "./ErrorCategory.js"
import * as handoff from "./internal/handoff.js"
import * as internal from "./internal/intelligentRetry.js"
import type { RetryDecision } from "./RetryDecision.js"
import type { RetryHandoff } from "./RetryErrors.js"
import type { FailureOutcome } from "./RetryOutcome.js"
import type { InvalidPolicyError, RetryPolicy } from "./RetryPolicy.js"
import type { RetryState } from "./RetryState.js"
import type { StrategyTable, StrategyTableInput } from "./Strategies.js"

/**
 * What `onRetry` is told before each wait.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryInfo<E> {
  /** The run's task name. */
  readonly task: string
  /** The category the failure was classified into. */
  readonly category: ErrorCategory
  /** The decision of that category's policy. */
  readonly decision: RetryDecision
  /** The attempt that just failed, counting every category, from 1. */
  readonly attempt: number
  /** This retry's number within its category, from 1 (n + 1). */
  readonly categoryAttempt: number
  /** The wait before the next attempt. */
  readonly wait: Duration.Duration
  /** The server's hint, if the error carried one. */
  readonly hint: Duration.Duration | undefined
  /** The error of the attempt that failed. */
  readonly error: E
}

/**
 * What `onFailure` is told when a run gives up.
 *
 * @since 0.1.0
 * @category models
 */
export interface FailureInfo<E> {
  /** The run's task name. */
  readonly task: string
  /** The category of the last error. */
  readonly category: ErrorCategory
  /** Why the run gave up. */
  readonly outcome: FailureOutcome
  /** Attempts made, counting every category. */
  readonly attempts: number
  /** Retries made, counting every category. */
  readonly retries: number
  /** The last error, which the run fails with. */
  readonly error: E
}

/**
 * Options of {@link withIntelligentRetry}. All optional; they are validated once, when the
 * combinator is applied, and an invalid option makes the effect die with an `InvalidPolicyError`
 * that names the option and the value.
 *
 * @since 0.1.0
 * @category models
 */
export interface IntelligentRetryOptions<E> {
  /** The name in statistics, metrics and callbacks. Default: `"default"`. */
  readonly task?: string | undefined
  /** A full or partial table, laid over the current `Strategies.Strategies` for this run only. */
  readonly strategies?: StrategyTableInput | undefined
  /** A classification rule tried before the current `Classifier.Classifier`; `undefined` defers. */
  readonly classify?: ClassifyFn<E> | undefined
  /** An exhaustive map from every `_tag` of `E` to a category; tried before `classify`. */
  readonly byTag?: TagMap<E> | undefined
  /**
   * Called before each wait, and waited for. A callback that fails, dies, throws, returns a
   * rejected promise (any thenable is awaited) or runs past `callbackTimeout` is logged and ignored:
   * it never breaks the retry loop.
   */
  readonly onRetry?: ((info: RetryInfo<E>) => Effect.Effect<unknown, unknown>) | undefined
  /**
   * Called when the run gives up, before its error surfaces, under the same guard as `onRetry`.
   */
  readonly onFailure?: ((info: FailureInfo<E>) => Effect.Effect<unknown, unknown>) | undefined
  /**
   * How long `onRetry` or `onFailure` may run: past it the callback is interrupted (and left to
   * finish in the background if it refuses interruption), a warning is logged, and the run goes
   * on. At least 1 ms, below 2³¹ − 1 ms. Default: 5 seconds.
   */
  readonly callbackTimeout?: Duration.DurationInput | undefined
  /** The most attempts of the whole run, all categories together, an integer ≥ 1. */
  readonly maxAttempts?: number | undefined
  /** No retry whose wait would end later than this after the run started. */
  readonly maxElapsed?: Duration.DurationInput | undefined
  /**
   * A veto on retrying one particular error, whatever its category: `false` ends the run with
   * `not_retryable` (recorded under the error's real category). A predicate that throws is taken as
   * `true`. `@intelligent-retry/platform` uses it for requests that are not safe to send twice.
   */
  readonly retryable?: ((error: E) => boolean) | undefined
  /**
   * The dependency this run calls: the token bucket of a keyed `RetryBudget` it draws on, and the key of
   * its cool-downs. Default: the task name.
   */
  readonly budgetKey?: string | undefined
  /**
   * Hold every attempt while this run's key cools down after a server hint another run received
   * (see `RetryCooldown`): the first one, and a retry whose own wait ends before the hold does.
   * Under `withHandoff`, a hold of at least `after` hands off. Runs under a `RetryCooldown` or
   * `RedisRetry` layer always do; `@intelligent-retry/platform`'s transform sets it per request.
   * Default: `false`.
   */
  readonly cooldown?: boolean | undefined
}

/**
 * Retries `self` by the category of each failure.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NetworkError, withIntelligentRetry } from "@intelligent-retry/core"
 *
 * declare const fetchTracking: (id: string) => Effect.Effect<string, NetworkError>
 *
 * const program = fetchTracking("1Z999").pipe(
 *   withIntelligentRetry({
 *     task: "update_tracking_info",
 *     onRetry: (info) => Effect.logInfo(`retry ${info.attempt} (${info.category}) in ${info.wait}`)
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withIntelligentRetry: {
  <E>(options?: IntelligentRetryOptions<NoInfer<E>>): <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options?: IntelligentRetryOptions<NoInfer<E>>): Effect.Effect<A, E, R>
} = internal.withIntelligentRetry

/**
 * Options of {@link withHandoff}: those of {@link withIntelligentRetry}, plus `after` and `state`.
 *
 * @since 0.1.0
 * @category models
 */
export interface HandoffOptions<E> extends IntelligentRetryOptions<E> {
  /**
   * The shortest wait that is handed off instead of slept: the first wait of at least this much
   * ends the run with a `RetryHandoff`. Shorter waits are slept in-process as usual. Required; a
   * non-negative duration (`Duration.infinity` never hands off).
   */
  readonly after: Duration.DurationInput
  /**
   * The saved state to resume: the `state` of the `RetryHandoff` that ended the previous part of
   * this logical run, as it was or after a JSON round trip. It is decoded before the run; a state
   * that is not valid makes the effect die with an `InvalidPolicyError` naming the field. Default:
   * a new run.
   */
  readonly state?: RetryState | undefined
}

/**
 * Like {@link withIntelligentRetry}, but a wait of at least `after` is not slept: the run fails
 * with a `RetryHandoff` carrying when to resume (`resumeAt`, exactly the clock's time plus the
 * wait) and the run's `state`. Running the effect again with that `state` continues the same
 * logical run. This is how a queue worker hands a 5-minute rate-limit wait to its queue (see
 * `@intelligent-retry/bullmq`) instead of holding the job in memory, where a restart would lose it.
 *
 * **Details**
 *
 * - Counters carry on: a category with 3 retries hands off at most 3 times, and its 4th failure
 *   ends the run as `exhausted`; `maxAttempts` counts every attempt of every part of the run.
 * - `maxElapsed` counts from the original start (`state.start`), not from the resumption.
 * - Statistics count one run: a hand-off records the failure and the retry but no outcome; the
 *   final part records the run's only outcome (`recovered` when a resumed attempt succeeds).
 * - `onRetry` is called for a handed-off retry too, before the hand-off, with its wait; `onFailure`
 *   only by the part that gives up.
 * - A resumed run honours the current strategies, so a table changed between the parts applies
 *   to the rest of the run.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { IntelligentRetry, RateLimitError, type RetryState } from "@intelligent-retry/core"
 *
 * declare const call: Effect.Effect<string, RateLimitError>
 * declare const saved: RetryState.RetryState | undefined
 *
 * // waits under 10 s are slept; a longer one fails with RetryHandoff
 * const program = call.pipe(IntelligentRetry.withHandoff({ after: "10 seconds", state: saved }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withHandoff: {
  <E>(
    options: HandoffOptions<NoInfer<E>>
  ): <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | RetryHandoff, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: HandoffOptions<NoInfer<E>>): Effect.Effect<A, E | RetryHandoff, R>
} = handoff.withHandoff

/**
 * The category and policy that would apply to an error.
 *
 * @since 0.1.0
 * @category models
 */
export interface StrategyChoice {
  /** The category the error is classified into. */
  readonly category: ErrorCategory
  /** The policy that category has in the table. */
  readonly policy: RetryPolicy
}

/**
 * Which category and policy would apply to `error` under `table` (a full or partial table laid
 * over the defaults): the debugging aid the guide calls `get_strategy_for_error`. Throws an
 * `InvalidPolicyError` for an invalid table.
 *
 * @example
 * ```ts
 * import { IntelligentRetry, Strategies } from "@intelligent-retry/core"
 *
 * const { category, policy } = IntelligentRetry.strategyFor({ status: 429 }, Strategies.tracking)
 * // category: "api_rate_limit", policy.maxRetries: 3
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const strategyFor: (
  error: unknown,
  table?: StrategyTableInput | StrategyTable,
  classifier?: ClassifierOptions
) => StrategyChoice = internal.strategyFor

/**
 * Like {@link strategyFor}, but with the current `Strategies.Strategies` and `Classifier.Classifier`: what a
 * `withIntelligentRetry` run here would do with `error`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const currentStrategyFor: (error: unknown) => Effect.Effect<StrategyChoice> = internal.currentStrategyFor

/**
 * The ceiling of every wait in the current context, in milliseconds: `RetryConfig.Settings.maxWait`
 * (24 hours by default), validated as `withIntelligentRetry` validates it. Fails with the same
 * `InvalidPolicyError` when the setting is not a valid ceiling. Code that stores a resumption time
 * outside the process (a queue's delayed job) re-checks it against this when it reads it back.
 *
 * @since 0.1.0
 * @category accessors
 */
export const currentMaxWait: Effect.Effect<number, InvalidPolicyError> = internal.currentMaxWait
