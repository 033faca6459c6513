/**
 * What the commands read: the fleet's statistics, behind one small interface, so that the
 * report, the check and the dashboard do not depend on where the numbers are kept.
 *
 * @internal
 */
import type { ErrorCategory, RetryOutcome, RetryStats } from "@intelligent-retry/core"
import type * as Duration from "effect/Duration"
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
  readonly statistics: (since: number | undefined) => Effect.Effect<RetryStats.ErrorStatistics, CliError>
  /** The analysis of one task, or of all tasks, with its suggestions; `since` as above. */
  readonly analyze: (
    task: string | undefined,
    since: number | undefined
  ) => Effect.Effect<RetryStats.ErrorAnalysis, CliError>
  /** Failed attempts in the current minute and the ones before it that `window` spans. */
  readonly errorsInWindow: (
    window: Duration.Duration,
    task: string | undefined
  ) => Effect.Effect<RetryStats.WindowErrorCounts, CliError>
  /** The most recent samples at or after `since` (epoch milliseconds), oldest first; at most 200. */
  readonly samples: (since: number) => Effect.Effect<ReadonlyArray<RetryStats.ErrorSample>, CliError>
  /** Per-minute rows whose minute starts at or after `from` (epoch milliseconds), oldest first. */
  readonly timeline: (from: number) => Effect.Effect<ReadonlyArray<MinuteRow>, CliError>
}
