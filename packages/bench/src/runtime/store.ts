/**
 * The statistics store: recording throughput, and memory and analysis time for 1,000,000 failures
 * over 1,000 task names and 48 simulated hours. Run with `--expose-gc` so that heap sizes are
 * measured after a full collection.
 *
 * The store takes the time from its caller (`unsafeRecordFailure(task, category, error, attempt,
 * now)`), so simulated time is passed directly; cleanup reads `Clock`, so it runs under a clock
 * fixed at the simulated time.
 */
import type { ErrorCategory } from "@intelligent-retry/core"
import { NetworkError, RateLimitError, RetryStats, TemporaryError } from "@intelligent-retry/core"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { HarnessOptions, Measured } from "./harness.js"
import { measure, median } from "./harness.js"

type Store = RetryStats.RetryStatsService

const freshStore = (): Store => Effect.runSync(RetryStats.make())

/** A `Clock` stopped at `millis`: for effects that read the time (cleanup, analysis windows). */
export const fixedClock = (millis: number): Clock.Clock => ({
  [Clock.ClockTypeId]: Clock.ClockTypeId,
  unsafeCurrentTimeMillis: () => millis,
  currentTimeMillis: Effect.succeed(millis),
  unsafeCurrentTimeNanos: () => BigInt(millis) * 1_000_000n,
  currentTimeNanos: Effect.succeed(BigInt(millis) * 1_000_000n),
  sleep: () => Effect.void
})

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect === undefined) throw new Error("run with node --expose-gc")
  collect()
  collect()
}

/**
 * JavaScript heap plus the backing stores of typed arrays (`arrayBuffers`), which V8 keeps
 * outside `heapUsed`: the store's buckets and totals are typed arrays.
 */
const heapMiB = (): number => {
  gc()
  const usage = process.memoryUsage()
  return (usage.heapUsed + usage.arrayBuffers) / 1024 / 1024
}

const categories: ReadonlyArray<ErrorCategory> = [
  "network_error",
  "api_rate_limit",
  "temporary_error",
  "temporary_error"
]

/** A few realistic errors: tagged, with a URL carrying a secret, and plain Node-style. */
const errors: ReadonlyArray<unknown> = [
  new NetworkError({ message: "connect ECONNREFUSED 10.0.0.12:443" }),
  new RateLimitError({
    message: "429 Too Many Requests from https://api.example.com/v1/track?id=1Z999&api_key=sk_live_abc"
  }),
  new TemporaryError({ message: "503 Service Unavailable" }),
  Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
]

export const recordingOptions: HarnessOptions = { rounds: 5, time: 200, warmupTime: 100, batch: 200 }

/** ns per recorded failure, retry and outcome, into a fresh default store (metrics and samples on). */
export const recording = async (log: (line: string) => void): Promise<Array<Measured>> => {
  const store = freshStore()
  const quiet = Effect.runSync(RetryStats.make({ sampleSize: 0, metrics: false }))
  let now = Date.now()
  const counter = store.unsafeSuccessCounter!("bench")!
  const clock = Effect.runSync(Effect.clock)
  const tagged = errors[2]
  const plain = errors[3]
  return measure(
    [
      {
        id: "failureTagged",
        label: "`unsafeRecordFailure`, a `TemporaryError` (default store)",
        fn: () => store.unsafeRecordFailure("bench", "temporary_error", tagged, 1, now++)
      },
      {
        id: "failurePlain",
        label: "`unsafeRecordFailure`, a Node `Error` with a code (default store)",
        fn: () => store.unsafeRecordFailure("bench", "network_error", plain, 1, now++)
      },
      {
        id: "failureQuiet",
        label: "`unsafeRecordFailure`, store with `sampleSize: 0, metrics: false`",
        fn: () => quiet.unsafeRecordFailure("bench", "temporary_error", tagged, 1, now++)
      },
      {
        id: "retry",
        label: "`unsafeRecordRetry` (default store)",
        fn: () => store.unsafeRecordRetry("bench", "network_error", 100, now++)
      },
      {
        id: "success",
        label: "`unsafeRecordOutcome(succeeded_first_try)` (default store)",
        fn: () => store.unsafeRecordOutcome("bench", "succeeded_first_try", undefined, 0, now++)
      },
      {
        id: "clock",
        label: "reading the default `Clock` (`unsafeCurrentTimeMillis`), for comparison",
        fn: () => clock.unsafeCurrentTimeMillis()
      },
      {
        id: "successCounter",
        label: "the success counter of `unsafeSuccessCounter(task)`, what the combinator calls (default store)",
        fn: () => counter()
      }
    ],
    recordingOptions,
    log
  )
}

