/**
 * Statistics: every failed attempt, retry and outcome of `withIntelligentRetry`, kept in bounded
 * time-bucketed aggregates, with analysis, suggestions and cleanup; published as immutable
 * snapshots, and optionally handed to a sink (a database) bucket by bucket.
 *
 * **Details**
 *
 * The store keeps, per task: a running total of each counter, the same counters per time bucket
 * (one minute by default) so that old data can be dropped and windows can be read, and a bounded
 * ring of recent, redacted samples. Memory does not grow with the number of events; it grows with
 * the number of tasks (capped, see {@link StoreOptions}) and of buckets held (see
 * {@link cleanupOldErrors} and `retention`).
 *
 * The published state is an immutable {@link Snapshot} held in a `Ref`; every read answers from
 * one snapshot, so answers taken together are consistent. Records do not go through the `Ref`:
 * they write into a small buffer (the bucket of the current time and the pending samples) that is
 * folded into a new snapshot when a new bucket starts and before every read. See
 * `docs/statistics.md`.
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
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Metric from "effect/Metric"
import type * as MetricLabel from "effect/MetricLabel"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ErrorCategory } from "./ErrorCategory.js"
import * as internalMetrics from "./internal/metrics.js"
import { scrubTaskName } from "./internal/stats/names.js"
import * as rules from "./internal/stats/rules.js"
import * as service from "./internal/stats/service.js"
import * as internalSnapshot from "./internal/stats/snapshot.js"
import * as internal from "./internal/stats/store.js"
import type { RetryOutcome } from "./RetryOutcome.js"
import type { InvalidPolicyError } from "./RetryPolicy.js"

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

/**
 * The identifier of a {@link Snapshot}.
 *
 * @since 0.2.0
 * @category type ids
 */
export const SnapshotTypeId: unique symbol = internalSnapshot.SnapshotTypeId

/**
 * The type of {@link SnapshotTypeId}.
 *
 * @since 0.2.0
 * @category type ids
 */
export type SnapshotTypeId = typeof SnapshotTypeId

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
 * The result of {@link analyzeTaskErrors}.
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
 * The result of {@link getErrorStatistics}: what a monitoring job reads.
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
 * Options of a memory store. Validated once, when the store or layer is made: an invalid value
 * (or an unknown key) is an `InvalidPolicyError` naming the field and the value.
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
  /** Update the Effect metrics in {@link metrics}. Default: `true`. */
  readonly metrics?: boolean | undefined
}

/**
 * The published state of a store at one time: immutable, so answers read from one snapshot are
 * consistent with each other. Read it with {@link analyze}, {@link statistics} and
 * {@link windowCounts}, which answer as of `time`.
 *
 * @since 0.2.0
 * @category models
 */
export interface Snapshot {
  readonly [SnapshotTypeId]: SnapshotTypeId
  /** Increases with every fold; two snapshots with the same version hold the same state. */
  readonly version: number
  /** When the snapshot was taken (epoch milliseconds, from `Clock`). */
  readonly time: number
  /** The width of the store's time buckets, in milliseconds. */
  readonly bucketWidthMillis: number
  /** From the earliest record held to `time`. */
  readonly window: TimeWindow
  /** Task names held (scrubbed and truncated as stored). */
  readonly taskNames: ReadonlyArray<string>
  /** Recent samples, oldest first. */
  readonly samples: ReadonlyArray<ErrorSample>
}

/**
 * The counters of one task and one category (`"none"` for outcomes without a failure, i.e.
 * `succeeded_first_try`).
 *
 * @since 0.2.0
 * @category models
 */
export interface CategoryCounters {
  readonly task: string
  readonly category: ErrorCategory | "none"
  /** Failed attempts. */
  readonly failures: number
  /** Retries scheduled after a failure of the category. */
  readonly retries: number
  /** Total wait before those retries, in milliseconds. */
  readonly waitMillis: number
  /** Runs recovered after exactly one retry whose last failure had the category. */
  readonly recoveredAfterOneRetry: number
  /** Runs per outcome whose last failure had the category; absent keys are zero. */
  readonly outcomes: Readonly<Partial<Record<RetryOutcome, number>>>
}

