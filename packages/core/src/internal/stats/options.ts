/**
 * Options of the statistics store, validated once; and the duration arguments of its reads.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import type { StoreOptions } from "../../RetryStats.js"

// -----------------------------------------------------------------------------
// options
// -----------------------------------------------------------------------------

/** @internal */
export interface ResolvedOptions {
  readonly bucketWidthMillis: number
  readonly sampleSize: number
  readonly maxTasks: number
  readonly maxMetricTasks: number
  readonly retentionMillis: number
  readonly metrics: boolean
}

/** @internal */
export const defaultOptions: ResolvedOptions = Object.freeze({
  bucketWidthMillis: 60_000,
  sampleSize: 200,
  maxTasks: 10_000,
  maxMetricTasks: 1_000,
  retentionMillis: 7 * 24 * 60 * 60 * 1000,
  metrics: true
})

const show = (u: unknown): string => {
  try {
    if (typeof u === "string") return JSON.stringify(u)
    if (typeof u === "bigint") return `${u}n`
    if (typeof u === "number" || typeof u === "boolean" || u === undefined || u === null) return String(u)
    if (Duration.isDuration(u)) return Duration.format(u)
    return JSON.stringify(u) ?? String(u)
  } catch {
    return "<unprintable>"
  }
}

/**
 * Throws an `IllegalArgumentException` naming the option and the value.
 *
 * @internal
 */
export const invalid = (where: string, field: string, expected: string, value: unknown): never => {
  throw new Cause.IllegalArgumentException(`${where}: expected \`${field}\` to be ${expected}, got ${show(value)}`)
}

const isNegativeNumber = (u: unknown): boolean =>
  (typeof u === "number" && (u < 0 || Number.isNaN(u))) || (typeof u === "bigint" && u < BigInt(0))

const isNegativeInput = (u: unknown): boolean =>
  isNegativeNumber(u) || (typeof u === "string" && /^\s*-/.test(u)) ||
  (Array.isArray(u) && u.some(isNegativeNumber))

/**
 * Reads a duration option in milliseconds; throws naming the field when it cannot be decoded.
 *
 * @internal
 */
export const durationMillis = (
  where: string,
  field: string,
  value: unknown,
  bounds: { readonly infinite: boolean; readonly zero: boolean }
): number => {
  const expected = `a ${bounds.zero ? "non-negative" : "positive"}${bounds.infinite ? "" : ", finite"} duration`
  // `Duration.decode` turns a negative or NaN input into zero: reject it before
  if (isNegativeInput(value)) return invalid(where, field, expected, value)
  let millis: number
  try {
    millis = Duration.toMillis(Duration.decode(value as Duration.DurationInput))
  } catch {
    return invalid(where, field, expected, value)
  }
  if (
    Number.isNaN(millis) || millis < 0 || (millis === 0 && !bounds.zero) ||
    (!bounds.infinite && !Number.isFinite(millis))
  ) {
    return invalid(where, field, expected, value)
  }
  return millis
}

const integerIn = (field: string, value: unknown, min: number, max: number): number => {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    return invalid("RetryStats", field, `an integer in [${min}, ${max}]`, value)
  }
  return value
}

/**
 * Validates store options once; every error names the field and the value.
 *
 * @internal
 */
export const resolveOptions = (options: StoreOptions | undefined): ResolvedOptions => {
  if (options === undefined) return defaultOptions
  if (typeof options !== "object" || options === null) return invalid("RetryStats", "options", "an object", options)
  const bucketWidthMillis = options.bucketWidth === undefined
    ? defaultOptions.bucketWidthMillis
    : durationMillis("RetryStats", "bucketWidth", options.bucketWidth, { infinite: false, zero: false })
  if (!Number.isInteger(bucketWidthMillis)) {
    invalid("RetryStats", "bucketWidth", "a whole number of milliseconds", options.bucketWidth)
  }
  const retentionMillis = options.retention === undefined
    ? defaultOptions.retentionMillis
    : durationMillis("RetryStats", "retention", options.retention, { infinite: true, zero: false })
  if (retentionMillis < bucketWidthMillis) {
    invalid("RetryStats", "retention", `at least \`bucketWidth\` (${bucketWidthMillis} ms)`, options.retention)
  }
  const sampleSize = options.sampleSize === undefined
    ? defaultOptions.sampleSize
    : integerIn("sampleSize", options.sampleSize, 0, 100_000)
  const maxTasks = options.maxTasks === undefined
    ? defaultOptions.maxTasks
    : integerIn("maxTasks", options.maxTasks, 1, 1_000_000)
  const maxMetricTasks = options.maxMetricTasks === undefined
    ? Math.min(defaultOptions.maxMetricTasks, maxTasks + 1)
    : integerIn("maxMetricTasks", options.maxMetricTasks, 0, 1_000_000)
  if (options.metrics !== undefined && typeof options.metrics !== "boolean") {
    invalid("RetryStats", "metrics", "a boolean", options.metrics)
  }
  return Object.freeze({
    bucketWidthMillis,
    sampleSize,
    maxTasks,
    maxMetricTasks,
    retentionMillis,
    metrics: options.metrics ?? defaultOptions.metrics
  })
}

/**
 * Validates the argument of `cleanupOldErrors`: a non-negative duration (infinite drops nothing).
 *
 * @internal
 */
export const olderThanMillis = (olderThan: unknown): number =>
  durationMillis("RetryStats.cleanupOldErrors", "olderThan", olderThan, { infinite: true, zero: true })

/**
 * Validates a window: a positive, finite duration.
 *
 * @internal
 */
export const windowMillis = (window: unknown): number =>
  durationMillis("RetryStats.errorsInWindow", "window", window, { infinite: false, zero: false })
