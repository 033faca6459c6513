/**
 * Strategy tables: which policy each category uses. A table is a plain value, usable as
 * `withIntelligentRetry`'s `strategies` option and in `Strategies.layer`. The presets carry
 * over the guide's business scenarios; see `docs/strategies.md` for the reasons behind every
 * number.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Either from "effect/Either"
import type * as Layer from "effect/Layer"
import type * as Schedule from "effect/Schedule"
import type { ClassifierOptions } from "./Classifier.js"
import type { ErrorCategory } from "./ErrorCategory.js"
import * as internal from "./internal/strategies.js"
import type { InvalidPolicyError, RetryPolicy, RetryPolicyInput } from "./RetryPolicy.js"
import { make } from "./RetryPolicy.js"

/**
 * A full table: a validated policy for every category.
 *
 * @since 0.1.0
 * @category models
 */
export type StrategyTable = { readonly [C in ErrorCategory]: RetryPolicy }

/**
 * A partial table of policy inputs. Each category given replaces that category's policy whole;
 * the others keep theirs.
 *
 * @since 0.1.0
 * @category models
 */
export type StrategyTableInput = { readonly [C in ErrorCategory]?: RetryPolicyInput }

// ---------------------------------------------------------------------------------------------
// Named policies
// ---------------------------------------------------------------------------------------------

/**
 * Never retry.
 *
 * @since 0.1.0
 * @category constants
 */
export const noRetry: RetryPolicy = internal.noRetry

/**
 * Retry at once, then back off gently: for network blips. Default: 5 retries, base 0, max
 * 10 seconds, factor 1.2 (the guide's network strategy).
 *
 * @since 0.1.0
 * @category constructors
 */
export const immediate: (overrides?: Omit<RetryPolicyInput, "decision">) => RetryPolicy = internal.immediate

/**
 * Progressive backoff with exact, documented waits: 5 s, 10 s, 20 s, 40 s (4 retries, factor 2,
 * no jitter). The guide's tracking network strategy.
 *
 * @since 0.1.0
 * @category constructors
 */
export const progressive: (overrides?: Omit<RetryPolicyInput, "decision">) => RetryPolicy = internal.progressive

/**
 * Resource-constraint retry, for memory, file-descriptor or disk exhaustion: 3 retries, base
 * 30 s, max 10 minutes, factor 2, equal jitter. Resources come back as other work finishes, which
 * takes tens of seconds, and equal jitter keeps at least half of each wait so that a retry never
 * lands before they can have been freed, while still spreading a fleet out.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resourceConstraint: (overrides?: Omit<RetryPolicyInput, "decision">) => RetryPolicy =
  internal.resourceConstraint

/**
 * File-operation retry, for a locked or not-yet-written file: 3 retries after 2 s, 3 s and 4.5 s
 * (retry_with_delay, factor 1.5, max 10 s, no jitter). Local file contention clears in seconds.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fileOperation: (overrides?: Omit<RetryPolicyInput, "decision">) => RetryPolicy = internal.fileOperation

/**
 * Critical-file retry, for documents that must eventually be produced (receipts, labels): 5
 * retries, base 10 s, max 160 s, factor 2, equal jitter — about 5 minutes of patience in all.
 *
 * @since 0.1.0
 * @category constructors
 */
export const criticalFile: (overrides?: Omit<RetryPolicyInput, "decision">) => RetryPolicy = internal.criticalFile

