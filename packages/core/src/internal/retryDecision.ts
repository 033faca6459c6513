/**
 * The values of `RetryDecision.ts`: the decision names and the guard.
 *
 * @internal
 */
import type { RetryDecision as Decision } from "../RetryDecision.js"

/** @internal */
export const RetryDecision = {
  RETRY_IMMEDIATELY: "retry_immediately",
  RETRY_WITH_DELAY: "retry_with_delay",
  RETRY_WITH_BACKOFF: "retry_with_backoff",
  NO_RETRY: "no_retry"
} as const

/** @internal */
export type RetryDecision = Decision

/** @internal */
export const decisions: ReadonlyArray<Decision> = Object.freeze(Object.values(RetryDecision))

/** @internal */
export const isRetryDecision = (u: unknown): u is Decision => typeof u === "string" && decisions.includes(u as any)