/**
 * The counters of one task and one category over one closed time bucket: what a sink receives.
 * Counters are deltas: a bucket closed early by {@link flush} and recorded into again is handed
 * over again with what came after, so a sink adds them up.
 *
 * @since 0.2.0
 * @category models
 */
export interface MinuteAggregate extends CategoryCounters {
  /** Start of the bucket, epoch milliseconds (a whole minute with the default bucket width). */
  readonly minute: number
}

/**
 * What a sink receives in one write: closed per-minute aggregates (no key twice) and redacted
 * samples, oldest first.
 *
 * @since 0.2.0
 * @category models
 */
export interface SinkBatch {
  /**
   * Identifies the batch. A write that timed out may still have committed, and is sent again with
   * the same id and the same content: a sink that must not count twice records the ids it applied
   * (as `SqlRetryStats` does, in the same transaction).
   */
  readonly id: string
  readonly aggregates: ReadonlyArray<MinuteAggregate>
  readonly samples: ReadonlyArray<ErrorSample>
}

/**
 * Where closed buckets go (a database, a queue). `write` runs on the store's delivery fiber, never
 * on a retry's path; a failure (or no answer within `writeTimeout`) is logged, counted, and the
 * batch is kept and written again later with backoff.
 *
 * @since 0.2.0
 * @category models
 */
export interface RetryStatsSink {
  /** Writes one batch of closed buckets; a failure keeps the batch for a later attempt. */
  readonly write: (batch: SinkBatch) => Effect.Effect<void, unknown>
}

/**
 * How a store with a sink delivers. Validated once, when the store or layer is made: an invalid
 * value is an `InvalidPolicyError` naming the field and the value.
 *
 * @since 0.2.0
 * @category models
 */
export interface DeliveryOptions {
  /**
   * Aggregates (and, separately, samples) kept for the sink while it is down or slow. Past it,
   * new entries are dropped and counted ({@link DeliveryStatus}, the metric
   * `intelligent_retry_stats_sink_dropped_total`). Default: 100,000.
   */
  readonly maxPending?: number | undefined
  /** Entries per write. Default: 1,000. */
  readonly batchSize?: number | undefined
  /** First wait before writing again after a failed write; doubles. Default: 1 second. */
  readonly retryBase?: Duration.DurationInput | undefined
  /** Longest wait between writes while failing (never longer than one bucket). Default: 1 minute. */
  readonly retryMax?: Duration.DurationInput | undefined
  /** A write that has not answered after this counts as failed. Default: 10 seconds. */
  readonly writeTimeout?: Duration.DurationInput | undefined
}

/**
 * Counts of a store's delivery to its sink since it was made (all zero without a sink).
 *
 * @since 0.2.0
 * @category models
 */
