/**
 * Statistics: every failed attempt, retry and outcome of `withIntelligentRetry`, kept in bounded
 * time-bucketed aggregates, with analysis, suggestions and cleanup.
 *
 * **Details**
 *
 * The store keeps, per task: a running total of each counter, the same counters per time bucket
 * (one minute by default) so that old data can be dropped and windows can be read, and a bounded
 * ring of recent, redacted samples. Memory does not grow with the number of events; it grows with
 * the number of tasks (capped, see {@link StoreOptions}) and of buckets held (see
 * {@link RetryStats.cleanupOldErrors} and `retention`). See `docs/statistics.md`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Metric from "effect/Metric"
import type * as MetricLabel from "effect/MetricLabel"
import type { ErrorCategory } from "./ErrorCategory.js"
import * as internalMetrics from "./internal/metrics.js"
import * as internal from "./internal/stats.js"
import type { RetryOutcome } from "./RetryOutcome.js"

/**
 * The identifier every statistics store carries.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * The type of {@link TypeId}.
 *
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

// -----------------------------------------------------------------------------
// models
// -----------------------------------------------------------------------------

/**
 * A span of time in epoch milliseconds, `from` ≤ `to`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TimeWindow {
  readonly from: number
  readonly to: number
}

/**
 * How bad a suggestion's finding is: `info` (healthy, nothing to do), `warning` (worth a look),
 * `critical` (a misconfiguration or an unhealthy dependency).
 *
 * @since 0.1.0
 * @category models
 */
export type SuggestionSeverity = "info" | "warning" | "critical"

/**
 * The stable codes of the suggestion rules. See `docs/statistics.md` for each rule.
 *
 * @since 0.1.0
 * @category models
 */
export type SuggestionCode =
  | "DATA_ERRORS_RETRIED"
  | "DATA_ERRORS_FREQUENT"
  | "RATE_LIMITS_DOMINATE"
  | "TRANSIENT_ERRORS_EXHAUSTED"
  | "NETWORK_RECOVERS_ON_FIRST_RETRY"
  | "HINTS_ABOVE_MAX_DELAY"
  | "PERMANENT_ERRORS_FREQUENT"

/**
 * A finding of the analysis, with what to do about it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Suggestion {
  /** Stable identifier of the rule; match on this, not on the message. */
  readonly code: SuggestionCode
  readonly severity: SuggestionSeverity
  /** A sentence for humans. */
  readonly message: string
  /** The category the rule is about, if any. */
  readonly category: ErrorCategory | undefined
  /** The value the rule measured: a count, or a fraction in [0, 1]. */
  readonly observed: number
  /** The threshold `observed` reached (see {@link suggestionThresholds}). */
  readonly threshold: number
}

/**
 * Totals of one task (or of all tasks).
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskStatistics {
  /** Failed attempts. */
  readonly totalErrors: number
  /** Failed attempts per category; all six keys, zeros included. */
  readonly categoryDistribution: Readonly<Record<ErrorCategory, number>>
  /** Retries scheduled. */
  readonly retries: number
  /** Total wait before those retries, in milliseconds. */
  readonly waitMillis: number
  /** Runs per outcome; every outcome key, zeros included. */
  readonly outcomes: Readonly<Record<RetryOutcome, number>>
}

/**
 * The result of {@link RetryStats.analyzeTaskErrors}.
 *
 * **Details**
 *
 * `recoveryRate` is `recovered / (recovered + failedRuns)`, where `failedRuns` counts runs that
 * ended in a failure outcome (`exhausted`, `not_retryable`, `hint_exceeds_max_delay`,
 * * `stopped_by_cap`, `budget_exhausted`, `disabled`, `died`): every such run had at least one failed
 * attempt. Interrupted runs are left out: cancellation says nothing about recovery. It is 0 when
 * no run failed at all.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorAnalysis extends TaskStatistics {
  /** The task analysed; `undefined` for all tasks. */
  readonly taskName: string | undefined
  /** Retries per category (the category of the failure retried); all six keys. */
  readonly retriesByCategory: Readonly<Record<ErrorCategory, number>>
  /** Runs recorded (every outcome). */
  readonly runs: number
  /** Runs that succeeded after at least one retry. */
  readonly recovered: number
  /** Runs that ended in a failure outcome (interruptions excluded). */
  readonly failedRuns: number
  /** `recovered / (recovered + failedRuns)`, or 0 when both are 0. */
  readonly recoveryRate: number
  /** Findings, most severe first. */
  readonly suggestions: ReadonlyArray<Suggestion>
  /** From the earliest record still held (store-wide) to now; both are now when the store is empty. */
  readonly window: TimeWindow
}

