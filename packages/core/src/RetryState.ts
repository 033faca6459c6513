/**
 * The saved state of one logical run of `IntelligentRetry.withHandoff`, so that a run can stop
 * before a long wait and resume in another process (or the same one, later) as the same run.
 *
 * A state is plain JSON: `JSON.parse(JSON.stringify(state))` decodes to the same state. It is
 * versioned, and it is always decoded with {@link RetryState} before it is used: a saved state
 * that is not a valid one is reported (an `InvalidPolicyError` naming the field and the value),
 * never trusted.
 *
 * @example
 * ```ts
 * import { RetryState } from "@intelligent-retry/core"
 * import { Schema } from "effect"
 *
 * const saved = JSON.stringify(RetryState.initial(Date.parse("2025-01-01T00:00:00Z")))
 * const state = Schema.decodeUnknownSync(RetryState.RetryState)(JSON.parse(saved))
 * ```
 *
 * @since 0.1.0
 */
import type * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as internal from "./internal/retryState.js"
import * as schema_ from "./internal/retryStateSchema.js"
import type { InvalidPolicyError } from "./RetryPolicy.js"

/**
 * The version written by this library. A state of another version is rejected.
 *
 * @since 0.1.0
 * @category constants
 */
export const VERSION: 1 = schema_.VERSION

/**
 * The schema of a saved state: its type and its JSON form are the same plain object.
 *
 * - `version`: the format version, always `RetryState.VERSION`;
 * - `attempts`: failed attempts so far, every category together;
 * - `retries`: retries made so far, per category (the `n` of that category's next retry);
 * - `previous`: the previous drawn wait per category, in milliseconds, which decorrelated jitter
 *   grows from (a category that has not waited yet is absent);
 * - `start`: when the logical run started, epoch milliseconds, which `maxElapsed` counts from
 *   (absent in a fresh state made without one: the run then starts when it first fails);
 * - `category`: the category of the last failure, absent before the first.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RetryState = schema_.RetryState

/**
 * The saved state of one logical run.
 *
 * @since 0.1.0
 * @category models
 */
export type RetryState = typeof RetryState.Type

/**
 * The schema, by its plain name.
 *
 * @since 0.1.0
 * @category schemas
 */
export const schema: Schema.Schema<RetryState> = RetryState

/**
 * The state of a run that has not failed yet. `start` (epoch milliseconds) is when the logical run
 * began; without it, the run starts when it first runs.
 *
 * @example
 * ```ts
 * import { RetryState } from "@intelligent-retry/core"
 *
 * RetryState.initial(0)
 * // { version: 1, attempts: 0, retries: { network_error: 0, …, permanent_error: 0 }, previous: {}, start: 0 }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const initial: (start?: number) => RetryState = internal.initial

/**
 * Decodes a saved state from anything (parsed JSON, a job's data), with an `InvalidPolicyError`
 * naming the field (`state.retries.api_rate_limit`) and the value when it is not a valid state.
 * Never throws.
 *
 * @since 0.1.0
 * @category schemas
 */
export const decode: (input: unknown, field?: string) => Either.Either<RetryState, InvalidPolicyError> = internal.decode

/**
 * Tells whether a value is a valid saved state.
 *
 * @since 0.1.0
 * @category guards
 */
export const is: (u: unknown) => u is RetryState = Schema.is(RetryState, { onExcessProperty: "error" })
