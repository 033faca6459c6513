/**
 * One decision step, shared by every compiled `Schedule` and by `withIntelligentRetry`: given the
 * run so far and a classified failure, retry after some wait, or stop with an outcome.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Interval from "effect/ScheduleInterval"
import type { ClassifierOptions } from "../Classifier.js"
import type { ErrorCategory } from "../ErrorCategory.js"
import { categories } from "../ErrorCategory.js"
import { RetryDecision } from "../RetryDecision.js"
import type { FailureOutcome } from "../RetryOutcome.js"
import { RetryOutcome } from "../RetryOutcome.js"
import type { RetryPolicy } from "../RetryPolicy.js"
import type { StrategyTable } from "../Strategies.js"
import * as classifier from "./classifier.js"
import { bounded, DEFAULT_MAX_WAIT, jittered, nominalWait } from "./policy.js"
import { call } from "./safe.js"

/** Everything a run decides with, fixed when the run starts. @internal */
export interface Plan {
  readonly table: StrategyTable
  /** Attempts of the whole run, all categories together. */
  readonly maxAttempts: number | undefined
  /** Milliseconds from the run's start past which no wait may end. */
  readonly maxElapsed: number | undefined
  /** `false`: one attempt, no retries (configuration switched retrying off). */
  readonly enabled: boolean
  /**
   * The ceiling of every wait, computed or hinted, in whole milliseconds below 2³¹ − 1. Default:
   * 24 hours (`DEFAULT_MAX_WAIT`).
   */
  readonly maxWait?: number | undefined
}

/** The run so far. Immutable: a `Schedule` may be driven many times. @internal */
export interface RunState {
  /** Failed attempts so far. */
  readonly attempts: number
  /** Retries per category, in the order of `categories`. */
  readonly retries: ReadonlyArray<number>
  /** The previous wait per category (for decorrelated jitter); -1 before the first. */
  readonly previous: ReadonlyArray<number>
  /** When the run started, epoch milliseconds. */
  readonly start: number
}

/** @internal */
export const initial = (start: number): RunState => ({
  attempts: 0,
  retries: [0, 0, 0, 0, 0, 0],
  previous: [-1, -1, -1, -1, -1, -1],
  start
})

/** @internal */
export type Step =
  | {
    readonly _tag: "Retry"
    readonly category: ErrorCategory
    readonly policy: RetryPolicy
    /** 0-based index of this retry within its category. */
    readonly n: number
    /** Milliseconds to wait before the next attempt. */
    readonly wait: number
    /**
     * Whether a server hint paces this retry: a hint above zero that the wait follows, because it
     * is longer than the policy's own wait or because the policy follows hints exactly. Only such
     * a retry earns a budget's hinted cost: a zero or past hint paces nothing.
     */
    readonly paced: boolean
    readonly state: RunState
  }
  | {
    readonly _tag: "Stop"
    readonly category: ErrorCategory
    readonly policy: RetryPolicy
    readonly outcome: FailureOutcome
    readonly state: RunState
  }

const with1 = (xs: ReadonlyArray<number>, i: number, x: number): ReadonlyArray<number> => {
  const copy = xs.slice()
  copy[i] = x
  return copy
}

/**
 * A server hint as a wait: whole milliseconds, rounded up, never negative; `undefined` for no
 * hint or for a value that is not a number (NaN). An infinite hint stays infinite, and so exceeds
 * every `maxDelay`.
 *
 * @internal
 */
export const hintWait = (hint: number | undefined): number | undefined =>
  typeof hint !== "number" || Number.isNaN(hint) ? undefined : Math.max(0, Math.ceil(hint))

/**
 * Decides what follows a failure of `category` at time `now`, carrying the server's `hint`
 * (milliseconds) if any. Checks, in order: enabled, `no_retry`, the category's `maxRetries`,
 * `maxAttempts`, a hint above `maxDelay` or above the wait ceiling (`plan.maxWait`), then computes
 * the wait (jitter from `Random`, raised to the hint, or the hint itself plus its spread under
 * `hint: "exact"`) and checks `maxElapsed` against it. Every wait is a whole number of
 * milliseconds in [0, ceiling]: the policy's `maxDelay` is lowered to the ceiling first.
 *
 * @internal
 */
