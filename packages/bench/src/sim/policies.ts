/**
 * Retry policies as the simulator drives them: after each failed attempt a policy answers with the
 * wait before the next attempt, or gives up.
 *
 * - This library's policies are its *real* compiled schedules (`Strategies.toSchedule`), stepped
 *   one decision at a time with `schedule.step(now, error, state)` under `Runtime.runSync`, their
 *   jitter drawn from the simulation's seeded stream through Effect's `Random` service, and its
 *   real `RetryBudget` service (`unsafeOnFailure` / `unsafeOnSuccess`), called as
 *   `withIntelligentRetry` calls it.
 * - `Effect.retry` baselines step Effect's own `Schedule`s the same way.
 * - cockatiel's default backoff is cockatiel's own `ExponentialBackoff`, its `Math.random` drawn
 *   from the seeded stream while it runs.
 * - The AWS formulas (Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015),
 *   p-retry's and Celery's defaults are small formulas, written from their documentation and
 *   source (p-retry 7 `calculateDelay`; Celery `get_exponential_backoff_interval`).
 */
import { RetryBudget, Strategies } from "@intelligent-retry/core"
import { ExponentialBackoff } from "cockatiel"
import type { IBackoff } from "cockatiel"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import type { Rng } from "./random.js"

/**
 * The epoch of simulated time: simulated millisecond `t` is `EPOCH + t` for everything that
 * reads a wall clock (the library's schedules, HTTP-date headers).
 */
export const EPOCH = Date.UTC(2025, 0, 6, 12, 0, 0)

/** The retry state of one logical request. */
export interface Retrier {
  /** A failed attempt at `now`: the wait in milliseconds before the next attempt, or `undefined` to give up. */
  failure(now: number, error: unknown): number | undefined
  /** A successful attempt at `now`. */
  success(now: number): void
}

/** A policy: per simulation run, a factory of per-request retriers that may share state (a budget). */
export interface Policy {
  readonly name: string
  readonly family: "reference" | "baseline" | "library"
  /** One line: the parameters as simulated. */
  readonly detail: string
  readonly start: (rng: Rng) => () => Retrier
  /**
   * How the clients of a run share server hints, where the scenario models it (rate limit):
   * `every` for a client that opts in to shared cool-downs, as the platform HTTP transform does by
   * default. Left out: `off`.
   */
  readonly cooldown?: "off" | "first" | "every" | undefined
}

export interface Backoff {
  /** First delay, milliseconds. */
  readonly base: number
  /** Largest delay, milliseconds. */
  readonly cap: number
  /** Retries per request (attempts − 1); `Infinity` for none. */
  readonly maxRetries: number
}

