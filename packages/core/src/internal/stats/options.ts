/**
 * Options of the statistics store, validated once, and the duration arguments of its reads: bad
 * input is an `InvalidPolicyError` from the one validation module (`../validate.ts`).
 *
 * @internal
 */
import * as Either from "effect/Either"
import type { StoreOptions } from "../../RetryStats.js"
import { show } from "../policy.js"
import { durationMillis, fail, integerIn, type InvalidPolicyError, unknownOption } from "../validate.js"

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

const storeKeys: ReadonlySet<string> = new Set([
  "bucketWidth",
  "sampleSize",
  "maxTasks",
  "maxMetricTasks",
  "retention",
  "metrics"
])

/**
 * Validates store options once: the first bad one as an `InvalidPolicyError` naming the field and
 * the value. `what` names the function, for an unknown key ("is not an option of …"); `allowed`
 * adds the keys another part of the same options object owns (delivery, table prefix).
 *
 * @internal
 */
export const resolveOptions = (
  options: StoreOptions | undefined,
  what = "RetryStats",
  allowed: ReadonlySet<string> = storeKeys
): Either.Either<ResolvedOptions, InvalidPolicyError> =>
  Either.gen(function*() {
    if (options === undefined) return defaultOptions
    if (typeof options !== "object" || options === null) {
      return yield* fail("options", options, `must be an object, got ${show(options)}`)
    }
    const unknown = unknownOption(options, allowed, what)
    if (unknown !== undefined) return yield* Either.left(unknown)
    const bucketWidthMillis = options.bucketWidth === undefined
      ? defaultOptions.bucketWidthMillis
      : yield* durationMillis("bucketWidth", options.bucketWidth, { infinite: false, zero: false })
    if (!Number.isInteger(bucketWidthMillis)) {
      return yield* fail(
        "bucketWidth",
        options.bucketWidth,
        `must be a whole number of milliseconds, got ${show(options.bucketWidth)}`
      )
    }
    const retentionMillis = options.retention === undefined
      ? defaultOptions.retentionMillis
      : yield* durationMillis("retention", options.retention, { infinite: true, zero: false })
    if (retentionMillis < bucketWidthMillis) {
      return yield* fail(
        "retention",
        options.retention,
        `must be at least \`bucketWidth\` (${bucketWidthMillis} ms), got ${show(options.retention)}`
      )
    }
    const sampleSize = options.sampleSize === undefined
      ? defaultOptions.sampleSize
      : yield* integerIn("sampleSize", options.sampleSize, 0, 100_000)
    const maxTasks = options.maxTasks === undefined
      ? defaultOptions.maxTasks
      : yield* integerIn("maxTasks", options.maxTasks, 1, 1_000_000)
    const maxMetricTasks = options.maxMetricTasks === undefined
      ? Math.min(defaultOptions.maxMetricTasks, maxTasks + 1)
      : yield* integerIn("maxMetricTasks", options.maxMetricTasks, 0, 1_000_000)
    if (options.metrics !== undefined && typeof options.metrics !== "boolean") {
      return yield* fail("metrics", options.metrics, `must be a boolean, got ${show(options.metrics)}`)
    }
    return Object.freeze({
      bucketWidthMillis,
      sampleSize,
      maxTasks,
      maxMetricTasks,
      retentionMillis,
      metrics: options.metrics ?? defaultOptions.metrics
    })
  })

/** The keys of store options. @internal */
export const storeOptionKeys = storeKeys

/**
 * Validates the argument of `cleanupOldErrors`: a non-negative duration (infinite drops nothing).
 *
 * @internal
 */
export const olderThanMillis = (olderThan: unknown): Either.Either<number, InvalidPolicyError> =>
  durationMillis("olderThan", olderThan, { infinite: true, zero: true })

/**
 * Validates a window: a positive, finite duration.
 *
 * @internal
 */
export const windowMillis = (window: unknown): Either.Either<number, InvalidPolicyError> =>
  durationMillis("window", window, { infinite: false, zero: false })
