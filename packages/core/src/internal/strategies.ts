/**
 * The values of `Strategies.ts`: the named policies, the presets, table decoding and merging, the
 * tag and its layer, and the compiled table `Schedule`. The tag and its layer are kept in the
 * declarations (the public ones refer to them); the rest is internal.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Schedule from "effect/Schedule"
import type { ErrorCategory } from "../ErrorCategory.js"
import type { RetryPolicy, RetryPolicyInput } from "../RetryPolicy.js"
import type { StrategyTable, StrategyTableInput, ToScheduleOptions } from "../Strategies.js"
import { categories, isErrorCategory } from "./errorCategory.js"
import * as plan from "./plan.js"
import { show } from "./policy.js"
import { decodeUnknown, make, scale as scalePolicy } from "./retryPolicy.js"
import { decodeDuration, invalid, type InvalidPolicyError } from "./validate.js"

// ---------------------------------------------------------------------------------------------
// named policies and presets
// ---------------------------------------------------------------------------------------------

/** @internal */
export const noRetry: RetryPolicy = make({ decision: "no_retry", maxRetries: 0, baseDelay: 0, maxDelay: 0 })

/** @internal */
export const immediate = (overrides?: Omit<RetryPolicyInput, "decision">): RetryPolicy =>
  make({
    decision: "retry_immediately",
    maxRetries: 5,
    baseDelay: 0,
    maxDelay: "10 seconds",
    backoffFactor: 1.2,
    jitter: false,
    ...overrides
  })

/** @internal */
export const progressive = (overrides?: Omit<RetryPolicyInput, "decision">): RetryPolicy =>
  make({
    decision: "retry_with_backoff",
    maxRetries: 4,
    baseDelay: "5 seconds",
    maxDelay: "40 seconds",
    backoffFactor: 2,
    jitter: false,
    ...overrides
  })

/** @internal */
export const resourceConstraint = (overrides?: Omit<RetryPolicyInput, "decision">): RetryPolicy =>
  make({
    decision: "retry_with_backoff",
    maxRetries: 3,
    baseDelay: "30 seconds",
    maxDelay: "10 minutes",
    backoffFactor: 2,
    jitter: "equal",
    ...overrides
  })

/** @internal */
export const fileOperation = (overrides?: Omit<RetryPolicyInput, "decision">): RetryPolicy =>
  make({
    decision: "retry_with_delay",
    maxRetries: 3,
    baseDelay: "2 seconds",
    maxDelay: "10 seconds",
    backoffFactor: 1.5,
    jitter: false,
    ...overrides
  })

/** @internal */
export const criticalFile = (overrides?: Omit<RetryPolicyInput, "decision">): RetryPolicy =>
  make({
    decision: "retry_with_backoff",
    maxRetries: 5,
    baseDelay: "10 seconds",
    maxDelay: "160 seconds",
    backoffFactor: 2,
    jitter: "equal",
    ...overrides
  })

/** @internal */
export const defaults: StrategyTable = {
  network_error: immediate(),
  api_rate_limit: make({
    decision: "retry_with_delay",
    maxRetries: 3,
    baseDelay: "300 seconds",
    maxDelay: "1800 seconds",
    backoffFactor: 2,
    jitter: false,
    hint: "exact"
  }),
  data_error: noRetry,
  system_error: resourceConstraint(),
  temporary_error: make({
    decision: "retry_with_backoff",
    maxRetries: 3,
    baseDelay: "60 seconds",
    maxDelay: "300 seconds",
    backoffFactor: 2,
    jitter: true
  }),
  permanent_error: noRetry
}

/** @internal */
export const tracking = {
  network_error: progressive(),
  api_rate_limit: make({
    decision: "retry_with_delay",
    maxRetries: 3,
    baseDelay: "5 minutes",
    maxDelay: "30 minutes",
    backoffFactor: 2,
    jitter: false,
    hint: "exact"
  }),
  data_error: noRetry,
  temporary_error: make({
    decision: "retry_with_backoff",
    maxRetries: 3,
    baseDelay: "30 seconds",
    maxDelay: "5 minutes",
    backoffFactor: 2,
    jitter: true
  })
} as const satisfies Partial<StrategyTable>

/** @internal */
export const screenshot = {
  network_error: immediate({ maxRetries: 3, baseDelay: "2 seconds", maxDelay: "10 seconds", backoffFactor: 2 }),
  system_error: resourceConstraint(),
  temporary_error: fileOperation()
} as const satisfies Partial<StrategyTable>

/** @internal */
export const document = {
  data_error: noRetry,
  system_error: resourceConstraint(),
  temporary_error: criticalFile()
} as const satisfies Partial<StrategyTable>

/** @internal */
export const presets = { defaults, tracking, screenshot, document } as const