const show = (ms: number): string => (ms === Infinity ? "∞" : ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`)
const retriesText = (n: number): string => n === Infinity ? "unbounded retries" : n === 1 ? "1 retry" : `${n} retries`

// ---------------------------------------------------------------------------------------------
// no retry, the AWS formulas
// ---------------------------------------------------------------------------------------------

const never: Retrier = { failure: () => undefined, success: () => {} }

export const noRetry: Policy = {
  name: "no retry",
  family: "baseline",
  detail: "one attempt",
  start: () => () => never
}

export type AwsKind = "none" | "exponential" | "full" | "equal" | "decorrelated"

/**
 * The five clients of the AWS simulator, as in its `backoff_simulator.py`: the attempt counter is
 * incremented before the backoff is computed, so the first wait is `expo(1) = 2 × base`;
 * decorrelated jitter starts from `sleep = base`.
 */
export const aws = (kind: AwsKind, { base, cap, maxRetries }: Backoff): Policy => ({
  name: (kind === "none"
    ? "no backoff"
    : kind === "exponential"
    ? "exponential, no jitter"
    : kind === "full"
    ? "full jitter"
    : kind === "equal"
    ? "equal jitter"
    : "decorrelated jitter") + (maxRetries === 1 ? ", 1 retry" : ""),
  family: "reference",
  detail: kind === "none"
    ? `retry at once, ${retriesText(maxRetries)}`
    : kind === "decorrelated"
    ? `min(cap, U(base, 3 × sleep)), base ${show(base)}, cap ${show(cap)}, ${retriesText(maxRetries)}`
    : `min(cap, base × 2^n) from n = 1${kind === "exponential" ? "" : `, ${kind} jitter`}, base ${show(base)}, cap ${
      show(cap)
    }, ${retriesText(maxRetries)}`,
  start: (rng) => () => {
    let attempt = 0
    let sleep = base
    return {
      failure: () => {
        if (attempt >= maxRetries) return undefined
        attempt++
        const expo = Math.min(cap, 2 ** attempt * base)
        switch (kind) {
          case "none":
            return 0
          case "exponential":
            return expo
          case "full":
            return rng.uniform(0, expo)
          case "equal":
            return expo / 2 + rng.uniform(0, expo / 2)
          case "decorrelated":
            sleep = Math.min(cap, rng.uniform(base, sleep * 3))
            return sleep
        }
      },
      success: () => {}
    }
  }
})

// ---------------------------------------------------------------------------------------------
// stepping an Effect Schedule
// ---------------------------------------------------------------------------------------------

/**
 * One decision of a `Schedule` over errors, as `Effect.retry`'s driver takes it: step at `now`
 * with the error as input; `done` gives up; otherwise the wait is the start of the next interval
 * minus now.
 */
export class ScheduleStepper {
  private state: unknown
  /**
   * `budget`: the `RetryBudget` the library's schedules charge (they read the current one, as
   * `withIntelligentRetry` does); `null` turns budgeting off; left out, the schedule runs as given.
   */
  constructor(
    private readonly schedule: Schedule.Schedule<unknown, unknown>,
    private readonly rng: Rng,
    private readonly budget?: RetryBudgetService | null
  ) {
    this.state = schedule.initial
  }
  step(now: number, error: unknown): number | undefined {
    const step = this.schedule.step(now, error, this.state)
    const budgeted = this.budget === undefined
      ? step
      : Effect.provideService(step, RetryBudget.RetryBudget, this.budget === null ? undefined : this.budget)
    // runs with the simulation's stream as Effect's `Random` service
    const [state, , decision] = Runtime.runSync(this.rng.effectRuntime)(budgeted)
    this.state = state
    if (ScheduleDecision.isDone(decision)) return undefined
    return Math.max(0, Intervals.start(decision.intervals) - now)
  }
}

/** `Effect.retry(self, Schedule.exponential(base))`, capped with `modifyDelay` and limited with `recurs`. */
export const effectExponential = ({ base, cap, maxRetries }: Backoff): Policy => {
  const capped = Schedule.exponential(Duration.millis(base)).pipe(
    Schedule.modifyDelay((_, d) => Duration.min(d, Duration.millis(cap)))
  )
  const schedule: Schedule.Schedule<unknown, unknown> = maxRetries === Infinity
    ? capped
    : Schedule.intersect(capped, Schedule.recurs(maxRetries))
  return {
    name: "Effect.retry + Schedule.exponential",
    family: "baseline",
    detail: `base × 2^n from n = 0, base ${show(base)}, cap ${show(cap)}, ${retriesText(maxRetries)}, no jitter`,
    start: (rng) => () => {
      const stepper = new ScheduleStepper(schedule, rng)
      return { failure: (now, error) => stepper.step(EPOCH + now, error), success: () => {} }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// cockatiel, p-retry, Celery
// ---------------------------------------------------------------------------------------------

export interface CockatielOptions {
  readonly maxAttempts?: number
  readonly initialDelay?: number
  readonly maxDelay?: number
}

/**
 * cockatiel's `retry(handleAll, { backoff: new ExponentialBackoff(), maxAttempts })`: its own
 * `ExponentialBackoff` (decorrelated jitter, Polly's "V2" formula; defaults 128 ms initial, 30 s
 * max), stepped as its `RetryPolicy` steps it, with `Math.random` drawn from the seeded stream.
 * `maxAttempts` counts retries, as in cockatiel; its default is unbounded.
 */
export const cockatiel = (options: CockatielOptions = {}): Policy => {
  const { initialDelay, maxAttempts = Infinity, maxDelay } = options
  const factory = new ExponentialBackoff({
    ...(initialDelay === undefined ? {} : { initialDelay }),
    ...(maxDelay === undefined ? {} : { maxDelay })
  })
  return {
    name: initialDelay === undefined && maxDelay === undefined
      ? maxAttempts === Infinity
        ? "cockatiel ExponentialBackoff (defaults)"
        : "cockatiel ExponentialBackoff (default backoff)"
      : "cockatiel ExponentialBackoff",
    family: "baseline",
    detail: `decorrelated jitter, initial ${show(initialDelay ?? 128)}, max ${show(maxDelay ?? 30_000)}, ${
      retriesText(maxAttempts)
    }`,
    start: (rng) => () => {
      let backoff: IBackoff<unknown> | undefined
      let retries = 0
      return {
        failure: () => {
          if (retries >= maxAttempts) return undefined
          retries++
          backoff = rng.withMathRandom(() => (backoff === undefined ? factory.next() : backoff.next(undefined)))
          return backoff.duration
        },
        success: () => {}
      }
    }
  }
}

/**
 * p-retry: `retries` (default 10), `factor: 2, minTimeout: 1000, maxTimeout: Infinity,
 * randomize: false`, its other defaults: wait `round(minTimeout × factor^(attempt − 1))`.
 */
export const pRetry = ({ retries = 10 }: { readonly retries?: number } = {}): Policy => ({
  name: retries === 10 ? "p-retry (defaults)" : "p-retry",
  family: "baseline",
  detail: `1 s × 2^(n−1), ${retriesText(retries)}, no cap, no jitter`,
  start: () => () => {
    let attempt = 0
    return {
      failure: () => {
        attempt++
        if (attempt >= retries + 1) return undefined
        return Math.min(Infinity, Math.round(Math.max(1000, 1) * 2 ** (attempt - 1)))
      },
      success: () => {}
    }
  }
})

/**
 * Celery with `autoretry_for`, `retry_backoff=True`, `retry_jitter=True` and the default
 * `retry_backoff_max=600`: `countdown = randrange(min(600, 2^retries) + 1)` whole seconds, retries
 * counted from 0; `max_retries` defaults to 3.
 */
export const celery = ({ maxRetries = 3 }: { readonly maxRetries?: number } = {}): Policy => ({
  name: maxRetries === 3 ? "Celery (retry_backoff, retry_jitter)" : "Celery",
  family: "baseline",
  detail: `randrange(min(600, 2^n) + 1) s from n = 0, full jitter, max_retries ${maxRetries}`,
  start: (rng) => () => {
    let retries = 0
    return {
      failure: () => {
        if (retries >= maxRetries) return undefined
        const countdown = Math.min(600, 2 ** retries)
        retries++
        return rng.int(countdown + 1) * 1000
      },
      success: () => {}
    }
  }
})

// ---------------------------------------------------------------------------------------------
// this library
// ---------------------------------------------------------------------------------------------

/** Options of `RetryBudget.layer`. */
export type RetryBudgetOptions = RetryBudget.RetryBudgetOptions
/** The budget service. */
export type RetryBudgetService = RetryBudget.RetryBudgetService

/** The budget service `RetryBudget.layer(options)` provides: one fresh bucket. */
export const makeBudget = (options: RetryBudgetOptions): RetryBudgetService => Effect.runSync(RetryBudget.make(options))

export interface LibraryOptions {
  /** The run-wide cap on attempts (`withIntelligentRetry`'s `maxAttempts`). */
  readonly maxAttempts?: number
  /**
   * The budget, one per simulation run: options for `RetryBudget.layer(options)`, or `"none"`
   * (`RetryBudget.layerNone`). Left out: the default budget, as a run with no layer gets it.
   */
  readonly budget?: RetryBudgetOptions | "none"
  /** Shared cool-downs (see `Policy.cooldown`): `every` as the platform HTTP transform by default. */
  readonly cooldown?: "off" | "first" | "every"
}

/**
 * This library: `Strategies.toSchedule(table, { maxAttempts })`, stepped per failure with the
 * budget as the current `RetryBudget`, so that the schedule's own decision step charges it exactly
 * as `withIntelligentRetry` does (after the policy step, a hint earning the hinted cost only when it
 * paced the wait); every success deposits.
 */
export const library = (
  name: string,
  table: Strategies.StrategyTable,
  options: LibraryOptions = {},
  detail = ""
): Policy => {
  const schedule = Strategies.toSchedule(table, { maxAttempts: options.maxAttempts })
  const budget = options.budget
  return {
    name: budget === undefined ? name : budget === "none" ? `${name}, budget off` : `${name} + budget`,
    family: "library",
    detail: [
      detail,
      options.maxAttempts === undefined ? "" : `maxAttempts ${options.maxAttempts}`,
      budget === "none" ? "RetryBudget.layerNone" : budgetText(budget ?? {}),
      options.cooldown === undefined || options.cooldown === "off"
        ? ""
        : `cool-downs shared by every client (${options.cooldown} attempt${options.cooldown === "every" ? "s" : ""})`
    ].filter((s) => s !== "").join("; "),
    cooldown: options.cooldown,
    start: (rng) => {
      const service = budget === "none" ? null : makeBudget(budget ?? {})
      return () => {
        const stepper = new ScheduleStepper(schedule, rng, service)
        return {
          failure: (now, error) => stepper.step(EPOCH + now, error),
          success: () => service?.unsafeOnSuccess("default")
        }
      }
    }
  }
}

/** A fleet of `workers` processes, requests spread round-robin: per-process default budgets, or one shared (as `RedisRetry.layer` shares it). */
export const fleet = (
  name: string,
  table: Strategies.StrategyTable,
  workers: number,
  shared: boolean,
  detail = ""
): Policy => {
  const schedule = Strategies.toSchedule(table)
  return {
    name: `${name}, ${workers} workers, ${shared ? "one shared budget" : "a budget each"}`,
    family: "library",
    detail: [detail, shared ? "one default budget for the fleet" : `${workers} default budgets`].join("; "),
    start: (rng) => {
      const budgets = Array.from({ length: shared ? 1 : workers }, () => makeBudget({}))
      let next = 0
      return () => {
        const service = budgets[next++ % budgets.length]
        const stepper = new ScheduleStepper(schedule, rng, service)
        return {
          failure: (now, error) => stepper.step(EPOCH + now, error),
          success: () => service.unsafeOnSuccess("default")
        }
      }
    }
  }
}

const budgetText = (options: RetryBudgetOptions): string =>
  `budget ${options.maxTokens ?? 50} tokens, +${options.tokenRatio ?? 0.1} per success`

/** A full table: the defaults with `overrides` laid over them (validated by the library). */
export const table = (overrides: Strategies.StrategyTableInput): Strategies.StrategyTable => {
  const merged = Strategies.merge(Strategies.defaults, overrides)
  if (merged._tag === "Left") throw merged.left
  return merged.right
}

/** A preset as a full table (a preset is partial; the defaults fill the rest). */
export const preset = (partial: Partial<Strategies.StrategyTable>): Strategies.StrategyTable => ({
  ...Strategies.defaults,
  ...partial
})
