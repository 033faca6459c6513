/**
 * Soak: 1,000,000 operations with a realistic error mix over 48 simulated hours under `TestClock`,
 * with hourly `cleanupOldErrors("24 hours")`. Most operations drive the store's recorders directly,
 * with times read from `Clock` after each `TestClock.adjust`; a slice runs through the real
 * combinator. Every hour: the counts held are checked against what was recorded in the last 24
 * hours, the heap is measured after a full GC, and the analysis is timed.
 *
 * Longer: RELIABILITY_SOAK_HOURS=168 RELIABILITY_SOAK_OPS=5000000 npx vitest run <this file>
 */
import { describe, expect, it } from "@effect/vitest"
import {
  DataError,
  type ErrorCategory,
  NetworkError,
  type RetryOutcome,
  RetryStats,
  TemporaryError,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Clock, Effect, TestClock } from "effect"
import { collectGarbage, heapUsed, mib, ms, n, section } from "../../../../test/reliability/report.js"

const report = section({ id: "08-soak", order: 8, title: "Soak" })

const HOURS = Number(process.env.RELIABILITY_SOAK_HOURS ?? 48)
const OPS = Number(process.env.RELIABILITY_SOAK_OPS ?? 1_000_000)
const RETAIN_HOURS = 24
/** The clock moves in steps of this many minutes; operations are spread inside each step. */
const STEP_MINUTES = 5
const STEPS = (HOURS * 60) / STEP_MINUTES
const OPS_PER_STEP = Math.ceil(OPS / STEPS)
/** Runs through the real combinator per step. */
const COMBINATOR_PER_STEP = 25
const HOUR = 3_600_000

/** mulberry32: a small deterministic PRNG, so that every soak run records the same operations. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const tasks = [
  "update_tracking_info",
  "capture_screenshot",
  "generate_document",
  "send_notification",
  ...Array.from({ length: 36 }, (_, i) => `sync_orders:region-${i}`)
]

/** The realistic mix: shares of operations and what each records. */
const mix: ReadonlyArray<readonly [number, string]> = [
  [0.70, "first try"],
  [0.12, "network blip, recovered"],
  [0.04, "rate limited, recovered"],
  [0.01, "hint above maxDelay"],
  [0.04, "temporary, 1–3 failures"],
  [0.03, "data error"],
  [0.02, "permanent error"],
  [0.02, "system error, recovered"],
  [0.01, "budget exhausted"],
  [0.01, "interrupted"]
]

interface Hour {
  readonly hour: number
  readonly ops: number
  readonly runs: number
  readonly failures: number
  readonly heap: number
  readonly analysisMillis: number
  readonly dropped: number
}

