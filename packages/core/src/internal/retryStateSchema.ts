/**
 * The schema of a saved `RetryState`, in a module of its own so that the error model can use it
 * without importing the decoding code.
 *
 * @internal
 */
import * as Schema from "effect/Schema"
import { categories } from "./errorCategory.js"

/**
 * The version written by this library. A state of another version is rejected.
 *
 * @internal
 */
export const VERSION = 1 as const

const Count = Schema.Int.pipe(Schema.between(0, Number.MAX_SAFE_INTEGER))

/** One optional count per category; a missing category counts 0 (or "no previous wait"). */
const PerCategory = Schema.Struct({
  network_error: Schema.optional(Count),
  api_rate_limit: Schema.optional(Count),
  data_error: Schema.optional(Count),
  system_error: Schema.optional(Count),
  temporary_error: Schema.optional(Count),
  permanent_error: Schema.optional(Count)
})

/**
 * The schema of a saved state: its type and its JSON form are the same plain object.
 *
 * @internal
 */
export const RetryState = Schema.Struct({
  /** The format version: always `RetryState.VERSION`. */
  version: Schema.Literal(VERSION),
  /** Failed attempts so far, every category together. */
  attempts: Count,
  /** Retries made so far, per category: the `n` of the next retry of that category. */
  retries: PerCategory,
  /**
   * The previous drawn wait per category, in milliseconds, which decorrelated jitter grows from.
   * A category that has not waited yet is absent.
   */
  previous: PerCategory,
  /**
   * When the logical run started, epoch milliseconds: `maxElapsed` counts from here. Absent in a
   * fresh state made without a start: the run then starts when it first runs.
   */
  start: Schema.optional(Count),
  /** The category of the last failure, absent before the first. */
  category: Schema.optional(Schema.Literal(...categories))
}).pipe(
  Schema.filter((state) => {
    const retries = categories.reduce((sum, c) => sum + (state.retries[c] ?? 0), 0)
    return retries <= state.attempts ||
      `retries (${retries} in all) cannot exceed attempts (${state.attempts}): every retry follows a failed attempt`
  })
)
