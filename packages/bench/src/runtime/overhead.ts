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
 */
import { RetryStats, TemporaryError, withIntelligentRetry } from "@intelligent-retry/core"
import { ConstantBackoff, handleAll, retry } from "cockatiel"
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import * as Schedule from "effect/Schedule"
import pRetry from "p-retry"
import type { CoreModule } from "./compiled.js"
import { loadCompiledCore } from "./compiled.js"
import type { Case, HarnessOptions, Measured } from "./harness.js"
import { difference, measure, ratio } from "./harness.js"

/** The no-op store (what `RetryStats.layerNoop` installs). */
export const noopStore: RetryStats.RetryStatsService = RetryStats.noop

/** A runtime whose context holds `store` as the current `RetryStats`. */
const runtimeWith = (store: RetryStats.RetryStatsService): Runtime.Runtime<never> =>
  Effect.runSync(Effect.provideService(Effect.runtime<never>(), RetryStats.RetryStats, store))

const error = new TemporaryError({ message: "upstream unavailable" })

/** The per-run strategies of the failure cases: zero waits, 2 retries (3 attempts). */
const immediate = {
  temporary_error: { decision: "retry_immediately", baseDelay: 0, maxRetries: 2 }
} as const

/** The cases that create closures per call, against core compiled by tsc (see `compiled.ts`). */
const compiledCases = (core: CoreModule): Array<Case> => {
  const floor = Effect.sync(() => 1)
  const happy = core.withIntelligentRetry(floor, { task: "bench" })
  // one error, built once: constructing an Error per attempt would time its stack trace
  const failure = new core.TemporaryError({ message: "upstream unavailable" })
  const failing = Effect.suspend(() => Effect.fail(failure))
  const failIr = core.withIntelligentRetry(failing, { task: "bench-fail", strategies: immediate })
  return [
    {
      id: "happyOnDist",
      label: "`withIntelligentRetry`, statistics on, **core compiled by tsc**",
      fn: () => Effect.runSync(happy)
    },
    {
      id: "happyPerCallDist",
      label: "`withIntelligentRetry` applied inside the call, **core compiled by tsc**",
      fn: () => Effect.runSync(core.withIntelligentRetry(floor, { task: "bench" }))
    },
    {
      id: "failIrOnDist",
      label: "3 failing attempts, `withIntelligentRetry`, statistics on, **core compiled by tsc**",
      fn: () => Effect.runSyncExit(failIr)
    }
  ]
}

