/**
 * Monitoring: thresholds on the failed attempts of a recent window, checked once or on a
 * `Schedule`, with alerts sent to an {@link AlertSink}.
 *
 * **Details**
 *
 * This is the guide's `check_retry_health` / `monitor_retry_errors`: alert when the failed
 * attempts of the window exceed `ERROR_THRESHOLD` (50), and when data errors exceed 10. Counts are
 * read from the time buckets of the current {@link RetryStats} store, so a check costs
 * O(buckets in the window), whatever the number of events.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { RetryMonitor } from "@intelligent-retry/core"
 *
 * const pager = RetryMonitor.AlertSink.layer((alert) => Effect.logError(alert.message))
 *
 * // check every 5 minutes, forever, in the background
 * const monitor = RetryMonitor.run({ window: "5 minutes", errorThreshold: 50 }).pipe(
 *   Effect.provide(pager),
 *   Effect.forkDaemon
 * )
 * ```
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import type { ErrorCategory } from "./ErrorCategory.js"
import * as internal from "./internal/monitor.js"
import type { ErrorSample, TimeWindow, WindowErrorCounts } from "./RetryStats.js"

// -----------------------------------------------------------------------------
// models
// -----------------------------------------------------------------------------

/**
 * The stable codes of alerts.
 *
 * @since 0.1.0
 * @category models
 */
export type AlertCode = "ERROR_THRESHOLD_EXCEEDED" | "CATEGORY_THRESHOLD_EXCEEDED"

/**
 * An alert raised by a check. Everything in it comes from redacted samples and counts: it never
 * carries an error object or an unscrubbed message.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryAlert {
  readonly code: AlertCode
  /**
   * `firing` while the condition holds (sent when it starts, then at most once per `cooldown`
   * by {@link run}); `resolved` once, by {@link run}, when it no longer holds.
   */
  readonly status: "firing" | "resolved"
  /** `critical` when `observed` is more than twice `threshold`, else `warning`. */
  readonly severity: "warning" | "critical"
  /** A sentence for humans, with the latest redacted sample. */
  readonly message: string
  /** The task checked; `undefined` for all tasks. */
  readonly taskName: string | undefined
  /** The category, for `CATEGORY_THRESHOLD_EXCEEDED`. */
  readonly category: ErrorCategory | undefined
  /** Failed attempts in the window. */
  readonly observed: number
  /** The threshold exceeded (`observed > threshold`). */
  readonly threshold: number
  /** The buckets counted: from the start of the oldest to now. */
  readonly window: TimeWindow
  /** Up to three of the most recent matching samples in the window, newest first, redacted. */
  readonly samples: ReadonlyArray<ErrorSample>
}

/**
 * Thresholds of a check. Validated when `check` or `run` is called: an invalid value (or an
 * unknown key) makes the returned effect die with an `InvalidPolicyError` naming the field and the
 * value, as the combinator does.
 *
 * @since 0.1.0
 * @category models
 */
export interface MonitorOptions {
  /** The window counted, rounded up to whole buckets of the store. Default: 5 minutes. */
  readonly window?: Duration.DurationInput | undefined
  /**
   * Alert when the failed attempts of the window exceed this. Default: the configured
   * `ERROR_THRESHOLD` (`RetryConfig.monitoring`), which is 50 unless configured.
   */
  readonly errorThreshold?: number | undefined
  /**
   * Alert when the failed attempts of a category exceed its threshold. Replaces the default
   * entirely (pass `{}` for none). Default: `{ data_error: 10 }`, as in the guide.
   */
  readonly categoryThresholds?: Readonly<Partial<Record<ErrorCategory, number>>> | undefined
  /** Check one task only. Default: all tasks. */
  readonly taskName?: string | undefined
}

/**
 * Options of {@link run}: thresholds and the schedule of the checks.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOptions<Out = number, R = never> extends MonitorOptions {
  /**
   * While a condition holds, its alert is sent again at most once per `cooldown`; when it ends,
   * one `resolved` alert is sent. Default: 30 minutes ({@link defaults}).
   */
  readonly cooldown?: Duration.DurationInput | undefined
  /**
   * When to check again, fed the alerts of each check. The first check runs at once. Default:
   * `Schedule.spaced(window)`, so consecutive windows tile without overlap and each failure is
   * counted by one check.
   */
  readonly schedule?: Schedule.Schedule<Out, ReadonlyArray<RetryAlert>, R> | undefined
}

