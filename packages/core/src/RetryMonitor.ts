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
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { categories, type ErrorCategory, isErrorCategory } from "./ErrorCategory.js"
import { show } from "./internal/policy.js"
import { redact, safeCause } from "./internal/redact.js"
import { scrubTaskName as storedTaskName } from "./internal/stats/names.js"
import { durationMillis, fail, type InvalidPolicyError, unknownOption } from "./internal/validate.js"
import * as RetryConfigModule from "./RetryConfig.js"
import type { ErrorSample, TimeWindow, WindowErrorCounts } from "./RetryStats.js"
import { RetryStats } from "./RetryStats.js"

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
} = Object.freeze({
  window: Duration.minutes(5),
  cooldown: Duration.minutes(30),
  errorThreshold: 50,
  categoryThresholds: Object.freeze({ data_error: 10 })
})

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

const logSink: AlertSinkService = {
  send: (alert) =>
    Effect.logWarning(alert.message).pipe(
      Effect.annotateLogs({
        "retry.alert.code": alert.code,
        "retry.alert.severity": alert.severity,
        "retry.alert.observed": alert.observed,
        "retry.alert.threshold": alert.threshold
      })
    )
}

/**
 * The alert sink, as a `Context.Reference`. Its default logs each alert as a warning with
 * Effect's logger; provide your own with {@link RetryMonitor.AlertSink.layer}.
 *
 * @since 0.1.0
 * @category tags
 */
export class AlertSink extends Context.Reference<AlertSink>()("@intelligent-retry/core/AlertSink", {
  defaultValue: (): AlertSinkService => logSink
}) {
  /**
   * A sink that calls `send` for each alert.
   *
   * @since 0.1.0
   */
  static layer(send: (alert: RetryAlert) => Effect.Effect<void>): Layer.Layer<AlertSink> {
    return Layer.succeed(AlertSink, { send })
  }

  /**
   * The default sink: a warning in Effect's log, annotated with the code, severity, observed
   * count and threshold.
   *
   * @since 0.1.0
   */
  static readonly layerLog: Layer.Layer<AlertSink> = Layer.succeed(AlertSink, logSink)
}

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

const localSource: SourceService = {
  errorsInWindow: (window, taskName) => Effect.flatMap(RetryStats, (stats) => stats.errorsInWindow(window, taskName)),
  recentSamples: (since) =>
    Effect.map(
      Effect.flatMap(RetryStats, (stats) => stats.recentSamples()),
      (samples) => since === undefined ? samples : samples.filter((s) => s.time >= since)
    )
}

/**
 * Where checks read, as a `Context.Reference`. Its default reads the current `RetryStats` store
 * of this process; `SqlRetryStats.layer` (package `@intelligent-retry/sql`) provides one that
 * reads the whole fleet's database.
 *
 * @since 0.2.0
 * @category tags
 */
export class Source extends Context.Reference<Source>()("@intelligent-retry/core/RetryMonitor/Source", {
  defaultValue: (): SourceService => localSource
}) {}

// -----------------------------------------------------------------------------
// checks
// -----------------------------------------------------------------------------

interface Resolved {
  readonly window: Duration.Duration
  readonly windowMillis: number
  readonly errorThreshold: number | undefined
  readonly categoryThresholds: ReadonlyArray<readonly [ErrorCategory, number]>
  readonly taskName: string | undefined
}

const monitorKeys = ["window", "errorThreshold", "categoryThresholds", "taskName"]
const monitorOptionKeys: ReadonlySet<string> = new Set(monitorKeys)
const runOptionKeys: ReadonlySet<string> = new Set([...monitorKeys, "schedule", "cooldown"])

const threshold = (field: string, value: unknown): Either.Either<number, InvalidPolicyError> =>
  typeof value === "number" && Number.isFinite(value) && value >= 0
    ? Either.right(value)
    : fail(field, value, `must be a non-negative finite number, got ${show(value)}`)

