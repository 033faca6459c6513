/**
 * Statistics: every failed attempt, retry and outcome of `withIntelligentRetry`, kept in bounded
 * time-bucketed aggregates, with analysis, suggestions and cleanup.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import type { ErrorCategory } from "./ErrorCategory.js"
import type { RetryOutcome } from "./RetryOutcome.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("@intelligent-retry/core/RetryStats")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * What a statistics store offers. `withIntelligentRetry` records into whichever store is current.
 *
 * The `unsafe*` recorders are synchronous and total: they never throw, whatever error value they
 * are given, and they take the time (`now`, epoch milliseconds) from the caller, who reads it from
 * `Clock`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryStatsService {
  readonly [TypeId]: TypeId
  /** `false` for the no-op store: the combinator then skips reading the clock for statistics. */
  readonly enabled: boolean
  /** A failed attempt (1-based `attempt`), classified into `category`. */
  readonly unsafeRecordFailure: (
    task: string,
    category: ErrorCategory,
    error: unknown,
    attempt: number,
    now: number
  ) => void
  /** A retry about to wait `waitMillis` before the next attempt. */
  readonly unsafeRecordRetry: (task: string, category: ErrorCategory, waitMillis: number, now: number) => void
  /**
   * How a run ended. `category` is the category of the last failure (undefined for
   * `succeeded_first_try`); `retries` is how many retries the run made.
   */
  readonly unsafeRecordOutcome: (
    task: string,
    outcome: RetryOutcome,
    category: ErrorCategory | undefined,
    retries: number,
    now: number
  ) => void
}

// Placeholder until the memory store lands.
const noop: RetryStatsService = {
  [TypeId]: TypeId,
  enabled: false,
  unsafeRecordFailure: () => {},
  unsafeRecordRetry: () => {},
  unsafeRecordOutcome: () => {}
}

/**
 * The current statistics store, as a `Context.Reference`. Its default is one process-wide
 * in-memory store, so statistics work with no layer at all.
 *
 * @since 0.1.0
 * @category tags
 */
export class RetryStats extends Context.Reference<RetryStats>()("@intelligent-retry/core/RetryStats", {
  defaultValue: (): RetryStatsService => noop
}) {
  /**
   * Turns recording off.
   *
   * @since 0.1.0
   */
  static readonly layerNoop: Layer.Layer<RetryStats> = Layer.succeed(RetryStats, noop)
}
