/**
 * What the commands read: the fleet's statistics, behind one small interface, so that the
 * report, the check and the dashboard do not depend on where the numbers are kept.
 *
 * @internal
 */
import type { ErrorAnalysis, ErrorCategory, ErrorStatistics, RetryOutcome } from "@intelligent-retry/core"
import type * as Effect from "effect/Effect"
import type { CliError } from "./errors.js"

/**
 * The counters of one task in one minute, as the store's per-minute aggregates hold them.
 *
 * @internal
 */
export interface MinuteRow {
  readonly task: string
  /** Start of the minute, epoch milliseconds. */
  readonly minute: number
  /** Failed attempts per category (all six keys). */
  readonly failures: Readonly<Record<ErrorCategory, number>>
  /** Runs per outcome (every outcome key). */
  readonly outcomes: Readonly<Record<RetryOutcome, number>>
}

/**
 * The reads the commands need.
 *
 * @internal
 */
export interface Fleet {
  /** The database, for messages: the file, or the URL without its password. */
  readonly database: string
  /**
   * Totals over every task and every process that flushed; with `since` (epoch milliseconds),
   * only the minutes starting at or after it.
   */
  readonly statistics: (since: number | undefined) => Effect.Effect<ErrorStatistics, CliError>
  /** The analysis of one task, or of all tasks, with its suggestions; `since` as above. */
  readonly analyze: (task: string | undefined, since: number | undefined) => Effect.Effect<ErrorAnalysis, CliError>
  /** Per-minute rows whose minute starts at or after `from` (epoch milliseconds), oldest first. */
  readonly timeline: (from: number) => Effect.Effect<ReadonlyArray<MinuteRow>, CliError>
}
