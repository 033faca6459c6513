/**
 * The one authority that decides what follows a failure.
 *
 * Two layers, both `Schedule`s:
 *
 * - a policy compiles to a `Schedule` over errors ({@link policySchedule}, the value
 *   `RetryPolicy.toSchedule` returns): its own counter, its wait (jitter from `Random`, raised to a
 *   server hint), and its reasons to stop (`no_retry`, `maxRetries`, a hint above `maxDelay`);
 * - {@link decide} steps the schedule of the failure's category and lays the run-wide rules over
 *   it: the veto, the switch, `maxAttempts`, `maxElapsed` and the budget.
 *
 * `withIntelligentRetry` calls {@link decide} after each failure; `Strategies.toSchedule` wraps the
 * same {@link decide} in a `Schedule` ({@link tableSchedule}), so a plain `Effect.retry` honours the
 * same rules in the same order.
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
import type { BudgetFailure, RetryBudgetService } from "../RetryBudget.js"
import type { FailureOutcome } from "../RetryOutcome.js"
import type { RetryPolicy } from "../RetryPolicy.js"
import type { StrategyTable } from "../Strategies.js"
import { RetryBudgetTag as RetryBudget } from "./budget.js"
import { isContention } from "./budget.js"
import * as classifier from "./classifier.js"
import { categories } from "./errorCategory.js"
import { bounded, DEFAULT_MAX_WAIT, jittered, nominalWait } from "./policy.js"
import { RetryDecision } from "./retryDecision.js"
import { RetryOutcome } from "./retryOutcome.js"
import { call } from "./safe.js"

// ---------------------------------------------------------------------------------------------
// One policy, compiled to a Schedule
// ---------------------------------------------------------------------------------------------

/** The state of a policy's schedule. Immutable: a `Schedule` may be driven many times. @internal */
export interface PolicyState {
  /** Retries granted so far (n, the 0-based index of the next retry). */
  readonly n: number
  /** The previous wait (for decorrelated jitter); -1 before the first. */
  readonly previous: number
  /** Why the schedule stopped, once it has. */
  readonly outcome: FailureOutcome | undefined
  /**
   * Whether a server hint paced the last wait: a hint above zero that the wait follows, because it
   * is longer than the policy's own wait or because the policy follows hints exactly. Only such a
   * retry earns a budget's hinted cost: a zero or past hint paces nothing.
   */
  readonly paced: boolean
}

const policyInitial: PolicyState = { n: 0, previous: -1, outcome: undefined, paced: false }

type Output = readonly [PolicyState, Duration.Duration, ScheduleDecision.ScheduleDecision]

const stopWith = (state: PolicyState, outcome: FailureOutcome): Effect.Effect<Output> =>
  Effect.succeed([{ ...state, outcome, paced: false }, Duration.zero, ScheduleDecision.done])

const continueWith = (state: PolicyState, now: number, drawn: number, wait: number, paced: boolean): Output => [
  { n: state.n + 1, previous: drawn, outcome: undefined, paced },
  Duration.millis(wait),
  ScheduleDecision.continueWith(Interval.after(now + wait))
]

/**
 * One step of a policy: stop (`no_retry`, `maxRetries` reached, a hint above `maxDelay`), or the
 * wait before retry n: the nominal wait, jittered from `Random`, raised to the hint.
 */