describe("soak", () => {
  it.effect(
    `${n(OPS)} operations over ${HOURS} simulated hours with hourly cleanup: heap flat, analysis time flat`,
    () =>
      Effect.gen(function*() {
        const stats = yield* RetryStats.RetryStats
        const random = prng(48)
        const pick = <A>(xs: ReadonlyArray<A>) => xs[Math.floor(random() * xs.length)]
        const id = () => Math.floor(random() * 1e9).toString(36)
        const messages: Record<ErrorCategory, () => string> = {
          network_error: () =>
            `connect ECONNRESET 10.0.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}:443`,
          api_rate_limit: () =>
            `429 Too Many Requests from https://api.carrier.example/v2/track?api_key=${id()}${id()}`,
          temporary_error: () => `503 Service Unavailable (request ${id()})`,
          data_error: () => `order ${id()}: tracking_number is missing`,
          permanent_error: () => `404 shipment ${id()} not found`,
          system_error: () => `EMFILE: too many open files, open '/tmp/label-${id()}.pdf'`
        }
        let runs = 0
        let failures = 0
        const fail = (task: string, category: ErrorCategory, attempt: number, t: number) => {
          failures++
          stats.unsafeRecordFailure(task, category, { _tag: "CarrierError", message: messages[category]() }, attempt, t)
        }
        const outcome = (
          task: string,
          o: RetryOutcome,
          category: ErrorCategory | undefined,
          retries: number,
          t: number
        ) => {
          runs++
          stats.unsafeRecordOutcome(task, o, category, retries, t)
        }
        const operation = (t: number) => {
          const task = pick(tasks)
          let r = random()
          let kind = mix[mix.length - 1][1]
          for (const [share, name] of mix) {
            if (r < share) {
              kind = name
              break
            }
            r -= share
          }
          switch (kind) {
            case "first try":
              return outcome(task, "succeeded_first_try", undefined, 0, t)
            case "network blip, recovered":
              fail(task, "network_error", 1, t)
              stats.unsafeRecordRetry(task, "network_error", 0, t)
              return outcome(task, "recovered", "network_error", 1, t)
            case "rate limited, recovered":
              fail(task, "api_rate_limit", 1, t)
              stats.unsafeRecordRetry(task, "api_rate_limit", 300_000, t)
              return outcome(task, "recovered", "api_rate_limit", 1, t)
            case "hint above maxDelay":
              fail(task, "api_rate_limit", 1, t)
              return outcome(task, "hint_exceeds_max_delay", "api_rate_limit", 0, t)
            case "temporary, 1–3 failures": {
              const k = 1 + Math.floor(random() * 3)
              for (let a = 1; a <= k; a++) {
                fail(task, "temporary_error", a, t)
                if (a < 3) stats.unsafeRecordRetry(task, "temporary_error", 60_000 * 2 ** (a - 1), t)
              }
              return k === 3
                ? outcome(task, "exhausted", "temporary_error", 2, t)
                : outcome(task, "recovered", "temporary_error", k, t)
            }
            case "data error":
              fail(task, "data_error", 1, t)
              return outcome(task, "not_retryable", "data_error", 0, t)
            case "permanent error":
              fail(task, "permanent_error", 1, t)
              return outcome(task, "not_retryable", "permanent_error", 0, t)
            case "system error, recovered":
              fail(task, "system_error", 1, t)
              stats.unsafeRecordRetry(task, "system_error", 30_000, t)
              return outcome(task, "recovered", "system_error", 1, t)
            case "budget exhausted":
              fail(task, "network_error", 1, t)
              return outcome(task, "budget_exhausted", "network_error", 0, t)
            default:
              fail(task, "temporary_error", 1, t)
              stats.unsafeRecordRetry(task, "temporary_error", 60_000, t)
              return outcome(task, "interrupted", "temporary_error", 1, t)
          }
        }

        // the slice through the real combinator: zero waits, so the runs complete at the current instant
        const zero = { decision: "retry_immediately", maxRetries: 2, baseDelay: 0 } as const
        const scripts: ReadonlyArray<() => ReadonlyArray<unknown>> = [
          () => [],
          () => [new NetworkError({ message: messages.network_error() })],
          () => Array.from({ length: 3 }, () => new TemporaryError({ message: messages.temporary_error() })),
          () => [new DataError({ message: messages.data_error() })]
        ]
        const combinatorRun = (i: number) => {
          const errors = scripts[i % scripts.length]()
          let attempt = 0
          runs++
          failures += errors.length
          return Effect.exit(
            Effect.suspend(() => attempt < errors.length ? Effect.fail(errors[attempt++]) : Effect.succeed(attempt))
              .pipe(
                withIntelligentRetry({
                  task: pick(tasks),
                  strategies: { network_error: zero, temporary_error: zero }
                })
              )
          )
        }

        const hours: Array<Hour> = []
        // runs and failures recorded in each hour, to check what the store holds after cleanup
        const perHour: Array<{ runs: number; failures: number }> = []
        let ops = 0
        const started = performance.now()
        const baseline = heapUsed()
        for (let h = 0; h < HOURS; h++) {
          const before = { runs, failures }
          for (let s = 0; s < 60 / STEP_MINUTES; s++) {
            const now = yield* Clock.currentTimeMillis
            const step = STEP_MINUTES * 60_000
            for (let k = 0; k < OPS_PER_STEP - COMBINATOR_PER_STEP && ops < OPS; k++, ops++) {
              operation(now + Math.floor((k * step) / OPS_PER_STEP))
            }
            for (let k = 0; k < COMBINATOR_PER_STEP && ops < OPS; k++, ops++) yield* combinatorRun(ops)
            yield* TestClock.adjust(`${STEP_MINUTES} minutes`)
          }
          perHour.push({ runs: runs - before.runs, failures: failures - before.failures })
          const dropped = yield* RetryStats.cleanupOldErrors(`${RETAIN_HOURS} hours`)
          // what is held is exactly the last 24 hours
          const held = perHour.slice(-RETAIN_HOURS)
          const statistics = yield* RetryStats.getErrorStatistics
          expect(statistics.totalRuns).toBe(held.reduce((a, x) => a + x.runs, 0))
          expect(statistics.totalErrors).toBe(held.reduce((a, x) => a + x.failures, 0))
          expect(statistics.window.from).toBeGreaterThanOrEqual((h + 1 - RETAIN_HOURS) * HOUR)
          // analysis time: the median of 5 rounds of what a monitoring job reads
          const times: Array<number> = []
          for (let i = 0; i < 5; i++) {
            const start = performance.now()
            yield* RetryStats.analyzeTaskErrors()
            yield* RetryStats.analyzeTaskErrors("update_tracking_info")
            yield* RetryStats.getErrorStatistics
            yield* RetryStats.errorsInWindow("5 minutes")
            times.push(performance.now() - start)
          }
          times.sort((a, b) => a - b)
          hours.push({
            hour: h + 1,
            ops,
            runs: statistics.totalRuns,
            failures: statistics.totalErrors,
            heap: heapUsed() - baseline,
            analysisMillis: times[2],
            dropped
          })
        }
        const elapsed = performance.now() - started
        const gc = collectGarbage()

        expect(ops).toBe(OPS)
        // heap: once a full day is held, it stays flat
        const steady = hours.filter((x) => x.hour > RETAIN_HOURS + 1)
        const heaps = steady.map((x) => x.heap)
        const spread = Math.max(...heaps) - Math.min(...heaps)
        const firstHalf = steady.slice(0, Math.floor(steady.length / 2))
        const secondHalf = steady.slice(Math.floor(steady.length / 2))
        const mean = (xs: ReadonlyArray<Hour>, f: (x: Hour) => number) => xs.reduce((a, x) => a + f(x), 0) / xs.length
        const drift = mean(secondHalf, (x) => x.heap) - mean(firstHalf, (x) => x.heap)
        expect(spread).toBeLessThan(16 * 1024 * 1024)
        expect(Math.abs(drift)).toBeLessThan(8 * 1024 * 1024)
        // analysis time: flat, whatever the number of events recorded so far
        const early = hours.slice(0, 12).map((x) => x.analysisMillis).sort((a, b) => a - b)[6]
        const late = hours.slice(-12).map((x) => x.analysisMillis).sort((a, b) => a - b)[6]
        expect(late).toBeLessThan(3 * early + 1)

        const peak = Math.max(...hours.map((x) => x.heap))
        report.add({
          tried: `soak: ${n(OPS)} operations over ${HOURS} simulated hours, cleanupOldErrors("24 hours") every hour`,
          inputs: `${tasks.length} tasks; mix: ${
            mix.map(([share, name]) => `${name} ${Math.round(share * 100)}%`).join(", ")
          }; ` +
            "messages with fresh ids (so the redaction cache rarely helps), one with an api_key to mask",
          faults: "every category and outcome, in the proportions above",
          load: `${n(OPS)} operations (${n(OPS_PER_STEP)} per ${STEP_MINUTES} simulated minutes), of which ${
            n(STEPS * COMBINATOR_PER_STEP)
          } through withIntelligentRetry; the rest through the recorders with times from Clock after TestClock.adjust`,
          measured: `every hour the store held exactly the last 24 hours (runs and failed attempts checked, ${HOURS} ` +
            `times); after hour ${RETAIN_HOURS + 1}, heap ${gc ? "after GC " : ""}within a band below 16 MiB with ` +
            `a drift below 8 MiB; late analysis time within 3× of early (it reads running totals, not events)`,
          timing:
            `${ms(elapsed)} in all; heap above baseline: peak ${mib(peak)}, band after hour ${RETAIN_HOURS + 1} ` +
            `${mib(spread)}, drift ${mib(drift)}; analysis median: hours 1–12 ${ms(early)}, hours ${
              HOURS - 11
            }–${HOURS} ${ms(late)}`
        })
        const table = [
          `Heap above the baseline after a full GC (${
            gc ? "through `v8.setFlagsFromString('--expose-gc')`" : "no GC available: raw `heapUsed`"
          }), ` +
          "and the median time of one monitoring read (`analyzeTaskErrors()` for all tasks and for one, " +
          "`getErrorStatistics`, `errorsInWindow`), at the end of each simulated hour. Heap and time vary by machine.",
          "",
          "| hour | operations so far | runs held | failed attempts held | failed attempts dropped by cleanup | heap (varies) | analysis (varies) |",
          "| --- | --- | --- | --- | --- | --- | --- |",
          ...hours.map((x) =>
            `| ${x.hour} | ${n(x.ops)} | ${n(x.runs)} | ${n(x.failures)} | ${n(x.dropped)} | ${mib(x.heap)} | ${
              ms(x.analysisMillis)
            } |`
          )
        ]
        report.extra(table.join("\n"))
      }).pipe(Effect.provide(RetryStats.layer)),
    { timeout: 180_000 }
  )
})
