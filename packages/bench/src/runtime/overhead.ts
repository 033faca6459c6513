/**
 * What `withIntelligentRetry` costs on every call, next to what a user would use instead.
 *
 * Every effect is built once, outside the timed loop; only running it is timed. The floor is
 * `Effect.sync(() => 1)`, the same effect with no retry: `Effect.succeed(1)` is itself an `Exit`,
 * which `Effect.runSync` returns without starting a fiber (tens of nanoseconds), so it is no
 * floor for an effect that does any work.
 *
 * "Statistics off" runs in a runtime whose context holds the no-op store, so nothing is provided
 * per call; its twin runtime holds the default store, and the recording cost is the difference
 * between the two. `Effect.provideService(effect, RetryStats, noop)`, built once, still switches
 * the context on every call; it is measured as well, next to the floor wrapped the same way.
 *
 * Everything here runs compiled by tsc (`pnpm bench` builds core and this package first): the
 * numbers are those of the JavaScript users run.
 */
import {
  RetryBudget,
  RetryStats,
  TemporaryError,
  withCircuitBreaker,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { ConstantBackoff, handleAll, retry } from "cockatiel"
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import * as Schedule from "effect/Schedule"
import pRetry from "p-retry"
import type { Case, HarnessOptions, Measured } from "./harness.js"
import { difference, measure, ratio, ratioRange } from "./harness.js"

/** The no-op store (what `RetryStats.layerNoop` installs). */
export const noopStore: RetryStats.RetryStatsService = RetryStats.noop

/** A runtime whose context holds `store` as the current `RetryStats` (and `budget`, if given). */
const runtimeWith = (
  store: RetryStats.RetryStatsService,
  budget?: RetryBudget.RetryBudgetService | undefined
): Runtime.Runtime<never> => {
  const withStore = Effect.provideService(Effect.runtime<never>(), RetryStats.RetryStats, store)
  return Effect.runSync(
    budget === undefined ? withStore : Effect.provideService(withStore, RetryBudget.RetryBudget, budget)
  )
}

/** The budget `RetryBudget.layerNone` installs: budgeting off. */
const noBudget: RetryBudget.RetryBudgetService | undefined = Effect.runSync(
  Effect.provide(RetryBudget.RetryBudget, RetryBudget.layerNone)
)

const error = new TemporaryError({ message: "upstream unavailable" })

/** The per-run strategies of the failure cases: zero waits, 2 retries (3 attempts). */
const immediate = {
  temporary_error: { decision: "retry_immediately", baseDelay: 0, maxRetries: 2 }
} as const

export const effectCases = (): Array<Case> => {
  const succeed = Effect.succeed(1)
  const floor = Effect.sync(() => 1)
  const happy = withIntelligentRetry(floor, { task: "bench" })
  // runtimes built the same way, one holding the default store, one the no-op store
  const defaultStore = Effect.runSync(RetryStats.RetryStats)
  const on = Runtime.runSync(runtimeWith(defaultStore))
  // the same, but with budgeting off (`RetryBudget.layerNone`): what the default budget costs
  const onNoBudget = Runtime.runSync(runtimeWith(defaultStore, noBudget))
  const off = Runtime.runSync(runtimeWith(noopStore))
  const offExit = Runtime.runSyncExit(runtimeWith(noopStore))
  const happyProvided = Effect.provideService(happy, RetryStats.RetryStats, noopStore)
  const floorProvided = Effect.provideService(floor, RetryStats.RetryStats, noopStore)
  const retry3 = Effect.retry(floor, Schedule.recurs(3))
  const matched = Effect.matchEffect(floor, { onFailure: Effect.fail, onSuccess: Effect.succeed })
  // the same continuation after one run-loop step that reads the fiber (what reading the context
  // before the first attempt costs at least)
  const stepped = Effect.withFiberRuntime(() => matched)
  const failing = Effect.suspend(() => Effect.fail(error))
  const failIr = withIntelligentRetry(failing, { task: "bench-fail", strategies: immediate })
  const failRetry = Effect.retry(failing, Schedule.recurs(2))
  const breaker = withCircuitBreaker(floor, { key: "bench" })
  return [
    { id: "succeed", label: "`Effect.succeed(1)` (an Exit: runSync's fast path)", fn: () => Effect.runSync(succeed) },
    { id: "floor", label: "`Effect.sync(() => 1)`: the floor", fn: () => Effect.runSync(floor) },
    {
      id: "matchEffect",
      label: "`Effect.matchEffect(floor, { onFailure: fail, onSuccess: succeed })`: one continuation, nothing else",
      fn: () => Effect.runSync(matched)
    },
    {
      id: "stepped",
      label: "`Effect.withFiberRuntime(() => matchEffect(…))`: one step that reads the fiber, then the continuation",
      fn: () => Effect.runSync(stepped)
    },
    { id: "happyOn", label: "`withIntelligentRetry`, statistics on (default store)", fn: () => Effect.runSync(happy) },
    { id: "floorRtOn", label: "floor, in a runtime holding the default store", fn: () => on(floor) },
    { id: "happyRtOn", label: "`withIntelligentRetry`, in a runtime holding the default store", fn: () => on(happy) },
    {
      id: "floorRtOnNoBudget",
      label: "floor, in a runtime holding the default store and no budget (`RetryBudget.layerNone`)",
      fn: () => onNoBudget(floor)
    },
    {
      id: "happyRtOnNoBudget",
      label: "`withIntelligentRetry`, in a runtime holding the default store and no budget",
      fn: () => onNoBudget(happy)
    },
    { id: "floorRtOff", label: "floor, in a runtime holding the no-op store", fn: () => off(floor) },
    {
      id: "happyRtOff",
      label: "`withIntelligentRetry`, statistics off: in a runtime holding the no-op store",
      fn: () => off(happy)
    },
    {
      id: "floorProvided",
      label: "floor under `Effect.provideService(RetryStats.RetryStats, noop)`",
      fn: () => Effect.runSync(floorProvided)
    },
    {
      id: "happyProvided",
      label: "`withIntelligentRetry` under `Effect.provideService(RetryStats.RetryStats, noop)`",
      fn: () => Effect.runSync(happyProvided)
    },
    {
      id: "happyPerCall",
      label: "`withIntelligentRetry` applied inside the call (options validated per call)",
      fn: () => Effect.runSync(withIntelligentRetry(floor, { task: "bench" }))
    },
    {
      id: "retry3",
      label: "`Effect.retry(self, Schedule.recurs(3))`, first attempt succeeds",
      fn: () => Effect.runSync(retry3)
    },
    {
      id: "breaker",
      label: "`withCircuitBreaker(floor, { key })`, closed (the default in-process store)",
      fn: () => Effect.runSync(breaker)
    },
    { id: "failFloor", label: "failing effect, one attempt, no retry", fn: () => Effect.runSyncExit(failing) },
    {
      id: "failIrOn",
      label: "3 failing attempts, `withIntelligentRetry` (zero waits), statistics on",
      fn: () => Effect.runSyncExit(failIr)
    },
    {
      id: "failIrOff",
      label: "3 failing attempts, `withIntelligentRetry` (zero waits), statistics off (runtime)",
      fn: () => offExit(failIr)
    },
    {
      id: "failRetry",
      label: "3 failing attempts, `Effect.retry(self, Schedule.recurs(2))`",
      fn: () => Effect.runSyncExit(failRetry)
    }
  ]
}

export const promiseCases = (): Array<Case> => {
  const fn = async () => 1
  const cockatielPolicy = retry(handleAll, { maxAttempts: 3, backoff: new ConstantBackoff(0) })
  const promised = Effect.promise(fn)
  const ir = withIntelligentRetry(promised, { task: "bench-promise" })
  const effectRetry = Effect.retry(promised, Schedule.recurs(3))
  return [
    { id: "await", label: "`await fn()`", fn, async: true },
    {
      id: "cockatiel",
      label: "cockatiel `retry(handleAll, { maxAttempts: 3, backoff: new ConstantBackoff(0) }).execute(fn)`",
      fn: () => cockatielPolicy.execute(fn),
      async: true
    },
    { id: "pRetry", label: "p-retry `pRetry(fn, { retries: 3 })`", fn: () => pRetry(fn, { retries: 3 }), async: true },
    {
      id: "runPromise",
      label: "`Effect.runPromise(Effect.promise(fn))`",
      fn: () => Effect.runPromise(promised),
      async: true
    },
    {
      id: "runPromiseIr",
      label: "`Effect.runPromise(withIntelligentRetry(Effect.promise(fn)))`",
      fn: () => Effect.runPromise(ir),
      async: true
    },
    {
      id: "runPromiseRetry",
      label: "`Effect.runPromise(Effect.retry(Effect.promise(fn), Schedule.recurs(3)))`",
      fn: () => Effect.runPromise(effectRetry),
      async: true
    }
  ]
}

export interface Comparison {
  readonly id: string
  readonly label: string
  /** Median over rounds of the ratio. */
  readonly ratio?: number
  /** Smallest and largest per-round ratio. */
  readonly low?: number
  readonly high?: number
  /** Median over rounds of the difference, nanoseconds. */
  readonly addedNs?: number
  readonly target?: string
  readonly met?: boolean
}

export interface OverheadResults {
  readonly options: { readonly effect: HarnessOptions; readonly promise: HarnessOptions }
  readonly effect: ReadonlyArray<Measured>
  readonly promise: ReadonlyArray<Measured>
  readonly comparisons: ReadonlyArray<Comparison>
}

// many short rounds rather than a few long ones: on a shared machine the load changes within
// seconds, and a ratio is only as good as the two cases' measurements are close in time
export const effectOptions: HarnessOptions = { rounds: 21, time: 80, warmupTime: 20, batch: 100 }
export const promiseOptions: HarnessOptions = { rounds: 7, time: 250, warmupTime: 100, batch: 50 }

/** `a ÷ b` and `a − b`, within each round; with a goal, whether the median meets it. */
const compare = (
  id: string,
  label: string,
  a: Measured,
  b: Measured,
  goal?: { readonly target?: string; readonly max?: number; readonly minus?: number }
): Comparison => {
  const minus = goal?.minus ?? 0
  const x = ratio(a, b) - minus
  const [low, high] = ratioRange(a, b)
  return {
    id,
    label,
    ratio: x,
    low: low - minus,
    high: high - minus,
    addedNs: difference(a, b),
    ...(goal?.target === undefined || goal.max === undefined ? {} : { target: goal.target, met: x <= goal.max })
  }
}

export const runOverhead = async (log: (line: string) => void = () => {}): Promise<OverheadResults> => {
  log("Effect cases")
  const effect = await measure(effectCases(), effectOptions, log)
  log("Promise cases")
  const promise = await measure(promiseCases(), promiseOptions, log)
  const e = Object.fromEntries(effect.map((m) => [m.id, m])) as Record<string, Measured>
  const p = Object.fromEntries(promise.map((m) => [m.id, m])) as Record<string, Measured>
  const comparisons: Array<Comparison> = [
    compare("happyOn/floor", "happy path, statistics on ÷ floor", e.happyOn, e.floor, { target: "≤ 1.2×", max: 1.2 }),
    compare("matchEffect/floor", "a bare `matchEffect` ÷ floor: the least any combinator adds", e.matchEffect, e.floor),
    compare("happyOn/matchEffect", "happy path, statistics on ÷ a bare `matchEffect`", e.happyOn, e.matchEffect, {
      target: "≤ 1.05×",
      max: 1.05
    }),
    compare(
      "stepped/matchEffect",
      "one `withFiberRuntime` step before the continuation ÷ a bare `matchEffect`",
      e.stepped,
      e.matchEffect
    ),
    compare(
      "happyOn/stepped",
      "happy path, statistics on ÷ that step and the continuation",
      e.happyOn,
      e.stepped
    ),
    compare(
      "happyRtOff/floorRtOff",
      "happy path, statistics off ÷ floor (both in the no-op-store runtime)",
      e.happyRtOff,
      e.floorRtOff
    ),
    compare(
      "happyRtOn/floorRtOn",
      "happy path, statistics on ÷ floor (both in the default-store runtime)",
      e.happyRtOn,
      e.floorRtOn
    ),
    compare(
      "happyRtOnNoBudget/floorRtOnNoBudget",
      "happy path, statistics on, no budget ÷ floor (both in the default-store, no-budget runtime)",
      e.happyRtOnNoBudget,
      e.floorRtOnNoBudget
    ),
    compare(
      "budget",
      "the default budget on the happy path: default budget ÷ `RetryBudget.layerNone` − 1 (each runtime's own floor " +
        "alike)",
      e.happyRtOn,
      e.happyRtOnNoBudget,
      { minus: 1 }
    ),
    compare(
      "happyProvided/floorProvided",
      "happy path ÷ floor, both under `provideService(RetryStats.RetryStats, noop)`",
      e.happyProvided,
      e.floorProvided
    ),
    compare("floorProvided/floor", "`provideService` itself: floor under it ÷ floor", e.floorProvided, e.floor),
    compare("happyPerCall/floor", "combinator applied per call ÷ floor", e.happyPerCall, e.floor),
    compare("retry3/floor", "`Effect.retry(self, recurs(3))` happy path ÷ floor", e.retry3, e.floor),
    compare("happyOn/retry3", "happy path, statistics on ÷ `Effect.retry` happy path", e.happyOn, e.retry3),
    compare(
      "recording",
      "recording on the happy path: statistics on ÷ off − 1 (same kind of runtime)",
      e.happyRtOn,
      e.happyRtOff,
      { target: "≤ 15%", max: 0.15, minus: 1 }
    ),
    compare("breaker/floor", "`withCircuitBreaker`, closed, ÷ floor", e.breaker, e.floor),
    compare("breaker/matchEffect", "`withCircuitBreaker`, closed, ÷ a bare `matchEffect`", e.breaker, e.matchEffect),
    compare(
      "breaker/stepped",
      "`withCircuitBreaker`, closed, ÷ one step that reads the fiber, then a continuation (its least)",
      e.breaker,
      e.stepped
    ),
    compare("failIrOn/failRetry", "3 failing attempts, statistics on ÷ `Effect.retry`", e.failIrOn, e.failRetry, {
      target: "≤ 0.5×",
      max: 0.5
    }),
    compare("failIrOff/failRetry", "3 failing attempts, statistics off ÷ `Effect.retry`", e.failIrOff, e.failRetry),
    compare("cockatiel-await", "cockatiel's added cost over `await fn()`", p.cockatiel, p.await),
    compare("pRetry-await", "p-retry's added cost over `await fn()`", p.pRetry, p.await),
    compare(
      "runPromiseIr-runPromise",
      "`withIntelligentRetry`'s added cost over `Effect.runPromise(Effect.promise(fn))`",
      p.runPromiseIr,
      p.runPromise
    ),
    compare(
      "runPromiseRetry-runPromise",
      "`Effect.retry`'s added cost over `Effect.runPromise(Effect.promise(fn))`",
      p.runPromiseRetry,
      p.runPromise
    ),
    compare("runPromise-await", "`Effect.runPromise(Effect.promise(fn))` over `await fn()`", p.runPromise, p.await)
  ]
  return { options: { effect: effectOptions, promise: promiseOptions }, effect, promise, comparisons }
}
