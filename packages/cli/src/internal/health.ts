/**
 * `intelligent-retry check`: the guide's `check_retry_health`, run by `RetryMonitor.check` itself
 * (same thresholds, same alerts, same messages) over the fleet's per-minute rows.
 *
 * **Details**
 *
 * `RetryMonitor.check` reads the current `RetryStats` store through `errorsInWindow` and
 * `recentSamples`. Here that store is a read-only view of what was read from the database just
 * before: the rows of the window's minutes and the recent samples. It records nothing.
 *
 * @internal
 */
import type {
  ErrorCategory,
  ErrorSample,
  MonitorOptions,
  RetryAlert,
  RetryStatsService,
  WindowErrorCounts
} from "@intelligent-retry/core"
import { AlertSink, categories, RetryMonitor, RetryStats } from "@intelligent-retry/core"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { CliError } from "./errors.js"
import type { Fleet, MinuteRow } from "./fleet.js"

const MINUTE = 60_000

/**
 * What a check found.
 *
 * @internal
 */
export interface HealthResult {
  readonly window: Duration.Duration
  readonly taskName: string | undefined
  readonly errorThreshold: number
  readonly categoryThresholds: Readonly<Partial<Record<ErrorCategory, number>>>
  /** The failed attempts counted, as `RetryMonitor` counted them. */
  readonly counts: WindowErrorCounts
  readonly alerts: ReadonlyArray<RetryAlert>
}

/**
 * A read-only store over rows already read: what `RetryMonitor.check` needs of `RetryStats`.
 *
 * @internal
 */
export const readOnlyStore = (
  rows: ReadonlyArray<MinuteRow>,
  samples: ReadonlyArray<ErrorSample>
): RetryStatsService => ({
  // records nothing, like the no-op store
  ...RetryStats.noop,
  // As the memory store counts: the current minute and the ones before it that the window spans.
  errorsInWindow: (window, taskName) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const buckets = Math.max(1, Math.ceil(Duration.toMillis(window) / MINUTE))
      const from = Math.floor(now / MINUTE) * MINUTE - (buckets - 1) * MINUTE
      const distribution = Object.fromEntries(categories.map((c) => [c, 0])) as Record<ErrorCategory, number>
      for (const row of rows) {
        if (row.minute < from || (taskName !== undefined && row.task !== taskName)) continue
        for (const c of categories) distribution[c] += row.failures[c]
      }
      return {
        taskName,
        totalErrors: categories.reduce((n, c) => n + distribution[c], 0),
        categoryDistribution: distribution,
        window: { from, to: now }
      }
    }),
  recentSamples: (limit) => Effect.succeed(limit === undefined ? samples : samples.slice(-limit))
})

/**
 * Runs the check over the fleet.
 *
 * @internal
 */
export const check = (
  fleet: Fleet,
  options: {
    readonly window: Duration.Duration
    readonly errorThreshold: number
    readonly categoryThresholds: Readonly<Partial<Record<ErrorCategory, number>>>
    readonly taskName: string | undefined
  }
): Effect.Effect<HealthResult, CliError> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const buckets = Math.max(1, Math.ceil(Duration.toMillis(options.window) / MINUTE))
    const from = Math.floor(now / MINUTE) * MINUTE - (buckets - 1) * MINUTE
    const [rows, statistics] = yield* Effect.all([fleet.timeline(from), fleet.statistics(from)])
    const store = readOnlyStore(rows, statistics.recentSamples)
    const monitorOptions: MonitorOptions = {
      window: options.window,
      errorThreshold: options.errorThreshold,
      categoryThresholds: options.categoryThresholds,
      taskName: options.taskName
    }
    const alerts = yield* RetryMonitor.check(monitorOptions).pipe(
      Effect.provideService(RetryStats, store),
      // The command prints the alerts itself.
      Effect.provideService(AlertSink, { send: () => Effect.void })
    )
    const counts = yield* store.errorsInWindow(options.window, options.taskName)
    return { ...options, counts, alerts }
  })

/**
 * The result as text.
 *
 * @internal
 */
export const render = (result: HealthResult, database: string): string => {
  const lines: Array<string> = []
  const scope = result.taskName === undefined ? "all tasks" : `task ${JSON.stringify(result.taskName)}`
  const span = Duration.format(result.window)
  lines.push(`intelligent-retry check · ${database} · ${scope} · last ${span}`)
  const { counts } = result
  const thresholds = [
    `failed attempts ${counts.totalErrors} (threshold ${result.errorThreshold})`,
    ...categories.flatMap((c) => {
      const limit = result.categoryThresholds[c]
      return limit === undefined ? [] : [`${c} ${counts.categoryDistribution[c]} (threshold ${limit})`]
    })
  ]
  lines.push(`  ${thresholds.join(" · ")}`)
  if (result.alerts.length === 0) {
    lines.push("healthy: no threshold exceeded (exit code 0)")
  } else {
    for (const alert of result.alerts) lines.push(`${alert.severity.toUpperCase()} ${alert.code}: ${alert.message}`)
    lines.push(`unhealthy: ${result.alerts.length} alert${result.alerts.length === 1 ? "" : "s"} (exit code 2)`)
  }
  return lines.join("\n") + "\n"
}