// ---------------------------------------------------------------------------------------------
// tables
// ---------------------------------------------------------------------------------------------

const decodedTables = new WeakMap<object, Either.Either<Partial<StrategyTable>, InvalidPolicyError>>()

/**
 * Freezes a decoded table and its policy inputs (and `[seconds, nanos]` pairs in them), so that the
 * remembered decoding can never disagree with the table. `Duration` values are immutable already
 * and left alone. `false` when the table refuses (a Proxy): it is then never remembered.
 */
const freeze = (input: object): boolean => {
  try {
    for (const value of Object.values(input)) {
      if (typeof value !== "object" || value === null || Duration.isDuration(value)) continue
      for (const field of Object.values(value)) if (Array.isArray(field)) Object.freeze(field)
      Object.freeze(value)
    }
    Object.freeze(input)
    return Object.isFrozen(input)
  } catch {
    return false
  }
}

/** @internal */
export const decodeTable = (input: StrategyTableInput): Either.Either<Partial<StrategyTable>, InvalidPolicyError> => {
  if (typeof input !== "object" || input === null) {
    return Either.left(invalid("strategies", input, `must be a table from category to policy, got ${show(input)}`))
  }
  const known = decodedTables.get(input)
  if (known !== undefined) return known
  const result: Partial<Record<ErrorCategory, RetryPolicy>> = {}
  let outcome: Either.Either<Partial<StrategyTable>, InvalidPolicyError> = Either.right(result)
  try {
    for (const key of Object.keys(input)) {
      if (!isErrorCategory(key)) {
        outcome = Either.left(
          invalid(
            `strategies.${key}`,
            (input as any)[key],
            `"${key}" is not a category (${categories.join(", ")}), got ${show((input as any)[key])}`
          )
        )
        break
      }
      const decoded = decodeUnknown(input[key], `strategies.${key}`)
      if (Either.isLeft(decoded)) {
        outcome = Either.left(decoded.left)
        break
      }
      result[key] = decoded.right
    }
  } catch {
    // a table that throws when read (a Proxy, a throwing getter) is invalid, not an exception
    outcome = Either.left(invalid("strategies", input, `must be a readable table, got ${show(input)}`))
  }
  if (freeze(input)) decodedTables.set(input, outcome)
  return outcome
}

/** @internal */
export const merge: {
  (overrides: StrategyTableInput): (base: StrategyTable) => Either.Either<StrategyTable, InvalidPolicyError>
  (base: StrategyTable, overrides: StrategyTableInput): Either.Either<StrategyTable, InvalidPolicyError>
} = dual(
  2,
  (base: StrategyTable, overrides: StrategyTableInput): Either.Either<StrategyTable, InvalidPolicyError> =>
    Either.map(decodeTable(overrides), (decoded) => ({ ...base, ...decoded }))
)

/** @internal */
export const scale: {
  (factor: number): <T extends Partial<StrategyTable>>(table: T) => T
  <T extends Partial<StrategyTable>>(table: T, factor: number): T
} = dual(
  2,
  <T extends Partial<StrategyTable>>(table: T, factor: number): T =>
    Object.fromEntries(
      Object.entries(table).map(([category, policy]) => [category, scalePolicy(policy!, factor)])
    ) as T
)

/**
 * Installs a table over the defaults (`Strategies.layer`), kept in the declarations: the tag's
 * static alias refers to it.
 *
 * @since 0.1.0
 */
export const layer = (table: StrategyTableInput): Layer.Layer<StrategiesTag, InvalidPolicyError> =>
  Layer.effect(StrategiesTag, merge(defaults, table))

/**
 * The tag behind `Strategies.Strategies`, kept in the declarations: the public one refers to it.
 *
 * @since 0.1.0
 */
export class StrategiesTag extends Context.Reference<StrategiesTag>()("@intelligent-retry/core/RetryStrategies", {
  defaultValue: (): StrategyTable => defaults
}) {
  /**
   * The same function as `Strategies.layer`, kept for the deprecated root alias
   * `RetryStrategies.layer`.
   *
   * @deprecated Use `Strategies.layer`.
   * @since 0.1.0
   */
  static readonly layer: typeof layer = layer
}
/** @internal */
export const toSchedule = (
  table: StrategyTable,
  options?: ToScheduleOptions
): Schedule.Schedule<Duration.Duration, unknown> => {
  const maxElapsed = options?.maxElapsed === undefined
    ? undefined
    : Either.getOrThrowWith(decodeDuration("maxElapsed", options.maxElapsed), (e) => e)
  return plan.tableSchedule(table, {
    ...options,
    maxElapsed: maxElapsed === undefined ? undefined : Duration.toMillis(maxElapsed)
  })
}