/**
 * One recent failed attempt, as stored: redacted and truncated, never the error itself.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorSample {
  /** Epoch milliseconds, from `Clock`. */
  readonly time: number
  readonly task: string
  readonly category: ErrorCategory
  /** The error's `_tag` (or `Error` name, or kind of value); at most 100 characters. */
  readonly tag: string
  /** The error's message, secrets masked, at most 500 characters; `<unreadable>` if reading threw. */
  readonly message: string
  /** The attempt number, 1-based. */
  readonly attempt: number
}

/**
 * The result of {@link RetryStats.getErrorStatistics}: what a monitoring job reads.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorStatistics {
  /** Failed attempts over all tasks. */
  readonly totalErrors: number
  readonly totalRetries: number
  /** Total wait before retries, in milliseconds. */
  readonly totalWaitMillis: number
  /** Runs recorded (every outcome). */
  readonly totalRuns: number
  /** Failed attempts per category; all six keys. */
  readonly byCategory: Readonly<Record<ErrorCategory, number>>
  /** Retries per category; all six keys. */
  readonly retriesByCategory: Readonly<Record<ErrorCategory, number>>
  /** Runs per outcome; every outcome key. */
  readonly byOutcome: Readonly<Record<RetryOutcome, number>>
  /** Totals per task, for tasks with anything recorded. Folded tasks appear as `"<overflow>"`. */
  readonly byTask: Readonly<Record<string, TaskStatistics>>
  /** Distinct task names held, the overflow task included. */
  readonly taskCount: number
  /** The most recent failed attempts, oldest first; at most `sampleSize`. */
  readonly recentSamples: ReadonlyArray<ErrorSample>
  /** From the earliest record still held to now. */
  readonly window: TimeWindow
}

/**
 * Failed attempts in a recent window, read from the time buckets. See
 * {@link RetryStatsService.errorsInWindow}.
 *
 * @since 0.1.0
 * @category models
 */
export interface WindowErrorCounts {
  readonly taskName: string | undefined
  readonly totalErrors: number
  /** All six keys, zeros included. */
  readonly categoryDistribution: Readonly<Record<ErrorCategory, number>>
  /** The buckets covered: from the start of the oldest to now. */
  readonly window: TimeWindow
}

/**
 * Options of a memory store. Validated once; an invalid value throws an
 * `IllegalArgumentException` naming the field and the value.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreOptions {
  /** Width of a time bucket: the granularity of cleanup and of windows. Whole milliseconds. Default: 1 minute. */
  readonly bucketWidth?: Duration.DurationInput | undefined
  /** Recent samples kept (a ring). 0 keeps none. Integer in [0, 100000]. Default: 200. */
  readonly sampleSize?: number | undefined
  /**
   * Distinct task names kept; later names are folded into the task `"<overflow>"` until cleanup
   * frees a name. Integer in [1, 1000000]. Default: 10,000.
   */
  readonly maxTasks?: number | undefined
  /**
   * Distinct `task` labels ever given to metrics by this store (Effect's metric registry never
   * forgets a series); later names are labelled `"<overflow>"`. Integer in [0, 1000000].
   * Default: 1,000.
   */
  readonly maxMetricTasks?: number | undefined
  /**
   * Buckets older than this are dropped automatically when a new bucket starts, so a store
   * nobody cleans stays bounded. At least `bucketWidth`; may be infinite. Default: 7 days.
   */
  readonly retention?: Duration.DurationInput | undefined
  /** Update the Effect metrics in {@link RetryStats.metrics}. Default: `true`. */
  readonly metrics?: boolean | undefined
}

