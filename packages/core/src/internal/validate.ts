/**
 * The one validation module: the error every bad input becomes (`InvalidPolicyError`, naming the
 * field as the user wrote it and the value given), the safe rendering of values for its messages
 * (`show`), duration decoding, and unknown option keys. Core's modules and
 * `@intelligent-retry/platform` (through `RetryPolicy`'s re-exports) all report bad input through
 * it, so every message reads the same: `Invalid <field>: <what was expected>, got <value>`.
 * Internal: only the error class is published (as `RetryPolicy.InvalidPolicyError`).
 */
import * as Duration from "effect/Duration"
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
 * What a duration must be beyond "not negative, not NaN": above zero unless `zero`, finite unless
 * `infinite`. Default: both allowed.
 *
 * @internal
 */
export interface DurationBounds {
  readonly zero?: boolean | undefined
  readonly infinite?: boolean | undefined
}

/**
 * A `Duration.DurationInput` that must not be negative or NaN (nor zero or infinite, when
 * `bounds` says so), as an `Either` naming `field`. The rule in the message says which.
 *
 * @internal
 */
export const decodeDuration = (
  field: string,
  value: unknown,
  bounds?: DurationBounds
): Either.Either<Duration.Duration, InvalidPolicyError> => {
  const zero = bounds?.zero ?? true
  const infinite = bounds?.infinite ?? true
  const duration = decodeDurationInput(value)
  if (
    duration === undefined || (!zero && Duration.isZero(duration)) || (!infinite && !Duration.isFinite(duration))
  ) {
    const rule = `${zero ? "non-negative" : "positive"}${infinite ? "" : ", finite"} duration`
    return fail(field, value, `must be a ${rule}, got ${show(value)}`)
  }
  return Either.right(duration)
}

/**
 * {@link decodeDuration} in milliseconds.
 *
 * @internal
 */
export const durationMillis = (
  field: string,
  value: unknown,
  bounds?: DurationBounds
): Either.Either<number, InvalidPolicyError> => Either.map(decodeDuration(field, value, bounds), Duration.toMillis)

/**
 * An integer in `[min, max]`, as an `Either` naming `field`.
 *
 * @internal
 */
export const integerIn = (
  field: string,
  value: unknown,
  min: number,
  max: number
): Either.Either<number, InvalidPolicyError> =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
    ? Either.right(value)
    : fail(field, value, `must be an integer in [${min}, ${max}], got ${show(value)}`)

/**
 * The first key of `options` that is not in `allowed`, as an error naming `<prefix>.<key>`
 * (`options.<key>` by default) and the value: a misspelt option never passes silently. `what` names the function, as in "is not an
 * option of withIntelligentRetry". `undefined` when every key is known. Never throws (a Proxy
 * whose keys cannot be listed is an error too).
 *
 * @internal
 */
export const unknownOption = (
  options: object,
  allowed: ReadonlySet<string>,
  what: string,
  prefix = "options"
): InvalidPolicyError | undefined => {
  let keys: ReadonlyArray<string>
  try {
    keys = Object.keys(options)
  } catch {
    return invalid(prefix, options, `must be a readable object, got ${show(options)}`)
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
        `${prefix}.${key}`,
        value,
        `is not an option of ${what} (${[...allowed].join(", ")}), got ${show(value)}`
      )
    }
  }
  return undefined
}