const resolve = (
  options: MonitorOptions | undefined,
  what: string,
  allowed: ReadonlySet<string>
): Either.Either<Resolved, InvalidPolicyError> =>
  Either.gen(function*() {
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      return yield* fail("options", options, `must be an object, got ${show(options)}`)
    }
    const o = options ?? {}
    const unknown = unknownOption(o, allowed, what)
    if (unknown !== undefined) return yield* Either.left(unknown)
    const windowMillis = o.window === undefined
      ? Duration.toMillis(defaults.window)
      : yield* durationMillis("window", o.window, { infinite: false, zero: false })
    const errorThreshold = o.errorThreshold === undefined
      ? undefined
      : yield* threshold("errorThreshold", o.errorThreshold)
    const table = o.categoryThresholds ?? defaults.categoryThresholds
    if (typeof table !== "object" || table === null) {
      return yield* fail("categoryThresholds", table, `must be an object, got ${show(table)}`)
    }
    for (const key of Object.keys(table)) {
      if (!isErrorCategory(key)) {
        const value = (table as Record<string, unknown>)[key]
        return yield* fail(
          `categoryThresholds.${key}`,
          value,
          `"${key}" is not a category (${categories.join(", ")}), got ${show(value)}`
        )
      }
    }
    // in the fixed category order, so alerts come out in a stable order
    const categoryThresholds: Array<readonly [ErrorCategory, number]> = []
    for (const category of categories) {
      const value = (table as Record<string, unknown>)[category]
      if (value !== undefined) {
        categoryThresholds.push([category, yield* threshold(`categoryThresholds.${category}`, value)])
      }
    }
    if (o.taskName !== undefined && typeof o.taskName !== "string") {
      return yield* fail("taskName", o.taskName, `must be a string, got ${show(o.taskName)}`)
    }
    return {
      window: Duration.millis(windowMillis),
      windowMillis,
      errorThreshold,
      categoryThresholds,
      taskName: o.taskName
    }
  })

const describe = (sample: ErrorSample | undefined): string =>
  sample === undefined ? "" : ` Latest: ${sample.tag}: ${sample.message}`

/** The alerts raised now, not sent. A source that fails is logged and raises nothing. */
const evaluate = (config: Resolved): Effect.Effect<ReadonlyArray<RetryAlert>> =>
  Effect.gen(function*() {
    const source = yield* Source
    const errorThreshold = config.errorThreshold ?? (yield* RetryConfigModule.monitoring).errorThreshold
    const counts = yield* source.errorsInWindow(config.window, config.taskName)
    const alerts: Array<RetryAlert> = []
    if (counts.totalErrors === 0) return alerts
    const from = counts.window.from
    const samples = yield* source.recentSamples(from)
    const scoped = config.taskName === undefined ? undefined : storedTaskName(config.taskName)
    const matching = (category: ErrorCategory | undefined) =>
      samples
        .filter((s) =>
          s.time >= from && (scoped === undefined || s.task === scoped) &&
          (category === undefined || s.category === category)
        )
        .slice(-3)
        .reverse()
    const scope = config.taskName === undefined ? "" : ` for task "${redact(config.taskName)}"`
    const span = Duration.format(config.window)
    const raise = (category: ErrorCategory | undefined, observed: number, limit: number) => {
      const latest = matching(category)
      const what = category === undefined ? "failed attempts" : `${category} failures`
      alerts.push({
        code: category === undefined ? "ERROR_THRESHOLD_EXCEEDED" : "CATEGORY_THRESHOLD_EXCEEDED",
        status: "firing",
        severity: observed > 2 * limit ? "critical" : "warning",
        message: `Retry monitor: ${observed} ${what} in the last ${span}${scope}, above the threshold of ${limit}.` +
          describe(latest[0]),
        taskName: config.taskName,
        category,
        observed,
        threshold: limit,
        window: counts.window,
        samples: latest
      })
    }
    if (counts.totalErrors > errorThreshold) raise(undefined, counts.totalErrors, errorThreshold)
    for (const [category, limit] of config.categoryThresholds) {
      const observed = counts.categoryDistribution[category]
      if (observed > limit) raise(category, observed, limit)
    }
    return alerts
  }).pipe(
    Effect.catchAllCause((cause) =>
      Effect.as(
        Effect.logWarning(`RetryMonitor: reading the statistics failed (${safeCause(cause)}); no check this time`),
        []
      )
    )
  )