/**
 * What a statistics store offers. `withIntelligentRetry` records into whichever store is current.
 *
 * The `unsafe*` recorders are synchronous and total: they never throw, whatever error value they
 * are given, and they take the time (`now`, epoch milliseconds) from the caller, who reads it from
 * `Clock`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryStatsService {
  readonly [TypeId]: TypeId
  /** `false` for the no-op store: the combinator then skips reading the clock for statistics. */
  readonly enabled: boolean
  /** A failed attempt (1-based `attempt`), classified into `category`. */
  readonly unsafeRecordFailure: (
    task: string,
    category: ErrorCategory,
    error: unknown,
    attempt: number,
    now: number
  ) => void
  /** A retry about to wait `waitMillis` before the next attempt. */
  readonly unsafeRecordRetry: (task: string, category: ErrorCategory, waitMillis: number, now: number) => void
  /**
   * How a run ended. `category` is the category of the last failure (undefined for
   * `succeeded_first_try`); `retries` is how many retries the run made.
   */
  readonly unsafeRecordOutcome: (
    task: string,
    outcome: RetryOutcome,
    category: ErrorCategory | undefined,
    retries: number,
    now: number
  ) => void
  /** See {@link RetryStats.analyzeTaskErrors}. */
  readonly analyzeTaskErrors: (taskName?: string) => Effect.Effect<ErrorAnalysis>
  /** See {@link RetryStats.getErrorStatistics}. */
  readonly getErrorStatistics: Effect.Effect<ErrorStatistics>
  /** See {@link RetryStats.cleanupOldErrors}. */
  readonly cleanupOldErrors: (olderThan?: Duration.DurationInput) => Effect.Effect<number>
  /**
   * Failed attempts in the current bucket and the buckets before it that `window` spans
   * (`ceil(window / bucketWidth)` buckets in all), for one task or all. Throws an
   * `IllegalArgumentException` if `window` is not a positive, finite duration.
   */
  readonly errorsInWindow: (window: Duration.DurationInput, taskName?: string) => Effect.Effect<WindowErrorCounts>
  /** The most recent samples, oldest first; at most `limit` (default: all held). */
  readonly recentSamples: (limit?: number) => Effect.Effect<ReadonlyArray<ErrorSample>>
}

// -----------------------------------------------------------------------------
// constants
// -----------------------------------------------------------------------------

/**
 * The thresholds of the suggestion rules, in one table. Shares are fractions of failed attempts;
 * rates are fractions of runs whose last failure had the category.
 *
 * | key | value | rule |
 * | --- | --- | --- |
 * | `minErrors` | 10 | share rules need this many failed attempts |
 * | `minRuns` | 10 | rate rules need this many runs that failed at least once |
 * | `dataErrorRetries` | 1 | `DATA_ERRORS_RETRIED` |
 * | `dataErrorShare` | 0.1 | `DATA_ERRORS_FREQUENT` |
 * | `rateLimitShare` | 0.5 | `RATE_LIMITS_DOMINATE` |
 * | `transientExhaustedRate` | 0.2 (critical at 0.5) | `TRANSIENT_ERRORS_EXHAUSTED` |
 * | `networkFirstRetryRecoveryRate` | 0.8 | `NETWORK_RECOVERS_ON_FIRST_RETRY` |
 * | `hintsRefused` | 1 | `HINTS_ABOVE_MAX_DELAY` |
 * | `permanentErrorShare` | 0.25 | `PERMANENT_ERRORS_FREQUENT` |
 *
 * @since 0.1.0
 * @category constants
 */
export const suggestionThresholds: {
  readonly minErrors: number
  readonly minRuns: number
  readonly dataErrorRetries: number
  readonly dataErrorShare: number
  readonly rateLimitShare: number
  readonly transientExhaustedRate: number
  readonly transientExhaustedCriticalRate: number
  readonly networkFirstRetryRecoveryRate: number
  readonly hintsRefused: number
  readonly permanentErrorShare: number
} = internal.suggestionThresholds

