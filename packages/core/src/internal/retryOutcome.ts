/**
 * The values of `RetryOutcome.ts`: the outcome names.
 *
 * @internal
 */
import type { RetryOutcome as Outcome } from "../RetryOutcome.js"

/** @internal */
export const RetryOutcome = {
  SUCCEEDED_FIRST_TRY: "succeeded_first_try",
  RECOVERED: "recovered",
  EXHAUSTED: "exhausted",
  NOT_RETRYABLE: "not_retryable",
  HINT_EXCEEDS_MAX_DELAY: "hint_exceeds_max_delay",
  STOPPED_BY_CAP: "stopped_by_cap",
  INTERRUPTED: "interrupted",
  BUDGET_EXHAUSTED: "budget_exhausted",
  CIRCUIT_OPEN: "circuit_open",
  DISABLED: "disabled",
  DIED: "died"
} as const

/** @internal */
export type RetryOutcome = Outcome

/** @internal */
export const outcomes: ReadonlyArray<Outcome> = Object.freeze(Object.values(RetryOutcome))
