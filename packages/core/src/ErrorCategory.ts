/**
 * The six kinds of failure that intelligent retry tells apart. Each category has its own
 * decision, its own limits and its own retry counter.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/errorCategory.js"

/**
 * The categories, as a const object whose values are the wire names used in statistics,
 * metrics, configuration and logs.
 *
 * @example
 * ```ts
 * import { ErrorCategory } from "@intelligent-retry/core"
 *
 * const category: ErrorCategory = ErrorCategory.NETWORK_ERROR // "network_error"
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const ErrorCategory: {
  /** Connection resets, refusals, DNS failures, timeouts: the request may never have been served. */
  readonly NETWORK_ERROR: "network_error"
  /** HTTP 429 and other throttling: wait for the server's hint, then try again. */
  readonly API_RATE_LIMIT: "api_rate_limit"
  /** Malformed input or output, validation failures: the same call fails the same way again. */
  readonly DATA_ERROR: "data_error"
  /** Memory, file-descriptor or disk exhaustion: back off while resources are freed. */
  readonly SYSTEM_ERROR: "system_error"
  /** A dependency that is briefly unavailable (HTTP 5xx, database failover): back off and retry. */
  readonly TEMPORARY_ERROR: "temporary_error"
  /** Not found, forbidden, not implemented: retrying cannot help. */
  readonly PERMANENT_ERROR: "permanent_error"
} = internal.ErrorCategory

/**
 * One of the six category names.
 *
 * @since 0.1.0
 * @category models
 */
export type ErrorCategory = typeof ErrorCategory[keyof typeof ErrorCategory]

/**
 * Every category, in a fixed order (the order of {@link ErrorCategory}). Statistics and analysis
 * use this order, and always report all six.
 *
 * @since 0.1.0
 * @category constants
 */
export const categories: ReadonlyArray<ErrorCategory> = internal.categories

/**
 * Tells whether a value is one of the six category names.
 *
 * @since 0.1.0
 * @category guards
 */
export const isErrorCategory: (u: unknown) => u is ErrorCategory = internal.isErrorCategory