/**
 * The task name that collects tasks beyond `maxTasks` (and the `task` label beyond
 * `maxMetricTasks`).
 *
 * @since 0.1.0
 * @category constants
 */
export const OVERFLOW_TASK: string = internal.OVERFLOW_TASK

/**
 * The Effect metrics the memory store updates (unless created with `metrics: false`), tagged
 * with labels in this order: `task`, `category` (one of the six, or `"none"` for an outcome
 * without a failure, i.e. `succeeded_first_try`), then `outcome` for `outcomes`. Use
 * {@link metricLabels} to read one series.
 *
 * - `attempts`: `intelligent_retry_failed_attempts_total`, counter of failed attempts (successful
 *   attempts are the outcomes `succeeded_first_try` and `recovered`, so the happy path updates
 *   one series, not two);
 * - `retries`: `intelligent_retry_retries_total`, counter;
 * - `outcomes`: `intelligent_retry_outcomes_total`, counter;
 * - `waits`: `intelligent_retry_wait_ms`, histogram of waits before retries, in milliseconds.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { RetryStats } from "@intelligent-retry/core"
 *
 * const networkAttempts = Metric.value(
 *   Metric.taggedWithLabels(RetryStats.metrics.attempts, RetryStats.metricLabels("sync-orders", "network_error"))
 * )
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics: {
  readonly attempts: Metric.Metric.Counter<number>
  readonly retries: Metric.Metric.Counter<number>
  readonly outcomes: Metric.Metric.Counter<number>
  readonly waits: Metric.Metric.Histogram<number>
} = Object.freeze({
  attempts: internalMetrics.attempts,
  retries: internalMetrics.retries,
  outcomes: internalMetrics.outcomesCounter,
  waits: internalMetrics.waits
})

/**
 * The labels of one metric series, in the order the store writes them.
 *
 * @since 0.1.0
 * @category metrics
 */
export const metricLabels: (
  task: string,
  category: ErrorCategory | "none",
  outcome?: RetryOutcome
) => ReadonlyArray<MetricLabel.MetricLabel> = internalMetrics.labels

// -----------------------------------------------------------------------------
// constructors
// -----------------------------------------------------------------------------

/**
 * Creates an empty memory store. Throws an `IllegalArgumentException` naming the field and the
 * value if an option is invalid.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake = (options?: StoreOptions): RetryStatsService => internal.unsafeMake(options)

/**
 * Creates an empty memory store. Options are validated when `make` is called, not when the
 * effect runs.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: StoreOptions): Effect.Effect<RetryStatsService> => {
  const resolved = internal.resolveOptions(options)
  return Effect.sync(() => new internal.MemoryStore(resolved))
}

/**
 * A store that records nothing and reads as empty.
 *
 * @since 0.1.0
 * @category constructors
 */
export const noop: RetryStatsService = internal.noop

// -----------------------------------------------------------------------------
// tag
// -----------------------------------------------------------------------------