/**
 * A custom policy from a full input, validated (the guide's `create_custom_strategy`). Throws an
 * `InvalidPolicyError` naming the field and the value.
 *
 * @example
 * ```ts
 * import { Strategies } from "@intelligent-retry/core"
 *
 * const policy = Strategies.custom({
 *   decision: "retry_with_backoff",
 *   maxRetries: 3,
 *   baseDelay: "60 seconds",
 *   maxDelay: "300 seconds",
 *   backoffFactor: 2,
 *   jitter: true
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const custom: (input: RetryPolicyInput) => RetryPolicy = make

// ---------------------------------------------------------------------------------------------
// Presets
// ---------------------------------------------------------------------------------------------

/**
 * The default table.
 *
 * | category | decision | retries | base | max | factor | jitter |
 * | --- | --- | --- | --- | --- | --- | --- |
 * | network_error | retry_immediately | 5 | 0 | 10 s | 1.2 | no |
 * | api_rate_limit | retry_with_delay | 3 | 300 s | 1800 s | 2 | no; a server hint is followed exactly |
 * | data_error | no_retry | 0 | | | | |
 * | system_error | retry_with_backoff | 3 | 30 s | 600 s | 2 | equal |
 * | temporary_error | retry_with_backoff | 3 | 60 s | 300 s | 2 | full |
 * | permanent_error | no_retry | 0 | | | | |
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: StrategyTable = internal.defaults

/**
 * Carrier tracking queries (the guide's `TRACKING_QUERY`): network errors wait exactly 5 s, 10 s,
 * 20 s, 40 s; rate limits wait exactly 5, 10, 20 minutes, or exactly the server's hint
 * (plus a spread of at most 1 s) when it sends one, up to 30 minutes; data errors are never retried; temporary errors back off from 30 s with full jitter.
 * Categories not listed keep the current table's policy.
 *
 * @since 0.1.0
 * @category constants
 */
export const tracking: {
  readonly network_error: RetryPolicy
  readonly api_rate_limit: RetryPolicy
  readonly data_error: RetryPolicy
  readonly temporary_error: RetryPolicy
} = internal.tracking

/**
 * Screenshot capture (the guide's `SCREENSHOT_CAPTURE`): network errors retry at once (then 2 s,
 * 4 s); system errors use {@link resourceConstraint}; temporary errors use {@link fileOperation}.
 *
 * @since 0.1.0
 * @category constants
 */
export const screenshot: {
  readonly network_error: RetryPolicy
  readonly system_error: RetryPolicy
  readonly temporary_error: RetryPolicy
} = internal.screenshot

/**
 * Document generation (the guide's `DOCUMENT_GENERATION`): data errors are never retried; system
 * errors use {@link resourceConstraint}; temporary errors use {@link criticalFile}.
 *
 * @since 0.1.0
 * @category constants
 */
export const document: {
  readonly data_error: RetryPolicy
  readonly system_error: RetryPolicy
  readonly temporary_error: RetryPolicy
} = internal.document

/**
 * Every preset by name, as configuration refers to them.
 *
 * @since 0.1.0
 * @category constants
 */
export const presets: {
  readonly defaults: StrategyTable
  readonly tracking: typeof tracking
  readonly screenshot: typeof screenshot
  readonly document: typeof document
} = internal.presets

/**
 * A preset's name.
 *
 * @since 0.1.0
 * @category models
 */
export type PresetName = keyof typeof presets

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/**
 * Validates a partial table. Unknown category names and invalid policies are errors naming the
 * field (`strategies.network_error.maxRetries`) and the value. The result is remembered per table
 * object, so a constant table (a preset, a module-level value) is validated once however often it
 * is used.
 *
 * **A table is frozen once it is decoded.** The table object and each policy input in it are
 * `Object.freeze`d the first time they are decoded (by this function, `merge`,
 * `Strategies.layer`, or `withIntelligentRetry`'s `strategies` option): a later
 * `table.temporary_error = { decision: "no_retry" }` throws a `TypeError` at once in strict mode
 * (every ES module), instead of being silently ignored by the remembered decoding. To change a
 * policy, build a new table (`{ ...table, temporary_error: … }`), which is decoded afresh. A table
 * that cannot be frozen (a Proxy) is decoded on every use instead.
 *
 * @since 0.1.0
 * @category schemas
 */
export const decodeTable: (input: StrategyTableInput) => Either.Either<Partial<StrategyTable>, InvalidPolicyError> =
  internal.decodeTable

/**
 * Validates `overrides` and lays them over `base`, category by category.
 *
 * @since 0.1.0
 * @category combinators
 */