/**
 * The default thresholds. `errorThreshold` is the guide's `ERROR_THRESHOLD`; a check uses the
 * configured value (`RetryConfig.monitoring`) when none is passed.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: {
  readonly window: Duration.Duration
  readonly cooldown: Duration.Duration
  readonly errorThreshold: number
  readonly categoryThresholds: Readonly<Partial<Record<ErrorCategory, number>>>
} = internal.defaults

// -----------------------------------------------------------------------------
// sink
// -----------------------------------------------------------------------------

/**
 * Where alerts go.
 *
 * @since 0.1.0
 * @category models
 */
export interface AlertSinkService {
  /** Delivers one alert. A failure or a defect is logged (redacted) and does not stop the monitor. */
  readonly send: (alert: RetryAlert) => Effect.Effect<void>
}

/**
 * The alert sink, as a `Context.Reference`. Its default logs each alert as a warning with
 * Effect's logger; provide your own with `RetryMonitor.AlertSink.layer`.
 *
 * @since 0.1.0
 * @category tags
 */
export const AlertSink: typeof internal.AlertSinkTag = internal.AlertSinkTag

/**
 * @since 0.1.0
 * @category tags
 */
export type AlertSink = internal.AlertSinkTag

// -----------------------------------------------------------------------------
// source
// -----------------------------------------------------------------------------

/**
 * What a check reads: failed attempts in a window, and recent samples.
 *
 * @since 0.2.0
 * @category models
 */
export interface SourceService {
  /** Failed attempts in the window ending now; see `RetryStats.errorsInWindow`. */
  readonly errorsInWindow: (
    window: Duration.DurationInput,
    taskName?: string
  ) => Effect.Effect<WindowErrorCounts, unknown>
  /** Recent samples, oldest first, at or after `since` (epoch milliseconds) when given. */
  readonly recentSamples: (since?: number) => Effect.Effect<ReadonlyArray<ErrorSample>, unknown>
}

/**
 * Where checks read, as a `Context.Reference`. Its default reads the current `RetryStats` store
 * of this process; `SqlRetryStats.layer` (package `@intelligent-retry/sql`) provides one that
 * reads the whole fleet's database.
 *
 * @since 0.2.0
 * @category tags
 */
export const Source: typeof internal.SourceTag = internal.SourceTag

/**
 * @since 0.2.0
 * @category tags
 */
export type Source = internal.SourceTag

// -----------------------------------------------------------------------------
// checks
// -----------------------------------------------------------------------------

/**
 * Checks the thresholds once over the window ending now (by `Clock`), sends each alert raised to
 * the current {@link AlertSink}, and returns them.
 *
 * **Details**
 *
 * Alerts, in order: `ERROR_THRESHOLD_EXCEEDED` when the failed attempts of the window exceed
 * `errorThreshold`, then one `CATEGORY_THRESHOLD_EXCEEDED` per category whose failed attempts
 * exceed its threshold, in the fixed category order. Options are validated now; with an invalid
 * one the effect dies with an `InvalidPolicyError` naming the field and the value.
 *
 * @since 0.1.0
 * @category accessors
 */
export const check: (options?: MonitorOptions) => Effect.Effect<ReadonlyArray<RetryAlert>> = internal.check

/**
 * Checks at once, then again on `schedule` (default: every `window`), like the guide's periodic
 * `monitor_retry_errors` task. Runs until the schedule ends, which the default never does: fork
 * it.
 *
 * **Details**
 *
 * While monitoring is switched off by configuration (`MONITORING_ENABLED=false`, read from
 * `RetryConfig.monitoring` at each tick), a tick checks nothing and raises no alert; the schedule
 * goes on.
 *
 * @example
 * ```ts
 * import { Effect, Schedule } from "effect"
 * import { RetryMonitor } from "@intelligent-retry/core"
 *
 * // every minute, counting the last 15 minutes each time
 * const monitor = RetryMonitor.run({ window: "15 minutes", schedule: Schedule.spaced("1 minute") })
 * ```
 *
 * @since 0.1.0
 * @category accessors
 */
export const run: <Out = number, R = never>(options?: RunOptions<Out, R>) => Effect.Effect<Out, never, R> = internal.run
