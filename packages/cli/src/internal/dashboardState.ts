/**
 * What the dashboard page shows, computed on the server from the store's reads: one JSON
 * document that the page renders as it is, so that every number on the page is a number the
 * analysis returned.
 *
 * @internal
 */
import type { ErrorCategory, RetryOutcome, RetryStats } from "@intelligent-retry/core"
import { Classifier, IntelligentRetry } from "@intelligent-retry/core"
import * as Effect from "effect/Effect"
import type { CliError } from "./errors.js"
import type { Fleet, MinuteRow } from "./fleet.js"

/**
 * One task's panel (or the fleet's, with `name` `"all tasks"` and `task` `undefined`).
 *
 * @internal
 */
export interface TaskPanel {
  readonly name: string
  readonly task: string | undefined
  /** The analysis, as `analyzeTaskErrors` returned it. */
  readonly analysis: RetryStats.ErrorAnalysis
  /** Failed attempts per minute, per category; each array is aligned with `minutes`. */
  readonly failures: Readonly<Record<ErrorCategory, ReadonlyArray<number>>>
  /** Runs per minute, per outcome; aligned with `minutes`. */
  readonly outcomes: Readonly<Record<RetryOutcome, ReadonlyArray<number>>>
}

/**
 * The whole page's data.
 *
 * @internal
 */
export interface DashboardState {
  readonly database: string
  /** When this state was read, epoch milliseconds. */
  readonly generatedAt: number
  /** Start of each minute shown, epoch milliseconds, oldest first. */
  readonly minutes: ReadonlyArray<number>
  /** The fleet first, then the tasks, most failed attempts first. */
  readonly panels: ReadonlyArray<TaskPanel>
  /** The most recent failed attempts, redacted by the store, newest first. */
  readonly samples: ReadonlyArray<RetryStats.ErrorSample>
}

const MINUTE = 60_000

/**
 * How many minutes the charts span at most, ending with the current minute: 60.
 *
 * @internal
 */
export const MAX_MINUTES = 60

/**
 * How many minutes the charts span at least: 10. Between the two, the span starts at the
 * earliest minute with data, so that a fleet that started a few minutes ago fills the chart.
 *
 * @internal
 */
export const MIN_MINUTES = 10

/**
 * How many tasks get their own panel: the ones with the most failed attempts. Default: 12.
 *
 * @internal
 */
export const MAX_PANELS = 12

const series = <K extends string>(keys: ReadonlyArray<K>, length: number): Record<K, Array<number>> =>
  Object.fromEntries(keys.map((k) => [k, Array.from({ length }, () => 0)])) as unknown as Record<K, Array<number>>

/**
 * Folds per-minute rows into aligned series, for one task or (with `task` undefined) all.
 *
 * @internal
 */
export const fold = (
  rows: ReadonlyArray<MinuteRow>,
  minutes: ReadonlyArray<number>,
  task: string | undefined
): Pick<TaskPanel, "failures" | "outcomes"> => {
  const failures = series(Classifier.categories, minutes.length)
  const runs = series(IntelligentRetry.outcomes, minutes.length)
  const first = minutes[0] ?? 0
  for (const row of rows) {
    if (task !== undefined && row.task !== task) continue
    const i = Math.floor((row.minute - first) / MINUTE)
    if (i < 0 || i >= minutes.length) continue
    for (const c of Classifier.categories) failures[c][i] += row.failures[c]
    for (const o of IntelligentRetry.outcomes) runs[o][i] += row.outcomes[o]
  }
  return { failures, outcomes: runs }
}

/**
 * Reads the state: the per-minute rows of the last hour at most, the fleet analysis, one analysis
 * per task and the recent samples.
 *
 * @internal
 */
export const read = (fleet: Fleet, now: number): Effect.Effect<DashboardState, CliError> =>
  Effect.gen(function*() {
    const current = Math.floor(now / MINUTE) * MINUTE
    const rows = yield* fleet.timeline(current - (MAX_MINUTES - 1) * MINUTE)
    const earliest = rows.length === 0 ? current : rows[0].minute
    const span = Math.min(MAX_MINUTES, Math.max(MIN_MINUTES, (current - earliest) / MINUTE + 1))
    const minutes = Array.from({ length: span }, (_, i) => current - (span - 1 - i) * MINUTE)
    const statistics = yield* fleet.statistics(undefined)
    const names = Object.entries(statistics.byTask)
      .sort(([a, x], [b, y]) => y.totalErrors - x.totalErrors || a.localeCompare(b))
      .slice(0, MAX_PANELS)
      .map(([name]) => name)
    const [all, analyses] = yield* Effect.all([
      fleet.analyze(undefined, undefined),
      Effect.forEach(names, (name) => fleet.analyze(name, undefined))
    ])
    const panels: Array<TaskPanel> = [
      { name: "all tasks", task: undefined, analysis: all, ...fold(rows, minutes, undefined) },
      ...analyses.map((analysis, i) => ({
        name: names[i],
        task: names[i],
        analysis,
        ...fold(rows, minutes, names[i])
      }))
    ]
    return {
      database: fleet.database,
      generatedAt: now,
      minutes,
      panels,
      samples: [...statistics.recentSamples].reverse().slice(0, 20)
    }
  })
