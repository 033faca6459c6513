/**
 * Issue 16: the library's defaults, untouched (the default budget and the built-in tables, with
 * their exact rate-limit hints), on the same seeds as the other scenarios, plus the fleet variants.
 * `npx tsx --conditions source packages/bench/src/sim/defaults.ts` prints the section of
 * docs/benchmarks.md "Defaults, untouched".
 */
import { Strategies } from "@intelligent-retry/core"
import { contention } from "./contention.js"
import { faultMix } from "./faultMix.js"
import { DEFAULT_SEED, outageLoads } from "./index.js"
import { outage } from "./outage.js"
import type { Policy } from "./policies.js"
import { fleet, library, noRetry, table } from "./policies.js"
import { hashSeed, Rng } from "./random.js"
import { hintVariants, rateLimit, runRateLimit } from "./rateLimit.js"

const defaults = library("intelligent-retry defaults", Strategies.defaults, {}, "default budget, built-in tables")
const off = library("intelligent-retry defaults", Strategies.defaults, { budget: "none" })
const occ = table({
  temporary_error: {
    decision: "retry_with_backoff",
    maxRetries: 1_000_000,
    baseDelay: 5,
    maxDelay: 2000,
    backoffFactor: 2,
    jitter: "full"
  }
})
const contended = library("intelligent-retry, full jitter (5 ms)", occ, {}, "default budget")

export interface DefaultsReport {
  readonly outage: ReadonlyArray<
    { load: number; policy: string; recoveryMs: number | undefined; amplification: number }
  >
  readonly rateLimit: ReadonlyArray<
    { variant: string; policy: string; timeMs: number; early: number; dropped: number; completed: number }
  >
  readonly contention: ReadonlyArray<{ policy: string; successRate: number; writesPerClient: number }>
  readonly faultMix: ReadonlyArray<{ policy: string; attempts: number; wastedAttempts: number; recoveryRate: number }>
  readonly cooldowns: ReadonlyArray<
    { variant: string; cooldown: boolean; timeMs: number; firstDuringHint: number; rejected: number; dropped: number }
  >
}

export const run = (seed = DEFAULT_SEED, log: (line: string) => void = () => {}): DefaultsReport => {
  const outagePolicies: Array<Policy> = [
    noRetry,
    defaults,
    off,
    fleet("intelligent-retry defaults", Strategies.defaults, 20, false),
    fleet("intelligent-retry defaults", Strategies.defaults, 20, true)
  ]
  const o = outageLoads.flatMap((load) => {
    log(`outage ${load}`)
    return outage(outagePolicies, [load], seed)
  })
  log("rate limit")
  const r = rateLimit([noRetry, defaults], 10, seed)
  log("contention")
  const c = contention([defaults, contended], [100], 20, seed)
  log("fault mix")
  const f = faultMix([defaults], 20, seed)
  log("cool-downs")
  const cooldowns = hintVariants.filter((v) => v !== "missing").flatMap((variant) =>
    [false, true].map((cooldown) => {
      const runs = Array.from(
        { length: 10 },
        (_, r) => runRateLimit(defaults, variant, new Rng(hashSeed(seed, "cooldown", variant, r)), undefined, cooldown)
      )
      const mean = (f: (run: (typeof runs)[number]) => number) => runs.reduce((a, run) => a + f(run), 0) / runs.length
      return {
        variant,
        cooldown,
        timeMs: mean((run) => run.time),
        firstDuringHint: mean((run) => run.firstDuringHint),
        rejected: mean((run) => run.rejected),
        dropped: mean((run) => run.dropped)
      }
    })
  )
  return {
    outage: o.map((row) => ({
      load: row.load,
      policy: row.policy,
      recoveryMs: row.recoveryMs,
      amplification: row.amplification
    })),
    rateLimit: r.map((row) => ({
      variant: String(row.variant),
      policy: row.policy,
      timeMs: row.timeMs,
      early: row.early,
      dropped: row.dropped,
      completed: row.completed
    })),
    contention: c.map((row) => ({
      policy: row.policy,
      successRate: row.successRate,
      writesPerClient: row.writesPerClient
    })),
    faultMix: f.map((row) => ({
      policy: row.policy,
      attempts: row.attempts,
      wastedAttempts: row.wastedAttempts,
      recoveryRate: row.recoveryRate
    })),
    cooldowns
  }
}

if (process.argv[1]?.endsWith("defaults.ts")) {
  const t0 = performance.now()
  const report = run(DEFAULT_SEED, (line) => console.error(line))
  console.log(JSON.stringify(report, null, 1))
  console.error(`${((performance.now() - t0) / 1000).toFixed(1)} s`)
}