const send = (alerts: ReadonlyArray<RetryAlert>): Effect.Effect<void> =>
  Effect.flatMap(AlertSink, (sink) =>
    Effect.forEach(alerts, (alert) =>
      // a failing sink must not stop the monitor
      Effect.catchAllCause(
        Effect.suspend(() => sink.send(alert)),
        // a redacted summary, not the cause: the sink's error may carry its webhook's secret
        (cause) => Effect.logWarning(`RetryMonitor: the alert sink failed (${safeCause(cause)})`)
      ), { discard: true }))

const checkWith = (config: Resolved): Effect.Effect<ReadonlyArray<RetryAlert>> => Effect.tap(evaluate(config), send)

const keyOf = (alert: RetryAlert): string => `${alert.code}/${alert.category ?? ""}`

/**
 * One tick of {@link run}: sends an alert when its condition starts, again once per `cooldown`
 * while it holds, and a resolved alert when it ends.
 */
const tickWith = (
  config: Resolved,
  cooldownMillis: number,
  active: Map<string, { lastSent: number; alert: RetryAlert }>
): Effect.Effect<ReadonlyArray<RetryAlert>> =>
  Effect.gen(function*() {
    const raised = yield* evaluate(config)
    const now = yield* Clock.currentTimeMillis
    const out: Array<RetryAlert> = []
    const seen = new Set<string>()
    for (const alert of raised) {
      const key = keyOf(alert)
      seen.add(key)
      const held = active.get(key)
      if (held === undefined || now - held.lastSent >= cooldownMillis) {
        active.set(key, { lastSent: now, alert })
        out.push(alert)
      } else held.alert = alert
    }
    for (const [key, held] of active) {
      if (seen.has(key)) continue
      active.delete(key)
      const a = held.alert
      const what = a.category === undefined ? "failed attempts" : `${a.category} failures`
      out.push({
        ...a,
        status: "resolved",
        severity: "warning",
        message: `Retry monitor: resolved: ${what} are back at or below the threshold of ${a.threshold}` +
          ` over the last ${Duration.format(config.window)}` +
          (a.taskName === undefined ? "." : ` for task "${redact(a.taskName)}".`),
        observed: 0,
        samples: []
      })
    }
    yield* send(out)
    return raised
  })

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
export const check = (options?: MonitorOptions): Effect.Effect<ReadonlyArray<RetryAlert>> => {
  const resolved = resolve(options, "RetryMonitor.check", monitorOptionKeys)
  return Either.isLeft(resolved) ? Effect.die(resolved.left) : checkWith(resolved.right)
}

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
export const run = <Out = number, R = never>(options?: RunOptions<Out, R>): Effect.Effect<Out, never, R> => {
  const resolved = resolve(options, "RetryMonitor.run", runOptionKeys)
  if (Either.isLeft(resolved)) return Effect.die(resolved.left)
  const config = resolved.right
  const cooldown = options?.cooldown === undefined
    ? Either.right(Duration.toMillis(defaults.cooldown))
    : durationMillis("cooldown", options.cooldown, { infinite: true, zero: true })
  if (Either.isLeft(cooldown)) return Effect.die(cooldown.left)
  const cooldownMillis = cooldown.right
  const schedule = options?.schedule ??
    (Schedule.spaced(config.window) as unknown as Schedule.Schedule<Out, ReadonlyArray<RetryAlert>, R>)
  return Effect.suspend(() => {
    const active = new Map<string, { lastSent: number; alert: RetryAlert }>()
    const tick = Effect.flatMap(
      RetryConfigModule.monitoring,
      (monitoring): Effect.Effect<ReadonlyArray<RetryAlert>> =>
        monitoring.enabled ? tickWith(config, cooldownMillis, active) : Effect.succeed([])
    )
    return Effect.repeat(tick, schedule)
  })
}
