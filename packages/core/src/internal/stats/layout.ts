/**
 * The layout of a row of counters: one row of {@link STRIDE} numbers per task, the same layout in
 * running totals, in time buckets and in aggregates read back from a database.
 *
 * @internal
 */
import type { TaskStatistics } from "../../RetryStats.js"
import { categories, type ErrorCategory } from "../errorCategory.js"
import { outcomes, type RetryOutcome } from "../retryOutcome.js"

/** Number of categories. @internal */
export const C = categories.length
/** The column of "no category" in outcome cells. @internal */
export const NONE = C
/** Columns of an outcome: the six categories, then "none". @internal */
export const COLUMNS = C + 1
/** failures[c]: failed attempts of category c. @internal */
export const F_FAILURES = 0
/** retries[c]: retries scheduled after a failure of category c. @internal */
export const F_RETRIES = F_FAILURES + C
/** wait[c]: total wait before those retries, in milliseconds. @internal */
export const F_WAIT = F_RETRIES + C
/** recoveredAfterOne[c]: runs recovered after exactly one retry, whose last failure was c. @internal */
export const F_RECOVERED_ONE = F_WAIT + C
/** outcome[o][c]: runs that ended with outcome o, last failure c (NONE for no failure). @internal */
export const F_OUTCOMES = F_RECOVERED_ONE + C
/** @internal */
export const STRIDE = F_OUTCOMES + outcomes.length * COLUMNS

const indexOf = (names: ReadonlyArray<string>): Record<string, number> => {
  const index: Record<string, number> = {}
  names.forEach((name, i) => (index[name] = i))
  return index
}
/** @internal */
export const CATEGORY_INDEX = indexOf(categories)
/** @internal */
export const OUTCOME_INDEX = indexOf(outcomes)

/** The index of a category, or -1. @internal */
export const categoryIndex = (c: unknown): number => {
  const i = CATEGORY_INDEX[c as string]
  return typeof i === "number" ? i : -1
}

/** The index of an outcome, or -1. @internal */
export const outcomeIndex = (o: unknown): number => {
  const i = OUTCOME_INDEX[o as string]
  return typeof i === "number" ? i : -1
}

/** @internal */
export const O_RECOVERED = OUTCOME_INDEX["recovered"]
/** @internal */
export const O_EXHAUSTED = OUTCOME_INDEX["exhausted"]
/** @internal */
export const O_HINT = OUTCOME_INDEX["hint_exceeds_max_delay"]
/** @internal */
export const O_INTERRUPTED = OUTCOME_INDEX["interrupted"]
/** @internal */
export const O_SUCCEEDED = OUTCOME_INDEX["succeeded_first_try"]
/** @internal */
export const O_CIRCUIT_OPEN = OUTCOME_INDEX["circuit_open"]

/**
 * Outcomes that count as a failed run in the recovery rate: all but success, recovery,
 * interruption and a run a circuit breaker shed (it never made an attempt).
 *
 * @internal
 */
export const FAILED_OUTCOMES: ReadonlyArray<number> = outcomes
  .map((_, o) => o)
  .filter((o) => o !== O_SUCCEEDED && o !== O_RECOVERED && o !== O_INTERRUPTED && o !== O_CIRCUIT_OPEN)

/** @internal */
export const emptyRow = (): Float64Array => new Float64Array(STRIDE)

/** The name of column `c`: a category, or `"none"`. @internal */
export const columnName = (c: number): ErrorCategory | "none" => c < C ? categories[c] : "none"

/** The column of a category name or `"none"`, or -1. @internal */
export const columnIndex = (name: unknown): number => name === "none" ? NONE : categoryIndex(name)

/** @internal */
export const perCategory = (row: ArrayLike<number>, base: number): Record<ErrorCategory, number> => {
  const out = {} as Record<ErrorCategory, number>
  for (let c = 0; c < C; c++) out[categories[c]] = row[base + c]
  return out
}

/** @internal */
export const perOutcome = (row: ArrayLike<number>): Record<RetryOutcome, number> => {
  const out = {} as Record<RetryOutcome, number>
  for (let o = 0; o < outcomes.length; o++) {
    let n = 0
    for (let c = 0; c < COLUMNS; c++) n += row[F_OUTCOMES + o * COLUMNS + c]
    out[outcomes[o]] = n
  }
  return out
}

/** @internal */
export const sumRange = (row: ArrayLike<number>, base: number, n: number): number => {
  let s = 0
  for (let i = 0; i < n; i++) s += row[base + i]
  return s
}

/** @internal */
export const outcomeCount = (row: ArrayLike<number>, o: number, c: number): number => row[F_OUTCOMES + o * COLUMNS + c]

/** @internal */
export const taskStatistics = (row: ArrayLike<number>): TaskStatistics => ({
  totalErrors: sumRange(row, F_FAILURES, C),
  categoryDistribution: perCategory(row, F_FAILURES),
  retries: sumRange(row, F_RETRIES, C),
  waitMillis: sumRange(row, F_WAIT, C),
  outcomes: perOutcome(row)
})