/**
 * The current statistics store, as a `Context.Reference`. Its default is one process-wide
 * in-memory store, so statistics work with no layer at all.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { RetryStats } from "@intelligent-retry/core"
 *
 * const report = Effect.gen(function*() {
 *   const analysis = yield* RetryStats.analyzeTaskErrors("update_tracking_info")
 *   yield* Effect.log(`total errors: ${analysis.totalErrors}`, analysis.categoryDistribution)
 *   for (const s of analysis.suggestions) yield* Effect.log(`${s.severity} ${s.code}: ${s.message}`)
 * }).pipe(Effect.provide(RetryStats.layer)) // omit the layer to read the process-wide store
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class RetryStats extends Context.Reference<RetryStats>()("@intelligent-retry/core/RetryStats", {
  defaultValue: (): RetryStatsService => internal.globalStore()
}) {
  /**
   * Provides a fresh, empty memory store with the default options. Tests use it for isolation.
   *
   * @since 0.1.0
   */
  static readonly layer: Layer.Layer<RetryStats> = Layer.sync(RetryStats, () => internal.unsafeMake())

  /**
   * Provides a fresh, empty memory store with the given options, validated now: an invalid
   * option throws an `IllegalArgumentException` naming the field and the value.
   *
   * @since 0.1.0
   */
  static layerWith(options: StoreOptions): Layer.Layer<RetryStats> {
    const resolved = internal.resolveOptions(options)
    return Layer.sync(RetryStats, () => new internal.MemoryStore(resolved))
  }

  /**
   * Turns recording off: the store records nothing, reads as empty and updates no metric.
   *
   * @since 0.1.0
   */
  static readonly layerNoop: Layer.Layer<RetryStats> = Layer.succeed(RetryStats, internal.noop)

  /**
   * The store that records nothing, to put in a runtime's context or a layer at the edge of the
   * program (`RetryStats.layerNoop`). Avoid `Effect.provideService` around a hot effect: it
   * switches the context on every run (about 4 µs in the benchmarks).
   *
   * @since 0.1.0
   */
  static readonly noop: RetryStatsService = internal.noop

  /**
   * Creates an empty memory store; see {@link make}.
   *
   * @since 0.1.0
   */
  static readonly make: (options?: StoreOptions) => Effect.Effect<RetryStatsService> = make

  /**
   * Analyses the failed attempts, retries and outcomes held for one task, or for all tasks
   * without a name, and suggests what to change. An unknown task gives an all-zero analysis.
   *
   * **Details**
   *
   * Reads the running totals: the cost is O(tasks × 87) for all tasks and O(1) for one,
   * whatever the number of events. It covers everything still held (see `window`).
   *
   * @since 0.1.0
   */
  static analyzeTaskErrors(taskName?: string): Effect.Effect<ErrorAnalysis> {
    return Effect.flatMap(RetryStats, (stats) => stats.analyzeTaskErrors(taskName))
  }

  /**
   * Totals per task, per category and per outcome, retries, recent samples and the time window.
   * What a monitoring job reads.
   *
   * @since 0.1.0
   */
  static readonly getErrorStatistics: Effect.Effect<ErrorStatistics> = Effect.flatMap(
    RetryStats,
    (stats) => stats.getErrorStatistics
  )

  /**
   * Drops what is older than now − `olderThan` (now from `Clock`) and returns how many failed
   * attempts were dropped.
   *
   * **Details**
   *
   * Data is dropped by whole buckets: a bucket goes when it ends at or before the cutoff, so a
   * record at or after the cutoff is always kept, and a record up to one bucket older than the
   * cutoff may be kept until the next cleanup. The count is the failed attempts held in the
   * dropped buckets (retries and outcomes go with them but are not counted). Recent samples
   * older than the cutoff are dropped too, exactly. A task left with nothing frees its name.
   * `olderThan` must be a non-negative duration; otherwise this throws an
   * `IllegalArgumentException`.
   *
   * @since 0.1.0
   */
  static cleanupOldErrors(olderThan: Duration.DurationInput = "24 hours"): Effect.Effect<number> {
    internal.olderThanMillis(olderThan)
    return Effect.flatMap(RetryStats, (stats) => stats.cleanupOldErrors(olderThan))
  }

  /**
   * Failed attempts in a recent window of the current store; see
   * {@link RetryStatsService.errorsInWindow}.
   *
   * @since 0.1.0
   */
  static errorsInWindow(window: Duration.DurationInput, taskName?: string): Effect.Effect<WindowErrorCounts> {
    internal.windowMillis(window)
    return Effect.flatMap(RetryStats, (stats) => stats.errorsInWindow(window, taskName))
  }

  /**
   * The Effect metrics fed by the memory stores. See {@link metrics}.
   *
   * @since 0.1.0
   */
  static readonly metrics = metrics

  /**
   * The labels of one metric series. See {@link metricLabels}.
   *
   * @since 0.1.0
   */
  static readonly metricLabels = metricLabels

  /**
   * The thresholds of the suggestion rules. See {@link suggestionThresholds}.
   *
   * @since 0.1.0
   */
  static readonly suggestionThresholds = suggestionThresholds
}
