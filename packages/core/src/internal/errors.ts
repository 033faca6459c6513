/**
 * The values of `RetryErrors.ts` that other internal modules need: the type ids, the hand-off and
 * the shed-run errors and their guards. Published through `RetryErrors.ts`, so nothing here is
 * stripped from the declarations: the public declarations refer to these.
 */
import * as Duration from "effect/Duration"
import { hasProperty } from "effect/Predicate"
import * as Schema from "effect/Schema"
import type { CircuitOpenTypeId as CircuitOpenTypeId_, TypeId as TypeId_ } from "../RetryErrors.js"
import { categories } from "./errorCategory.js"
import { RetryState } from "./retryStateSchema.js"

/**
 * The identifier shared by the six error classes (`RetryErrors.TypeId`).
 *
 * @since 0.1.0
 */
export const TypeId: TypeId_ = Symbol.for("@intelligent-retry/core/RetryError") as TypeId_

/**
 * The identifier of `CircuitOpenError` (`RetryErrors.CircuitOpenTypeId`).
 *
 * @since 0.1.0
 */
export const CircuitOpenTypeId: CircuitOpenTypeId_ = Symbol.for(
  "@intelligent-retry/core/CircuitOpenError"
) as CircuitOpenTypeId_

/**
 * The class behind `RetryErrors.RetryHandoff` (documented there).
 *
 * @since 0.1.0
 */
export class RetryHandoff extends Schema.TaggedError<RetryHandoff>("@intelligent-retry/core/RetryHandoff")(
  "RetryHandoff",
  {
    /** When to run the effect again: the time of the hand-off plus `wait`, epoch milliseconds. */
    resumeAt: Schema.Number,
    /** The wait that was not slept: the policy's wait for this retry, at least the run's `after`. */
    wait: Schema.DurationFromSelf,
    /** The category of the failure that led to this retry. */
    category: Schema.Literal(...categories),
    /** What the resumed run continues from: attempts, per-category counters, the run's start. */
    state: RetryState,
    /** The error of the attempt that failed. */
    error: Schema.Unknown
  }
) {
  /** @since 0.1.0 */
  override get message(): string {
    const at = Number.isFinite(this.resumeAt) ? new Date(this.resumeAt).toISOString() : String(this.resumeAt)
    return `Handing off after attempt ${this.state.attempts} (${this.category}): resume at ${at}`
  }
}

/**
 * Tells whether a value is a `RetryHandoff`.
 *
 * @since 0.1.0
 */
export const isRetryHandoff = (u: unknown): u is RetryHandoff => hasProperty(u, "_tag") && u._tag === "RetryHandoff"

/**
 * The class behind `RetryErrors.CircuitOpenError` (documented there).
 *
 * @since 0.1.0
 */
export class CircuitOpenError extends Schema.TaggedError<CircuitOpenError>("@intelligent-retry/core/CircuitOpenError")(
  "CircuitOpenError",
  {
    /** The breaker's key: the dependency. */
    key: Schema.String,
    /** The remaining open time: after it, one run may probe the dependency. */
    retryAfter: Schema.DurationFromSelf
  }
) {
  /** @since 0.1.0 */
  readonly [CircuitOpenTypeId]: CircuitOpenTypeId_ = CircuitOpenTypeId
  /** @since 0.1.0 */
  override get message(): string {
    return `The circuit breaker of ${JSON.stringify(this.key.slice(0, 128))} is open: runs are shed for another ${
      Duration.format(this.retryAfter)
    }`
  }
}

/**
 * Tells whether a value is a `CircuitOpenError`.
 *
 * @since 0.1.0
 */
export const isCircuitOpenError = (u: unknown): u is CircuitOpenError => hasProperty(u, CircuitOpenTypeId)