export const decide = (
  plan: Plan,
  state: RunState,
  category: ErrorCategory,
  rawHint: number | undefined,
  now: number
): Effect.Effect<Step> => {
  const policy = bounded(plan.table[category], plan.maxWait ?? DEFAULT_MAX_WAIT)
  const hint = hintWait(rawHint)
  const attempts = state.attempts + 1
  const stop = (outcome: FailureOutcome): Effect.Effect<Step> =>
    Effect.succeed({ _tag: "Stop", category, policy, outcome, state: { ...state, attempts } })
  if (!plan.enabled) return stop(RetryOutcome.DISABLED)
  if (policy.decision === RetryDecision.NO_RETRY || policy.maxRetries === 0) return stop(RetryOutcome.NOT_RETRYABLE)
  const i = categories.indexOf(category)
  const n = state.retries[i]
  if (n >= policy.maxRetries) return stop(RetryOutcome.EXHAUSTED)
  if (plan.maxAttempts !== undefined && attempts >= plan.maxAttempts) return stop(RetryOutcome.STOPPED_BY_CAP)
  if (hint !== undefined && hint > Duration.toMillis(policy.maxDelay)) return stop(RetryOutcome.HINT_EXCEEDS_MAX_DELAY)
  const nominal = nominalWait(policy, n)
  const exact = hint !== undefined && policy.hint === "exact"
  const retry = (drawn: number, r: number): Effect.Effect<Step> => {
    const wait = hint === undefined
      ? drawn
      : exact
      ? spreadAbove(policy, hint, r)
      : drawn >= hint
      ? drawn
      : aboveHint(policy, hint, r)
    const paced = hint !== undefined && hint > 0 && (exact || hint > drawn)
    if (plan.maxElapsed !== undefined && now - state.start + wait > plan.maxElapsed) {
      return stop(RetryOutcome.STOPPED_BY_CAP)
    }
    return Effect.succeed({
      _tag: "Retry",
      category,
      policy,
      n,
      wait,
      paced,
      state: {
        attempts,
        retries: with1(state.retries, i, n + 1),
        previous: with1(state.previous, i, drawn),
        start: state.start
      }
    })
  }
  if (policy.jitter === false && !exact) return retry(nominal, 0)
  const previous = state.previous[i] < 0 ? Duration.toMillis(policy.baseDelay) : state.previous[i]
  return Effect.flatMap(Random.next, (r) => retry(jittered(policy, n, nominal, previous, r), r))
}

/**
 * The wait when a server hint is longer than the policy's own. Without jitter it is the hint,
 * exactly. With jitter, clients told the same reset time would all come back at once, so the wait
 * is spread above the hint, never below it: hint + r × min(10% of the hint, 1 second), capped by
 * `maxDelay` (which the hint does not exceed), in whole milliseconds.
 *
 * @internal
 */
export const aboveHint = (policy: RetryPolicy, hint: number, r: number): number =>
  policy.jitter === false ? hint : spreadAbove(policy, hint, r)

/**
 * The wait of a policy that follows hints exactly: the hint plus r × min(10% of the hint, 1 second),
 * jitter or not, capped by `maxDelay`, in whole milliseconds.
 *
 * @internal
 */
export const spreadAbove = (policy: RetryPolicy, hint: number, r: number): number =>
  Math.min(Duration.toMillis(policy.maxDelay), hint + Math.floor(r * Math.min(hint / 10, HINT_SPREAD_MAX)))

/** The largest spread above a server hint, in milliseconds. @internal */
export const HINT_SPREAD_MAX = 1000

/** A table with `policy` for every category. @internal */
const uniform = (policy: RetryPolicy): StrategyTable =>
  Object.fromEntries(categories.map((c) => [c, policy])) as unknown as StrategyTable

/**
 * A `Schedule` over errors that runs {@link decide}; `categorize` picks the category whose
 * counter and policy an error uses.
 *
 * @internal
 */
export const schedule = (
  plan: Plan,
  categorize: (error: unknown) => ErrorCategory
): Schedule.Schedule<Duration.Duration, unknown> =>
  Schedule.makeWithState<RunState | undefined, unknown, Duration.Duration>(undefined, (now, error, previous) => {
    const state = previous ?? initial(now)
    const hint = call(() => classifier.hintMillis(error, now))
    return Effect.map(decide(plan, state, categorize(error), hint, now), (step) =>
      step._tag === "Retry"
        ? [step.state, Duration.millis(step.wait), ScheduleDecision.continueWith(Interval.after(now + step.wait))]
        : [step.state, Duration.zero, ScheduleDecision.done])
  })

/** @internal */
export const policySchedule = (policy: RetryPolicy): Schedule.Schedule<Duration.Duration, unknown> =>
  schedule(
    { table: uniform(policy), maxAttempts: undefined, maxElapsed: undefined, enabled: true },
    () => categories[0]
  )

/** @internal */
export const tableSchedule = (
  table: StrategyTable,
  options: ClassifierOptions & { readonly maxAttempts?: number | undefined; readonly maxElapsed?: number | undefined }
): Schedule.Schedule<Duration.Duration, unknown> =>
  schedule(
    { table, maxAttempts: options.maxAttempts, maxElapsed: options.maxElapsed, enabled: true },
    (error) => call(() => classifier.classifyWith(error, options)) ?? "temporary_error"
  )
