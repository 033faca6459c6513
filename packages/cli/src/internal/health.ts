/**
 * `intelligent-retry check`: the guide's `check_retry_health`, run by `RetryMonitor.check` itself
 * (same thresholds, same alerts, same messages) over the fleet's database.
 *
 * **Details**
 *
 * `RetryMonitor.check` reads through `RetryMonitor.Source`. A source that fails makes the monitor
 * log and raise nothing, which is right for a monitor running inside a worker, and wrong for a
 * command that gates a deploy: a database that cannot be read must not read as healthy. So the
 * window's counts and samples are read first, through `SqlRetryStats.errorsInWindow` (a failure
 * stops the command with exit code 1), and the monitor reads them from a source that cannot fail.
 *
 * @internal
 */
import type { ErrorCategory } from "@intelligent-retry/core"
import { Classifier, RetryMonitor, type RetryStats } from "@intelligent-retry/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { CliError } from "./errors.js"
import type { Fleet } from "./fleet.js"

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
  /** The failed attempts counted. */
  readonly counts: RetryStats.WindowErrorCounts
  readonly alerts: ReadonlyArray<RetryMonitor.RetryAlert>
}

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
    const counts = yield* fleet.errorsInWindow(options.window, options.taskName)
    const samples = counts.totalErrors === 0 ? [] : yield* fleet.samples(counts.window.from)
    const source: RetryMonitor.SourceService = {
      errorsInWindow: () => Effect.succeed(counts),
      recentSamples: (since) => Effect.succeed(since === undefined ? samples : samples.filter((s) => s.time >= since))
    }
    const alerts = yield* RetryMonitor.check({
      window: options.window,
      errorThreshold: options.errorThreshold,
      categoryThresholds: options.categoryThresholds,
      taskName: options.taskName
    }).pipe(
      Effect.provideService(RetryMonitor.Source, source),
      // The command prints the alerts itself.
      Effect.provideService(RetryMonitor.AlertSink, { send: () => Effect.void })
    )
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
    ...Classifier.categories.flatMap((c) => {
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