export interface DeliveryStatus {
  /** Aggregates folded but not written yet (the open bucket's included). */
  readonly pendingAggregates: number
  readonly pendingSamples: number
  /** Aggregates dropped because `maxPending` were already waiting. */
  readonly droppedAggregates: number
  readonly droppedSamples: number
  readonly writtenAggregates: number
  readonly writtenSamples: number
  /** Writes that failed or timed out. */
  readonly failedWrites: number
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
  /**
   * Optional: a counter of the first-try successes of `task`, resolved once and then called for
   * each one instead of `unsafeRecordOutcome(task, "succeeded_first_try", undefined, 0, now)`. It
   * takes no time: the combinator's happy path then reads no clock. A store that offers it counts
   * exactly, and places the counts in time when it next folds (see the memory store). `undefined`
   * (or a store without it): the combinator records each success with `unsafeRecordOutcome`.
   * Like the recorders, the counter never throws.
   */
  readonly unsafeSuccessCounter?: ((task: string) => (() => void) | undefined) | undefined
  /** See {@link snapshot}. */
  readonly snapshot: Effect.Effect<Snapshot>
  /** See {@link changes}. */
  readonly changes: Stream.Stream<Snapshot>
  /** See {@link flush}. */
  readonly flush: Effect.Effect<void>
  /** See {@link deliveryStatus}. */
  readonly deliveryStatus: Effect.Effect<DeliveryStatus>
  /** See {@link analyzeTaskErrors}. */
  readonly analyzeTaskErrors: (taskName?: string) => Effect.Effect<ErrorAnalysis>
  /** See {@link getErrorStatistics}. */
  readonly getErrorStatistics: Effect.Effect<ErrorStatistics>
  /** See {@link cleanupOldErrors}. */
  readonly cleanupOldErrors: (olderThan?: Duration.DurationInput) => Effect.Effect<number>
  /**
   * Failed attempts in the current bucket and the buckets before it that `window` spans
   * (`ceil(window / bucketWidth)` buckets in all), for one task or all. Costs O(buckets held),
   * whatever the window. Dies with an `InvalidPolicyError` if `window` is not a positive, finite
   * duration.
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
} = rules.suggestionThresholds

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
 * {@link metricLabels} to read one series. Task labels are scrubbed of secrets like messages.
 *
 * - `attempts`: `intelligent_retry_failed_attempts_total`, counter of failed attempts (successful
 *   attempts are the outcomes `succeeded_first_try` and `recovered`, so the happy path updates
 *   one series, not two);
 * - `retries`: `intelligent_retry_retries_total`, counter;
 * - `outcomes`: `intelligent_retry_outcomes_total`, counter;
 * - `waits`: `intelligent_retry_wait_ms`, histogram of waits before retries, in milliseconds;
 * - `sinkWrites`: `intelligent_retry_stats_sink_writes_total`, batches handed to a sink, by
 *   `result` (`ok`, `failed`);
 * - `sinkDropped`: `intelligent_retry_stats_sink_dropped_total`, entries dropped past
 *   `maxPending`, by `kind` (`aggregate`, `sample`).
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
 * @category constants
 */
export const metrics: {
  readonly attempts: Metric.Metric.Counter<number>
  readonly retries: Metric.Metric.Counter<number>
  readonly outcomes: Metric.Metric.Counter<number>
  readonly waits: Metric.Metric.Histogram<number>
  readonly sinkWrites: Metric.Metric.Counter<number>
  readonly sinkDropped: Metric.Metric.Counter<number>
} = Object.freeze({
  attempts: internalMetrics.attempts,
  retries: internalMetrics.retries,
  outcomes: internalMetrics.outcomesCounter,
  waits: internalMetrics.waits,
  sinkWrites: internalMetrics.sinkWrites,
  sinkDropped: internalMetrics.sinkDropped
})

/**
 * The labels of one metric series, in the order the store writes them.
 *
 * @since 0.1.0
 * @category getters
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
 * Creates an empty memory store, synchronously: for benchmarks and for programs that manage the
 * store themselves. Throws an `InvalidPolicyError` naming the field and the value if an option is
 * invalid (the effectful {@link make} fails with it instead).
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake = (options?: StoreOptions): RetryStatsService => internal.unsafeMake(options)

/**
 * Creates an empty memory store. An invalid option fails the effect with an `InvalidPolicyError`
 * naming the field and the value.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: StoreOptions) => Effect.Effect<RetryStatsService, InvalidPolicyError> = service.make

/**
 * Creates an empty memory store whose closed buckets and samples flow to `sink`, with its delivery
 * fiber in the scope. Closing the scope flushes (bounded by `writeTimeout`). An invalid option
 * fails the effect with an `InvalidPolicyError` naming the field and the value.
 *
 * **Details**
 *
 * The delivery fiber wakes at each bucket boundary (by `Clock`), folds the buffer, and writes the
 * closed buckets' aggregates and the pending samples in batches of `batchSize`. A failed write is
 * logged, counted, kept, and tried again after a backoff (`retryBase`, doubling up to
 * `retryMax`). At most `maxPending` aggregates (and samples) wait; past it, new ones are dropped
 * and counted exactly. Recording never waits for the sink.
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeWithSink: (
  sink: RetryStatsSink,
  options?: StoreOptions & DeliveryOptions
) => Effect.Effect<RetryStatsService, InvalidPolicyError, Scope.Scope> = service.makeWithSink

/**
 * A store that records nothing and reads as empty.
 *
 * @since 0.1.0
 * @category constants
 */
export const noop: RetryStatsService = internal.noop

// -----------------------------------------------------------------------------
// tag and layers
// -----------------------------------------------------------------------------

/**
 * The current statistics store, as a `Context.Reference`. Its default is one process-wide
 * in-memory store, so statistics work with no layer at all.
 *
 * @since 0.1.0
 * @category tags
 */
export const RetryStats: typeof internal.RetryStatsTag = internal.RetryStatsTag

/**
 * @since 0.1.0
 * @category tags
 */
export type RetryStats = internal.RetryStatsTag

/**
 * Provides a fresh, empty memory store with the default options. Tests use it for isolation.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RetryStats> = Layer.sync(RetryStats, () => internal.unsafeMake())

/**
 * Provides a fresh, empty memory store with the given options: an invalid option fails the layer
 * with an `InvalidPolicyError` naming the field and the value.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (options: StoreOptions): Layer.Layer<RetryStats, InvalidPolicyError> =>
  Layer.effect(RetryStats, make(options))

/**
 * Provides a fresh memory store whose closed buckets flow to `sink` (see {@link makeWithSink}).
 * Releasing the layer flushes. An invalid option fails the layer with an `InvalidPolicyError`.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerSink = (
  sink: RetryStatsSink,
  options?: StoreOptions & DeliveryOptions
): Layer.Layer<RetryStats, InvalidPolicyError> => Layer.scoped(RetryStats, makeWithSink(sink, options))

/**
 * Turns recording off: the store records nothing, reads as empty and updates no metric.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNoop: Layer.Layer<RetryStats> = Layer.succeed(RetryStats, internal.noop)

// -----------------------------------------------------------------------------
// reading the current store
// -----------------------------------------------------------------------------

/**
 * The current store's published state, folded up to now: everything recorded so far.
 *
 * @since 0.2.0
 * @category accessors
 */
export const snapshot: Effect.Effect<Snapshot> = Effect.flatMap(RetryStats, (stats) => stats.snapshot)

/**
 * The current store's snapshots, one per bucket rotation: each element is the state right after
 * a bucket closed (by `Clock`), whether or not anything was recorded.
 *
 * @since 0.2.0
 * @category accessors
 */
export const changes: Stream.Stream<Snapshot> = Stream.unwrap(Effect.map(RetryStats, (stats) => stats.changes))

/**
 * Closes the open bucket early and hands everything pending to the store's sink, waiting for the
 * write (bounded by `writeTimeout`; a failed write is kept for the delivery fiber). Records after
 * a flush in the same minute are handed over later as a further delta. Without a sink it only
 * publishes a new snapshot. Never fails.
 *
 * @since 0.2.0
 * @category accessors
 */
export const flush: Effect.Effect<void> = Effect.flatMap(RetryStats, (stats) => stats.flush)

/**
 * Counts of the current store's delivery to its sink.
 *
 * @since 0.2.0
 * @category accessors
 */
export const deliveryStatus: Effect.Effect<DeliveryStatus> = Effect.flatMap(
  RetryStats,
  (stats) => stats.deliveryStatus
)

/**
 * Analyses the failed attempts, retries and outcomes held for one task, or for all tasks
 * without a name, and suggests what to change. An unknown task gives an all-zero analysis.
 *
 * **Details**
 *
 * Reads the running totals of one snapshot: the cost is O(tasks × 87) for all tasks and O(1)
 * for one, whatever the number of events. It covers everything still held (see `window`). A
 * task may be named as recorded or as stored (scrubbed of secrets).
 *
 * @since 0.1.0
 * @category accessors
 */
export const analyzeTaskErrors = (taskName?: string): Effect.Effect<ErrorAnalysis> =>
  Effect.flatMap(RetryStats, (stats) => stats.analyzeTaskErrors(taskName))

/**
 * Totals per task, per category and per outcome, retries, recent samples and the time window.
 * What a monitoring job reads.
 *
 * @since 0.1.0
 * @category accessors
 */
export const getErrorStatistics: Effect.Effect<ErrorStatistics> = Effect.flatMap(
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
 * `olderThan` must be a non-negative duration; otherwise the effect dies with an
 * `InvalidPolicyError` naming it (a bad argument is a defect of the caller, as with the
 * combinator). What a sink already received is not touched.
 *
 * @since 0.1.0
 * @category accessors
 */
export const cleanupOldErrors: (olderThan?: Duration.DurationInput) => Effect.Effect<number> = service.cleanupOldErrors

/**
 * Failed attempts in a recent window of the current store; see
 * {@link RetryStatsService.errorsInWindow}.
 *
 * @since 0.1.0
 * @category accessors
 */
export const errorsInWindow: (
  window: Duration.DurationInput,
  taskName?: string
) => Effect.Effect<WindowErrorCounts> = service.errorsInWindow

// -----------------------------------------------------------------------------
// reading a snapshot
// -----------------------------------------------------------------------------

/**
 * The analysis of one task (or all) as of the snapshot's `time`; what
 * {@link analyzeTaskErrors} answers.
 *
 * @since 0.2.0
 * @category getters
 */
export const analyze: {
  (taskName?: string): (self: Snapshot) => ErrorAnalysis
  (self: Snapshot, taskName?: string): ErrorAnalysis
} = service.analyze

/**
 * The statistics as of the snapshot's `time`; what {@link getErrorStatistics} answers.
 *
 * @since 0.2.0
 * @category getters
 */
export const statistics: (self: Snapshot) => ErrorStatistics = service.statistics

/**
 * Failed attempts in the window ending at the snapshot's `time`; what {@link errorsInWindow}
 * answers. Throws an `InvalidPolicyError` if `window` is not a positive, finite duration (a pure
 * function: no effect to fail).
 *
 * @since 0.2.0
 * @category getters
 */
export const windowCounts: {
  (window: Duration.DurationInput, taskName?: string): (self: Snapshot) => WindowErrorCounts
  (self: Snapshot, window: Duration.DurationInput, taskName?: string): WindowErrorCounts
} = service.windowCounts

// -----------------------------------------------------------------------------
// reading aggregates held elsewhere
// -----------------------------------------------------------------------------

/**
 * The name a store keeps for a task: secrets masked like messages (`api_key=***`, bearer tokens,
 * URL credentials), truncated to 200 characters. Stores apply it once per distinct name, when the
 * name is first seen; a reader of a sink's storage applies it to the name it looks up.
 *
 * @since 0.2.0
 * @category getters
 */
export const storedTaskName: (task: string) => string = scrubTaskName

/**
 * The analysis of counters read back from a sink's storage (a database): the same shape and the
 * same suggestion rules as {@link analyzeTaskErrors}. Counters of other tasks than `taskName`
 * (when given) must be filtered out by the caller.
 *
 * @since 0.2.0
 * @category getters
 */
export const analysisFromCounters: (
  taskName: string | undefined,
  counters: Iterable<CategoryCounters>,
  window: TimeWindow
) => ErrorAnalysis = service.analysisFromCounters

/**
 * The statistics of counters read back from a sink's storage: the same shape as
 * {@link getErrorStatistics}.
 *
 * @since 0.2.0
 * @category getters
 */
export const statisticsFromCounters: (
  counters: Iterable<CategoryCounters>,
  recentSamples: ReadonlyArray<ErrorSample>,
  window: TimeWindow
) => ErrorStatistics = service.statisticsFromCounters
