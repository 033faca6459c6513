/**
 * The error model: one tagged error class per category. Throw or fail with these in your own
 * code and the classifier needs no guessing.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import { hasProperty } from "effect/Predicate"
import * as Schema from "effect/Schema"
import { ErrorCategory } from "./ErrorCategory.js"
import * as internal from "./internal/errors.js"

/**
 * The identifier shared by the six error classes.
 *
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = internal.TypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

const fields = {
  /** What went wrong, for people. It is truncated and scrubbed of secrets before statistics store it. */
  message: Schema.String,
  /** The underlying failure, if any. Statistics never store it. */
  cause: Schema.optional(Schema.Unknown)
}

/**
 * A connection was reset, refused or timed out. Default decision: retry immediately.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NetworkError } from "@intelligent-retry/core"
 *
 * const program = Effect.fail(new NetworkError({ message: "connection reset by carrier API" }))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class NetworkError extends Schema.TaggedError<NetworkError>("@intelligent-retry/core/NetworkError")(
  "NetworkError",
  fields
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get category(): typeof ErrorCategory.NETWORK_ERROR {
    return ErrorCategory.NETWORK_ERROR
  }
}

/**
 * The server throttled the call. `retryAfter`, when set, is the server's hint: the wait before the
 * next attempt is raised to at least this much.
 *
 * @example
 * ```ts
 * import { Duration, Effect } from "effect"
 * import { RateLimitError } from "@intelligent-retry/core"
 *
 * const program = Effect.fail(
 *   new RateLimitError({ message: "429 from carrier API", retryAfter: Duration.seconds(30) })
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimitError extends Schema.TaggedError<RateLimitError>("@intelligent-retry/core/RateLimitError")(
  "RateLimitError",
  { ...fields, retryAfter: Schema.optional(Schema.DurationFromSelf) }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get category(): typeof ErrorCategory.API_RATE_LIMIT {
    return ErrorCategory.API_RATE_LIMIT
  }
}

/**
 * The data is malformed or fails validation. Retrying cannot fix it: the default is no retry.
 *
 * @since 0.1.0
 * @category errors
 */
export class DataError extends Schema.TaggedError<DataError>("@intelligent-retry/core/DataError")(
  "DataError",
  fields
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get category(): typeof ErrorCategory.DATA_ERROR {
    return ErrorCategory.DATA_ERROR
  }
}

/**
 * A resource ran out: memory, file descriptors, disk. The default backs off with jitter while the
 * system frees resources.
 *
 * @since 0.1.0
 * @category errors
 */
export class SystemError extends Schema.TaggedError<SystemError>("@intelligent-retry/core/SystemError")(
  "SystemError",
  fields
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get category(): typeof ErrorCategory.SYSTEM_ERROR {
    return ErrorCategory.SYSTEM_ERROR
  }
}

/**
 * A dependency is briefly unavailable, such as a database failing over. The default backs off
 * exponentially with jitter.
 *
 * @since 0.1.0
 * @category errors
 */
export class TemporaryError extends Schema.TaggedError<TemporaryError>("@intelligent-retry/core/TemporaryError")(
  "TemporaryError",
  fields
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get category(): typeof ErrorCategory.TEMPORARY_ERROR {
    return ErrorCategory.TEMPORARY_ERROR
  }
}

/**
 * A failure no retry can fix: not found, forbidden, not implemented. Never retried by default.
 *
 * @since 0.1.0
 * @category errors
 */
export class PermanentError extends Schema.TaggedError<PermanentError>("@intelligent-retry/core/PermanentError")(
  "PermanentError",
  fields
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get category(): typeof ErrorCategory.PERMANENT_ERROR {
    return ErrorCategory.PERMANENT_ERROR
  }
}

/**
 * Any of the six error classes.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryError = NetworkError | RateLimitError | DataError | SystemError | TemporaryError | PermanentError

/**
 * Tells whether a value is one of the six error classes.
 *
 * @since 0.1.0
 * @category guards
 */
export const isRetryError = (u: unknown): u is RetryError => hasProperty(u, TypeId)

/**
 * The hint a {@link RateLimitError} carries, if any.
 *
 * @since 0.1.0
 * @category getters
 */
export const retryAfter = (error: RetryError): Duration.Duration | undefined =>
  error._tag === "RateLimitError" ? error.retryAfter : undefined

/**
 * A run of `IntelligentRetry.withHandoff` stopped before a wait of at least its `after`, instead of
 * sleeping through it: whoever runs the effect (a queue worker) must run it again, with `state`,
 * at `resumeAt`. Not one of the six classified errors: a hand-off is not a failure of the work.
 *
 * **Details**
 *
 * The failure and the retry are already recorded in statistics, and the retry budget has paid for
 * the retry; the run's outcome is not recorded yet: the resumed run records it. `resumeAt` is
 * exactly the clock's time at the hand-off plus `wait`. `state` is plain JSON:
 * `JSON.parse(JSON.stringify(handoff.state))` is a valid `state` to resume from.
 *
 * @example
 * ```ts
 * import { Duration, Effect } from "effect"
 * import { IntelligentRetry, RateLimitError } from "@intelligent-retry/core"
 *
 * declare const call: Effect.Effect<string, RateLimitError>
 *
 * const program = call.pipe(
 *   IntelligentRetry.withHandoff({ after: "10 seconds" }),
 *   Effect.catchTag("RetryHandoff", (handoff) =>
 *     Effect.logInfo(`re-enqueue at ${new Date(handoff.resumeAt).toISOString()}`, Duration.format(handoff.wait))
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const RetryHandoff: typeof internal.RetryHandoff = internal.RetryHandoff

/**
 * @since 0.1.0
 * @category errors
 */
export type RetryHandoff = internal.RetryHandoff

/**
 * Tells whether a value is a {@link RetryHandoff}.
 *
 * @since 0.1.0
 * @category guards
 */
export const isRetryHandoff: (u: unknown) => u is RetryHandoff = internal.isRetryHandoff

/**
 * The identifier of {@link CircuitOpenError}.
 *
 * @since 0.1.0
 * @category type ids
 */
export const CircuitOpenTypeId: unique symbol = internal.CircuitOpenTypeId

/**
 * @since 0.1.0
 * @category type ids
 */
export type CircuitOpenTypeId = typeof CircuitOpenTypeId

/**
 * A run that `withCircuitBreaker` shed without running it: the breaker of `key` is open (or its
 * one probe is in flight). `retryAfter` is the remaining open time: after it, one run may probe
 * the dependency.
 *
 * **Details**
 *
 * The library never retries it (`classify` answers `permanent_error` for it, whatever the custom
 * rules say), and it never counts towards opening a breaker.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { CircuitOpenError, withCircuitBreaker } from "@intelligent-retry/core"
 *
 * declare const callCarrier: Effect.Effect<string, Error>
 *
 * const program = callCarrier.pipe(
 *   withCircuitBreaker({ key: "carrier-api" }),
 *   Effect.catchTag("CircuitOpenError", (e: CircuitOpenError) => Effect.succeed(`shed, retry in ${e.retryAfter}`))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export const CircuitOpenError: typeof internal.CircuitOpenError = internal.CircuitOpenError

/**
 * @since 0.1.0
 * @category errors
 */
export type CircuitOpenError = internal.CircuitOpenError

/**
 * Tells whether a value is a {@link CircuitOpenError}.
 *
 * @since 0.1.0
 * @category guards
 */
export const isCircuitOpenError: (u: unknown) => u is CircuitOpenError = internal.isCircuitOpenError
