/**
 * Answers built from aggregated rows: the analysis of a task (or of all), the statistics of a
 * store, window counts; and the conversion between rows and the per-category counters that sinks
 * and databases hold.
 *
 * @internal
 */
import type {
  CategoryCounters,
  ErrorAnalysis,
  ErrorSample,
  ErrorStatistics,
  TaskStatistics,
  TimeWindow
} from "../../RetryStats.js"
import { outcomes } from "../retryOutcome.js"
import {
  C,
  columnIndex,
  COLUMNS,
  emptyRow,
  F_FAILURES,
  F_OUTCOMES,
  F_RECOVERED_ONE,
  F_RETRIES,
  F_WAIT,
  FAILED_OUTCOMES,
  O_RECOVERED,
  OUTCOME_INDEX,
  perCategory,
  STRIDE,
  sumRange,
  taskStatistics
} from "./layout.js"
import { suggest } from "./rules.js"

/**
 * Builds an analysis from an aggregated row.
 *
 * @internal
 */
export const analysisOf = (
  taskName: string | undefined,
  row: ArrayLike<number>,
  window: TimeWindow
): ErrorAnalysis => {
  const recovered = sumRange(row, F_OUTCOMES + O_RECOVERED * COLUMNS, COLUMNS)
  let failedRuns = 0
  for (const o of FAILED_OUTCOMES) failedRuns += sumRange(row, F_OUTCOMES + o * COLUMNS, COLUMNS)
  const runs = sumRange(row, F_OUTCOMES, outcomes.length * COLUMNS)
  return {
    taskName,
    ...taskStatistics(row),
    retriesByCategory: perCategory(row, F_RETRIES),
    runs,
    recovered,
    failedRuns,
    recoveryRate: recovered + failedRuns === 0 ? 0 : recovered / (recovered + failedRuns),
    suggestions: suggest(row),
    window
  }
}

/**
 * Statistics from per-task rows (`rows` yields each task's name and row once).
 *
 * @internal
 */
export const statisticsOf = (
  rows: Iterable<readonly [string, ArrayLike<number>]>,
  taskCount: number,
  recentSamples: ReadonlyArray<ErrorSample>,
  window: TimeWindow
): ErrorStatistics => {
  const all = emptyRow()
  const byTask: Record<string, TaskStatistics> = {}
  for (const [name, row] of rows) {
    let any = false
    for (let f = 0; f < STRIDE; f++) {
      if (row[f] !== 0) any = true
      all[f] += row[f]
    }
    if (any) {
      // defineProperty: a task named "__proto__" is a key like any other
      Object.defineProperty(byTask, name, {
        value: taskStatistics(row),
        enumerable: true,
        writable: true,
        configurable: true
      })
    }
  }
  const total = taskStatistics(all)
  return {
    totalErrors: total.totalErrors,
    totalRetries: total.retries,
    totalWaitMillis: total.waitMillis,
    totalRuns: sumRange(all, F_OUTCOMES, outcomes.length * COLUMNS),
    byCategory: total.categoryDistribution,
    retriesByCategory: perCategory(all, F_RETRIES),
    byOutcome: total.outcomes,
    byTask,
    taskCount,
    recentSamples,
    window
  }
}

/**
 * Adds one task's counters of one column to a row.
 *
 * @internal
 */
export const addCounters = (row: Float64Array, counters: CategoryCounters): void => {
  const c = columnIndex(counters.category)
  if (c < 0) return
  if (c < C) {
    row[F_FAILURES + c] += counters.failures
    row[F_RETRIES + c] += counters.retries
    row[F_WAIT + c] += counters.waitMillis
    row[F_RECOVERED_ONE + c] += counters.recoveredAfterOneRetry
  }
  for (const outcome in counters.outcomes) {
    const o = OUTCOME_INDEX[outcome]
    const n = (counters.outcomes as Record<string, number | undefined>)[outcome]
    if (typeof o === "number" && typeof n === "number") row[F_OUTCOMES + o * COLUMNS + c] += n
  }
}
