/**
 * The one validation module: the error every bad input becomes (`InvalidPolicyError`, naming the
 * field as the user wrote it and the value given), the safe rendering of values for its messages
 * (`show`), duration decoding, and unknown option keys. Core's modules and
 * `@intelligent-retry/platform` (through `RetryPolicy`'s re-exports) all report bad input through
 * it, so every message reads the same: `Invalid <field>: <what was expected>, got <value>`.
 * Internal: only the error class is published (as `RetryPolicy.InvalidPolicyError`).
 */
import type * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { decodeDuration as decodeDurationInput, scrubbed, show } from "./policy.js"

/**
 * Invalid retry settings: a policy field, an option or a configuration value. `field` names what
 * was wrong as the user wrote it, and `value` is what was given. Published as
 * `RetryPolicy.InvalidPolicyError` (kept in the declarations: the public one refers to it).
 *
 * @since 0.1.0
 */
export class InvalidPolicyError extends Schema.TaggedError<InvalidPolicyError>(
  "@intelligent-retry/core/InvalidPolicyError"
)("InvalidPolicyError", {
  /** What was wrong, as the user wrote it: `strategies.network_error.maxRetries`, `RETRY_DEFAULT_BASE_DELAY`. */
  field: Schema.String,
  /** The value that was given. */
  value: Schema.Unknown,
  /** `Invalid <field>: <what was expected>, got <value>`. */
  message: Schema.String
}) {}

/**
 * An {@link InvalidPolicyError} whose message reads `Invalid <field>: <reason>`. The value kept is
 * scrubbed of secrets (URL credentials, tokens), as `show` renders them.
 *
 * @internal
 */
export const invalid = (field: string, value: unknown, reason: string): InvalidPolicyError =>
  new InvalidPolicyError({ field, value: scrubbed(value), message: `Invalid ${field}: ${reason}` })

/** The same, as the left of an `Either`. @internal */
export const fail = (field: string, value: unknown, reason: string): Either.Either<never, InvalidPolicyError> =>
  Either.left(invalid(field, value, reason))

/**
 * A `Duration.DurationInput` that must not be negative or NaN, as an `Either` naming `field`.
 *
 * @internal
 */
export const decodeDuration = (field: string, value: unknown): Either.Either<Duration.Duration, InvalidPolicyError> => {
  const duration = decodeDurationInput(value)
  return duration === undefined
    ? fail(field, value, `must be a non-negative duration, got ${show(value)}`)
    : Either.right(duration)
}

/**
 * The first key of `options` that is not in `allowed`, as an error naming `options.<key>` and the
 * value: a misspelt option never passes silently. `what` names the function, as in "is not an
 * option of withIntelligentRetry". `undefined` when every key is known. Never throws (a Proxy
 * whose keys cannot be listed is an error too).
 *
 * @internal
 */
export const unknownOption = (
  options: object,
  allowed: ReadonlySet<string>,
  what: string
): InvalidPolicyError | undefined => {
  let keys: ReadonlyArray<string>
  try {
    keys = Object.keys(options)
  } catch {
    return invalid("options", options, `must be a readable object, got ${show(options)}`)
  }
  for (const key of keys) {
    if (!allowed.has(key)) {
      let value: unknown
      try {
        value = (options as any)[key]
      } catch {
        value = undefined
      }
      return invalid(
        `options.${key}`,
        value,
        `is not an option of ${what} (${[...allowed].join(", ")}), got ${show(value)}`
      )
    }
  }
  return undefined
}