export const effectCases = (): Array<Case> => {
  const succeed = Effect.succeed(1)
  const floor = Effect.sync(() => 1)
  const happy = withIntelligentRetry(floor, { task: "bench" })
  // runtimes built the same way, one holding the default store, one the no-op store
  const on = Runtime.runSync(runtimeWith(Effect.runSync(RetryStats.RetryStats)))
  const off = Runtime.runSync(runtimeWith(noopStore))
  const offExit = Runtime.runSyncExit(runtimeWith(noopStore))
  const happyProvided = Effect.provideService(happy, RetryStats.RetryStats, noopStore)
  const floorProvided = Effect.provideService(floor, RetryStats.RetryStats, noopStore)
  const retry3 = Effect.retry(floor, Schedule.recurs(3))
  const matched = Effect.matchEffect(floor, { onFailure: Effect.fail, onSuccess: Effect.succeed })
  const failing = Effect.suspend(() => Effect.fail(error))
  const failIr = withIntelligentRetry(failing, { task: "bench-fail", strategies: immediate })
  const failRetry = Effect.retry(failing, Schedule.recurs(2))
  return [
    { id: "succeed", label: "`Effect.succeed(1)` (an Exit: runSync's fast path)", fn: () => Effect.runSync(succeed) },
    { id: "floor", label: "`Effect.sync(() => 1)`: the floor", fn: () => Effect.runSync(floor) },
    {
      id: "matchEffect",
      label: "`Effect.matchEffect(floor, { onFailure: fail, onSuccess: succeed })`: one continuation, nothing else",
      fn: () => Effect.runSync(matched)
    },
    { id: "happyOn", label: "`withIntelligentRetry`, statistics on (default store)", fn: () => Effect.runSync(happy) },
    { id: "floorRtOn", label: "floor, in a runtime holding the default store", fn: () => on(floor) },
    { id: "happyRtOn", label: "`withIntelligentRetry`, in a runtime holding the default store", fn: () => on(happy) },
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

export const effectOptions: HarnessOptions = { rounds: 7, time: 250, warmupTime: 100, batch: 100 }
export const promiseOptions: HarnessOptions = { rounds: 7, time: 250, warmupTime: 100, batch: 50 }

export const runOverhead = async (log: (line: string) => void = () => {}): Promise<OverheadResults> => {
  log("building core with tsc (for the compiled cases)")
  const compiled = await loadCompiledCore(log)
  log("Effect cases")
  const effect = await measure(
    [...effectCases(), ...(compiled === undefined ? [] : compiledCases(compiled))],
    effectOptions,
    log
  )
  log("Promise cases")
  const promise = await measure(promiseCases(), promiseOptions, log)
  const e = Object.fromEntries(effect.map((m) => [m.id, m])) as Record<string, Measured>
  const p = Object.fromEntries(promise.map((m) => [m.id, m])) as Record<string, Measured>
  const happyRatio = ratio(e.happyOn, e.floor)
  const failRatio = ratio(e.failIrOn, e.failRetry)
  const recording = ratio(e.happyRtOn, e.happyRtOff) - 1
  const comparisons: Array<Comparison> = [
    {
      id: "happyOn/floor",
      label: "happy path, statistics on ÷ floor",
      ratio: happyRatio,
      addedNs: difference(e.happyOn, e.floor),
      target: "≤ 1.2×",
      met: happyRatio <= 1.2
    },
    {
      id: "matchEffect/floor",
      label: "a bare `matchEffect` ÷ floor: the least any combinator adds",
      ratio: ratio(e.matchEffect, e.floor),
      addedNs: difference(e.matchEffect, e.floor)
    },
    {
      id: "happyOn/matchEffect",
      label: "happy path, statistics on ÷ a bare `matchEffect`",
      ratio: ratio(e.happyOn, e.matchEffect),
      addedNs: difference(e.happyOn, e.matchEffect),
      target: "≤ 1.05×",
      met: ratio(e.happyOn, e.matchEffect) <= 1.05
    },
    {
      id: "happyRtOff/floorRtOff",
      label: "happy path, statistics off ÷ floor (both in the no-op-store runtime)",
      ratio: ratio(e.happyRtOff, e.floorRtOff),
      addedNs: difference(e.happyRtOff, e.floorRtOff)
    },
    {
      id: "happyRtOn/floorRtOn",
      label: "happy path, statistics on ÷ floor (both in the default-store runtime)",
      ratio: ratio(e.happyRtOn, e.floorRtOn),
      addedNs: difference(e.happyRtOn, e.floorRtOn)
    },
    {
      id: "happyProvided/floorProvided",
      label: "happy path ÷ floor, both under `provideService(RetryStats.RetryStats, noop)`",
      ratio: ratio(e.happyProvided, e.floorProvided),
      addedNs: difference(e.happyProvided, e.floorProvided)
    },
    {
      id: "floorProvided/floor",
      label: "`provideService` itself: floor under it ÷ floor",
      ratio: ratio(e.floorProvided, e.floor),
      addedNs: difference(e.floorProvided, e.floor)
    },
    {
      id: "happyPerCall/floor",
      label: "combinator applied per call ÷ floor",
      ratio: ratio(e.happyPerCall, e.floor),
      addedNs: difference(e.happyPerCall, e.floor)
    },
    {
      id: "retry3/floor",
      label: "`Effect.retry(self, recurs(3))` happy path ÷ floor",
      ratio: ratio(e.retry3, e.floor),
      addedNs: difference(e.retry3, e.floor)
    },
    {
      id: "happyOn/retry3",
      label: "happy path, statistics on ÷ `Effect.retry` happy path",
      ratio: ratio(e.happyOn, e.retry3)
    },
    {
      id: "recording",
      label: "recording on the happy path: statistics on ÷ off − 1 (same kind of runtime)",
      ratio: recording,
      addedNs: difference(e.happyRtOn, e.happyRtOff),
      target: "≤ 15%",
      met: recording <= 0.15
    },
    {
      id: "failIrOn/failRetry",
      label: "3 failing attempts, statistics on ÷ `Effect.retry`",
      ratio: failRatio,
      addedNs: difference(e.failIrOn, e.failRetry),
      target: "≤ 0.5×",
      met: failRatio <= 0.5
    },
    {
      id: "failIrOff/failRetry",
      label: "3 failing attempts, statistics off ÷ `Effect.retry`",
      ratio: ratio(e.failIrOff, e.failRetry),
      addedNs: difference(e.failIrOff, e.failRetry)
    },
    {
      id: "cockatiel-await",
      label: "cockatiel's added cost over `await fn()`",
      ratio: ratio(p.cockatiel, p.await),
      addedNs: difference(p.cockatiel, p.await)
    },
    {
      id: "pRetry-await",
      label: "p-retry's added cost over `await fn()`",
      ratio: ratio(p.pRetry, p.await),
      addedNs: difference(p.pRetry, p.await)
    },
    {
      id: "runPromiseIr-runPromise",
      label: "`withIntelligentRetry`'s added cost over `Effect.runPromise(Effect.promise(fn))`",
      ratio: ratio(p.runPromiseIr, p.runPromise),
      addedNs: difference(p.runPromiseIr, p.runPromise)
    },
    {
      id: "runPromiseRetry-runPromise",
      label: "`Effect.retry`'s added cost over `Effect.runPromise(Effect.promise(fn))`",
      ratio: ratio(p.runPromiseRetry, p.runPromise),
      addedNs: difference(p.runPromiseRetry, p.runPromise)
    },
    {
      id: "runPromise-await",
      label: "`Effect.runPromise(Effect.promise(fn))` over `await fn()`",
      ratio: ratio(p.runPromise, p.await),
      addedNs: difference(p.runPromise, p.await)
    }
  ]
  if (e.happyOnDist !== undefined) {
    const happyDist = ratio(e.happyOnDist, e.floor)
    const happyDistMatch = ratio(e.happyOnDist, e.matchEffect)
    const failDist = ratio(e.failIrOnDist, e.failRetry)
    comparisons.push(
      {
        id: "happyOnDist/matchEffect",
        label: "happy path, statistics on ÷ a bare `matchEffect`, core compiled by tsc",
        ratio: happyDistMatch,
        addedNs: difference(e.happyOnDist, e.matchEffect),
        target: "≤ 1.05×",
        met: happyDistMatch <= 1.05
      },
      {
        id: "happyOnDist/floor",
        label: "happy path, statistics on ÷ floor, core compiled by tsc",
        ratio: happyDist,
        addedNs: difference(e.happyOnDist, e.floor),
        target: "≤ 1.2×",
        met: happyDist <= 1.2
      },
      {
        id: "happyPerCallDist/floor",
        label: "combinator applied per call ÷ floor, core compiled by tsc",
        ratio: ratio(e.happyPerCallDist, e.floor),
        addedNs: difference(e.happyPerCallDist, e.floor)
      },
      {
        id: "failIrOnDist/failRetry",
        label: "3 failing attempts, statistics on ÷ `Effect.retry`, core compiled by tsc",
        ratio: failDist,
        addedNs: difference(e.failIrOnDist, e.failRetry),
        target: "≤ 0.5×",
        met: failDist <= 0.5
      }
    )
  }
  return { options: { effect: effectOptions, promise: promiseOptions }, effect, promise, comparisons }
}