export interface VolumeResult {
  readonly failures: number
  readonly tasks: number
  readonly hours: number
  readonly cleanup: string
  readonly recordSeconds: number
  readonly nsPerFailure: number
  readonly heapBaseMiB: number
  /** Heap growth (after GC) at simulated hours 12, 24, 36, 48. */
  readonly growthMiB: ReadonlyArray<{ readonly hour: number; readonly mib: number }>
  /** Median time of `analyzeTaskErrors()` over all tasks, milliseconds, after 10% and 100% of the events. */
  readonly analyzeMsAt10pc: number
  readonly analyzeMs: number
  readonly analyzeOneTaskMs: number
  readonly getErrorStatisticsMs: number
  readonly totalErrorsHeld: number
}

const timeMs = (f: () => unknown, times = 15): number => {
  f()
  const samples: Array<number> = []
  for (let i = 0; i < times; i++) {
    const t0 = performance.now()
    f()
    samples.push(performance.now() - t0)
  }
  return median(samples)
}

/**
 * 1,000,000 failures over 1,000 tasks, evenly spread over 48 simulated hours ending now; with
 * `hourly`, a `cleanupOldErrors("24 hours")` at every simulated hour, as a monitoring job would.
 */
export const volume = (hourly: boolean, failures = 1_000_000, tasks = 1000, hours = 48): VolumeResult => {
  const taskNames = Array.from({ length: tasks }, (_, i) => `task-${i.toString().padStart(4, "0")}`)
  const span = hours * 3_600_000
  const end = Math.floor(Date.now() / 60_000) * 60_000
  const start = end - span
  const step = span / failures
  const base = heapMiB()
  const store = freshStore()
  const growth: Array<{ hour: number; mib: number }> = []
  let analyzeMsAt10pc = 0
  let nextHour = start + 3_600_000
  let recordMs = 0
  let t0 = performance.now()
  for (let i = 0; i < failures; i++) {
    const now = start + i * step
    if (now >= nextHour) {
      recordMs += performance.now() - t0
      const hour = Math.round((nextHour - start) / 3_600_000)
      if (hourly) Effect.runSync(Effect.withClock(store.cleanupOldErrors("24 hours"), fixedClock(nextHour)))
      if (hour % 12 === 0) growth.push({ hour, mib: heapMiB() - base })
      nextHour += 3_600_000
      t0 = performance.now()
    }
    if (i === failures / 10) {
      recordMs += performance.now() - t0
      analyzeMsAt10pc = timeMs(() => Effect.runSync(Effect.withClock(store.analyzeTaskErrors(), fixedClock(now))))
      t0 = performance.now()
    }
    store.unsafeRecordFailure(taskNames[i % tasks], categories[i & 3], errors[i & 3], 1 + (i % 3), now)
  }
  recordMs += performance.now() - t0
  if (hourly) Effect.runSync(Effect.withClock(store.cleanupOldErrors("24 hours"), fixedClock(end)))
  growth.push({ hour: hours, mib: heapMiB() - base })
  const atEnd = <A>(effect: Effect.Effect<A>) => Effect.runSync(Effect.withClock(effect, fixedClock(end)))
  const analyzeMs = timeMs(() => atEnd(store.analyzeTaskErrors()))
  const analyzeOneTaskMs = timeMs(() => atEnd(store.analyzeTaskErrors(taskNames[7])))
  const getErrorStatisticsMs = timeMs(() => atEnd(store.getErrorStatistics), 5)
  const totalErrorsHeld = atEnd(store.analyzeTaskErrors()).totalErrors
  return {
    failures,
    tasks,
    hours,
    cleanup: hourly ? "cleanupOldErrors(\"24 hours\") every simulated hour" : "none",
    recordSeconds: recordMs / 1000,
    nsPerFailure: (recordMs * 1e6) / failures,
    heapBaseMiB: base,
    growthMiB: growth.filter((g, i, all) => all.findIndex((h) => h.hour === g.hour) === i),
    analyzeMsAt10pc,
    analyzeMs,
    analyzeOneTaskMs,
    getErrorStatisticsMs,
    totalErrorsHeld
  }
}

export interface StoreResults {
  readonly recording: ReadonlyArray<Measured>
  readonly recordingOptions: HarnessOptions
  readonly volume: ReadonlyArray<VolumeResult>
}

export const runStore = async (log: (line: string) => void = () => {}): Promise<StoreResults> => {
  log("recording throughput")
  const rec = await recording(log)
  log("1,000,000 failures, no cleanup")
  const none = volume(false)
  log("1,000,000 failures, hourly cleanup")
  const hourly = volume(true)
  return { recording: rec, recordingOptions, volume: [none, hourly] }
}
