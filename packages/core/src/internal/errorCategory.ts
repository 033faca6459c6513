/**
 * The values of `ErrorCategory.ts`: the category names and the guard.
 *
 * @internal
 */
import type { ErrorCategory as Category } from "../ErrorCategory.js"

/** @internal */
export const ErrorCategory = {
  NETWORK_ERROR: "network_error",
  API_RATE_LIMIT: "api_rate_limit",
  DATA_ERROR: "data_error",
  SYSTEM_ERROR: "system_error",
  TEMPORARY_ERROR: "temporary_error",
  PERMANENT_ERROR: "permanent_error"
} as const

/** @internal */
export type ErrorCategory = Category

/** @internal */
export const categories: ReadonlyArray<Category> = Object.freeze(Object.values(ErrorCategory))

/** @internal */
export const isErrorCategory = (u: unknown): u is Category => typeof u === "string" && categories.includes(u as any)
