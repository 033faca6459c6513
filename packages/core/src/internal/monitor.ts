/**
 * The monitor behind `RetryMonitor`: option checks, the evaluation of thresholds over a window, the
 * alert sink and the source of counts, and the periodic run with its cool-down and resolution.
 *
 * Internal, not exported from the package. This header carries no internal tag: on the first import
 * it would strip that import from the declarations, which the service tags kept here need.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type { ErrorCategory } from "../ErrorCategory.js"
import type { AlertSinkService, MonitorOptions, RetryAlert, RunOptions, SourceService } from "../RetryMonitor.js"
import type { ErrorSample } from "../RetryStats.js"
import { defaultMonitoring, RetryConfigTag } from "./config.js"
import { categories, isErrorCategory } from "./errorCategory.js"
import { show } from "./policy.js"
import { redact, safeCause } from "./redact.js"
import { scrubTaskName as storedTaskName } from "./stats/names.js"
import { RetryStatsTag as RetryStats } from "./stats/store.js"
import { durationMillis, fail, type InvalidPolicyError, unknownOption } from "./validate.js"

/** @internal */
export const defaults = Object.freeze({
  window: Duration.minutes(5),
  cooldown: Duration.minutes(30),
  errorThreshold: 50,
  categoryThresholds: Object.freeze({ data_error: 10 }) as Readonly<Partial<Record<ErrorCategory, number>>>
})

/** The monitoring settings in force (`RetryConfig.monitoring`). */
const monitoring = Effect.map(RetryConfigTag, (settings) => settings.monitoring ?? defaultMonitoring)

// -----------------------------------------------------------------------------
// sink
// -----------------------------------------------------------------------------

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
 * The tag behind `RetryMonitor.AlertSink`, kept in the declarations: the public one refers to it.
 *
 * @since 0.1.0
 */
export class AlertSinkTag extends Context.Reference<AlertSinkTag>()("@intelligent-retry/core/AlertSink", {
  defaultValue: (): AlertSinkService => logSink
}) {
  /**
   * A sink that calls `send` for each alert.
   *
   * @since 0.1.0
   */
  static layer(send: (alert: RetryAlert) => Effect.Effect<void>): Layer.Layer<AlertSinkTag> {
    return Layer.succeed(AlertSinkTag, { send })
  }

  /**
   * The default sink: a warning in Effect's log, annotated with the code, severity, observed
   * count and threshold.
   *
   * @since 0.1.0
   */
  static readonly layerLog: Layer.Layer<AlertSinkTag> = Layer.succeed(AlertSinkTag, logSink)
}

// -----------------------------------------------------------------------------
// source
// -----------------------------------------------------------------------------

const localSource: SourceService = {
  errorsInWindow: (window, taskName) => Effect.flatMap(RetryStats, (stats) => stats.errorsInWindow(window, taskName)),
  recentSamples: (since) =>
    Effect.map(
      Effect.flatMap(RetryStats, (stats) => stats.recentSamples()),
      (samples) => since === undefined ? samples : samples.filter((s) => s.time >= since)
    )
}

/**
 * The tag behind `RetryMonitor.Source`, kept in the declarations: the public one refers to it.
 *
 * @since 0.2.0
 */
export class SourceTag extends Context.Reference<SourceTag>()("@intelligent-retry/core/RetryMonitor/Source", {
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
    const source = yield* SourceTag
    const errorThreshold = config.errorThreshold ?? (yield* monitoring).errorThreshold
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
  Effect.flatMap(AlertSinkTag, (sink) =>
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

/** @internal */
export const check = (options?: MonitorOptions): Effect.Effect<ReadonlyArray<RetryAlert>> => {
  const resolved = resolve(options, "RetryMonitor.check", monitorOptionKeys)
  return Either.isLeft(resolved) ? Effect.die(resolved.left) : checkWith(resolved.right)
}
/** @internal */
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
      monitoring,
      (monitoring): Effect.Effect<ReadonlyArray<RetryAlert>> =>
        monitoring.enabled ? tickWith(config, cooldownMillis, active) : Effect.succeed([])
    )
    return Effect.repeat(tick, schedule)
  })
}