const stepPolicy = (policy: RetryPolicy, state: PolicyState, hint: number | undefined, now: number) => {
  if (policy.decision === RetryDecision.NO_RETRY || policy.maxRetries === 0) {
    return stopWith(state, RetryOutcome.NOT_RETRYABLE)
  }
  const n = state.n
  if (n >= policy.maxRetries) return stopWith(state, RetryOutcome.EXHAUSTED)
  if (hint !== undefined && hint > Duration.toMillis(policy.maxDelay)) {
    return stopWith(state, RetryOutcome.HINT_EXCEEDS_MAX_DELAY)
  }
  const nominal = nominalWait(policy, n)
  const exact = hint !== undefined && policy.hint === "exact"
  const next = (drawn: number, r: number): Output => {
    if (hint === undefined) return continueWith(state, now, drawn, drawn, false)
    if (exact) return continueWith(state, now, drawn, spreadAbove(policy, hint, r), hint > 0)
    return drawn >= hint
      ? continueWith(state, now, drawn, drawn, false)
      : continueWith(state, now, drawn, aboveHint(policy, hint, r), true)
  }
  if (policy.jitter === false && !exact) return Effect.succeed(next(nominal, 0))
  const previous = state.previous < 0 ? Duration.toMillis(policy.baseDelay) : state.previous
  return Effect.map(Random.next, (r) => next(jittered(policy, n, nominal, previous, r), r))
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

interface CompiledPolicy {
  readonly ceiling: number
  readonly schedule: Schedule.Schedule<Duration.Duration, unknown>
}

const compiled = new WeakMap<RetryPolicy, CompiledPolicy>()

/**
 * A policy compiled to a `Schedule` over errors, once per policy object (and wait ceiling): every
 * error counts against this policy; a server hint carried by the error raises the wait; the output
 * is the wait. The policy runs `bounded` by the ceiling (default 24 hours): its `maxDelay` lowered
 * to it, so no wait, computed or hinted, exceeds it.
 *
 * @internal
 */
export const policySchedule = (
  policy: RetryPolicy,
  ceiling: number = DEFAULT_MAX_WAIT
): Schedule.Schedule<Duration.Duration, unknown> => {
  const known = compiled.get(policy)
  if (known !== undefined && known.ceiling === ceiling) return known.schedule
  const runs = bounded(policy, ceiling)
  const schedule = Schedule.makeWithState<PolicyState, unknown, Duration.Duration>(
    policyInitial,
    (now, error, state) => stepPolicy(runs, state, hintWait(call(() => classifier.hintMillis(error, now))), now)
  )
  compiled.set(policy, { ceiling, schedule })
  return schedule
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
 * The wait of a policy that follows hints exactly (`hint: "exact"`): the hint plus
 * r × min(10% of the hint, 1 second), jitter or not, capped by `maxDelay`, in whole milliseconds.
 *
 * @internal
 */
export const spreadAbove = (policy: RetryPolicy, hint: number, r: number): number =>
  Math.min(Duration.toMillis(policy.maxDelay), hint + Math.floor(r * Math.min(hint / 10, HINT_SPREAD_MAX)))

/** The largest spread above a server hint, in milliseconds. @internal */
export const HINT_SPREAD_MAX = 1000

// ---------------------------------------------------------------------------------------------
// A run: the category's schedule, and the run-wide rules
// ---------------------------------------------------------------------------------------------

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
  /** The user's veto: `false` ends the run with `not_retryable`, before the budget is charged. */
  readonly retryable: ((error: any) => boolean) | undefined
  /** The token bucket of a keyed budget the run draws on. */
  readonly budgetKey: string
}

/** The run so far. Immutable: a `Schedule` may be driven many times. @internal */
export interface RunState {
  /** Failed attempts so far. */
  readonly attempts: number
  /** Retries per category, in the order of `categories` (each category's schedule state n). */
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

const with1 = (xs: ReadonlyArray<number>, i: number, x: number): ReadonlyArray<number> => {
  const copy = xs.slice()
  copy[i] = x
  return copy
}

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
    readonly state: RunState
  }
  | {
    readonly _tag: "Stop"
    readonly category: ErrorCategory
    readonly policy: RetryPolicy
    readonly outcome: FailureOutcome
    readonly state: RunState
  }

/**
 * Decides what follows a failure of `category` at time `now`, carrying the server's `hint`
 * (milliseconds) if any. In order:
 *
 * 1. the veto (`retryable` answers `false`): `not_retryable`, and the budget is not charged;
 * 2. the switch (`enabled: false`): `disabled`;
 * 3. the category's compiled schedule, stepped with the error: its own stop (`not_retryable`,
 *    `exhausted`, `hint_exceeds_max_delay`), or the wait (raised to a hint, or the hint plus its
 *    spread under `hint: "exact"`);
 * 4. the budget is charged for the failure, whatever the decision so far, at the hinted cost only
 *    when the hint paced the wait; a budget backed by a store answers asynchronously;
 * 5. `maxAttempts`, then `maxElapsed` against the wait: `stopped_by_cap`;
 * 6. the budget's answer: `budget_exhausted`.
 *
 * @internal
 */
export const decide = (
  plan: Plan,
  state: RunState,
  category: ErrorCategory,
  error: unknown,
  rawHint: number | undefined,
  now: number,
  budget: RetryBudgetService | undefined
): Effect.Effect<Step> => {
  const ceiling = plan.maxWait ?? DEFAULT_MAX_WAIT
  const policy = bounded(plan.table[category], ceiling)
  const attempts = state.attempts + 1
  const stop = (outcome: FailureOutcome): Effect.Effect<Step> =>
    Effect.succeed({ _tag: "Stop", category, policy, outcome, state: { ...state, attempts } })
  const retryable = plan.retryable
  if (retryable !== undefined && call(() => retryable(error)) === false) return stop(RetryOutcome.NOT_RETRYABLE)
  const hint = hintWait(rawHint)
  // Every failed attempt past the veto is charged; only a hint that paced the wait earns the hinted cost.
  const charge = (paced: boolean, then: (allowed: boolean) => Effect.Effect<Step>): Effect.Effect<Step> => {
    if (budget === undefined) return then(true)
    const failure: BudgetFailure = { category, hinted: paced, contention: isContention(error), now }
    return budget.onFailure !== undefined
      ? Effect.flatMap(budget.onFailure(plan.budgetKey, failure), then)
      : then(budget.unsafeOnFailure(plan.budgetKey, failure))
  }
  if (!plan.enabled) return charge(hint !== undefined && hint > 0, () => stop(RetryOutcome.DISABLED))
  const i = categories.indexOf(category)
  const current: PolicyState = { n: state.retries[i], previous: state.previous[i], outcome: undefined, paced: false }
  // the category's compiled schedule, the very value `RetryPolicy.toSchedule` returns
  return Effect.flatMap(
    policySchedule(plan.table[category], ceiling).step(now, error, current) as Effect.Effect<Output>,
    ([next, delay, decision]): Effect.Effect<Step> => {
      if (ScheduleDecision.isDone(decision)) {
        return charge(hint !== undefined && hint > 0, () => stop(next.outcome ?? RetryOutcome.EXHAUSTED))
      }
      return charge(next.paced, (allowed) => verdict(next, delay, allowed))
    }
  )
  function verdict(next: PolicyState, delay: Duration.Duration, allowed: boolean): Effect.Effect<Step> {
    if (plan.maxAttempts !== undefined && attempts >= plan.maxAttempts) return stop(RetryOutcome.STOPPED_BY_CAP)
    const wait = Duration.toMillis(delay)
    if (plan.maxElapsed !== undefined && now - state.start + wait > plan.maxElapsed) {
      return stop(RetryOutcome.STOPPED_BY_CAP)
    }
    if (!allowed) return stop(RetryOutcome.BUDGET_EXHAUSTED)
    return Effect.succeed({
      _tag: "Retry",
      category,
      policy,
      n: current.n,
      wait,
      state: {
        attempts,
        retries: with1(state.retries, i, next.n),
        previous: with1(state.previous, i, next.previous),
        start: state.start
      }
    })
  }
}

/**
 * A `Schedule` over errors that runs {@link decide} for a table: `categorize` picks the category
 * of each error; the budget is the current `RetryBudget`.
 *
 * @internal
 */
export const tableSchedule = (
  table: StrategyTable,
  options: ClassifierOptions & {
    readonly maxAttempts?: number | undefined
    readonly maxElapsed?: number | undefined
    readonly retryable?: ((error: any) => boolean) | undefined
    readonly budgetKey?: string | undefined
  }
): Schedule.Schedule<Duration.Duration, unknown> => {
  const plan: Plan = {
    table,
    maxAttempts: options.maxAttempts,
    maxElapsed: options.maxElapsed,
    enabled: true,
    retryable: options.retryable,
    budgetKey: options.budgetKey ?? "default"
  }
  return Schedule.makeWithState<RunState | undefined, unknown, Duration.Duration>(undefined, (now, error, previous) => {
    const state = previous ?? initial(now)
    const category = call(() => classifier.classifyWith(error, options)) ?? "temporary_error"
    const hint = call(() => classifier.hintMillis(error, now))
    return Effect.flatMap(RetryBudget, (budget) =>
      Effect.map(
        decide(plan, state, category, error, hint, now, budget),
        (step) =>
          step._tag === "Retry"
            ? [step.state, Duration.millis(step.wait), ScheduleDecision.continueWith(Interval.after(now + step.wait))]
            : [step.state, Duration.zero, ScheduleDecision.done]
      ))
  })
}