export const merge: {
  (overrides: StrategyTableInput): (base: StrategyTable) => Either.Either<StrategyTable, InvalidPolicyError>
  (base: StrategyTable, overrides: StrategyTableInput): Either.Either<StrategyTable, InvalidPolicyError>
} = internal.merge

/**
 * A table with every policy's delays multiplied by `factor` (see `RetryPolicy.scale`): with
 * `factor` 1/60, one real second stands for one minute of the table. Works on full and partial
 * tables alike. Throws an `InvalidPolicyError` unless `factor` is a finite number > 0.
 *
 * @example
 * ```ts
 * import { Strategies } from "@intelligent-retry/core"
 *
 * // the tracking preset, one real second per simulated minute
 * const demo = Strategies.scale(Strategies.tracking, 1 / 60)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const scale: {
  (factor: number): <T extends Partial<StrategyTable>>(table: T) => T
  <T extends Partial<StrategyTable>>(table: T, factor: number): T
} = internal.scale

/**
 * Lays `table` over {@link defaults} for every run under the layer (the {@link Strategies} tag). An
 * invalid table fails the layer with an `InvalidPolicyError` naming the field and the value.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Strategies, withIntelligentRetry } from "@intelligent-retry/core"
 *
 * const program = Effect.fail("boom").pipe(
 *   withIntelligentRetry({ task: "track" }),
 *   Effect.provide(Strategies.layer(Strategies.tracking))
 * )
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layer: (table: StrategyTableInput) => Layer.Layer<Strategies, InvalidPolicyError> = internal.layer

/**
 * The strategy table `withIntelligentRetry` uses, as a `Context.Reference`. Its default is
 * {@link defaults}; {@link layer} lays a partial table over it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Strategies } from "@intelligent-retry/core"
 *
 * const program = Effect.gen(function*() {
 *   const table = yield* Strategies.Strategies
 *   return table.network_error.maxRetries
 * }).pipe(Effect.provide(Strategies.layer(Strategies.tracking)))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const Strategies: typeof internal.StrategiesTag = internal.StrategiesTag

/**
 * @since 0.1.0
 * @category tags
 */
export type Strategies = internal.StrategiesTag

/**
 * Compiles a table to a `Schedule` over errors for plain `Effect.retry`: each error is classified,
 * its category's compiled schedule (`RetryPolicy.toSchedule`) is stepped, and the run-wide rules
 * of `withIntelligentRetry` are laid over it by the same code, in the same order: the `retryable`
 * veto, `maxAttempts`, `maxElapsed` and the current `RetryBudget` (drawn on under `budgetKey`,
 * default `"default"`). Throws an `InvalidPolicyError` for an invalid `maxElapsed`.
 *
 * **Details**: a schedule only sees failures, so unlike `withIntelligentRetry` it cannot deposit
 * the successes that refill a budget; statistics are not recorded either. Prefer
 * `withIntelligentRetry` where you can.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Strategies } from "@intelligent-retry/core"
 *
 * const program = Effect.fail({ code: "ECONNRESET" }).pipe(
 *   Effect.retry(Strategies.toSchedule(Strategies.defaults))
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const toSchedule: (
  table: StrategyTable,
  options?: ToScheduleOptions
) => Schedule.Schedule<Duration.Duration, unknown> = internal.toSchedule

/**
 * The options of {@link toSchedule}: the classifier's, and the run-wide rules of
 * `withIntelligentRetry` that a schedule can apply.
 *
 * @since 0.2.0
 * @category models
 */
export interface ToScheduleOptions extends ClassifierOptions {
  /** The most attempts of the whole run, all categories together, an integer ≥ 1. */
  readonly maxAttempts?: number | undefined
  /** No retry whose wait would end later than this after the run started. */
  readonly maxElapsed?: Duration.DurationInput | undefined
  /** A veto on retrying one particular error, whatever its category: `false` ends the retries. */
  readonly retryable?: ((error: any) => boolean) | undefined
  /** The key the current `RetryBudget` is drawn on. Default: `"default"`. */
  readonly budgetKey?: string | undefined
}
