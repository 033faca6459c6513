/**
 * Issue 16: the library's defaults, untouched (the default budget, the built-in tables with their
 * exact rate-limit hints, and for HTTP the platform transform's shared cool-downs per host), on
 * the same seed as the other scenarios, plus the fleet variants. Part of the simulation
 * (`main.ts simulate`, the `defaults:*` parts); `report/defaults.ts` writes its section of
 * docs/benchmarks.md.
 */
import { Strategies } from "@intelligent-retry/core"
import { contention } from "./contention.js"
import { faultMix } from "./faultMix.js"
import { outage } from "./outage.js"
import type { Policy } from "./policies.js"
import { fleet, library, noRetry, table } from "./policies.js"
import { hashSeed, Rng } from "./random.js"
import type { Cooldown, HintVariant } from "./rateLimit.js"
import { hintVariants, runRateLimit } from "./rateLimit.js"

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

export interface DefaultsOutageRow {
  readonly load: number
  readonly policy: string
  readonly recoveryMs: number | undefined
  readonly amplification: number
}

/** Means over the runs of one hint variant and one cool-down mode. */
export interface DefaultsRateLimitRow {
  readonly variant: HintVariant
  readonly cooldown: Cooldown
  readonly runs: number
  readonly timeMs: number
  /** Retries sent before the hint of their request's last 429 expired. */
  readonly early: number
  /** First attempts sent while another request's hint had not expired. */
  readonly firstDuringHint: number
  readonly rejected: number
  readonly dropped: number
  readonly completed: number
}

export interface DefaultsReport {
  readonly seed: number
  readonly outage: ReadonlyArray<DefaultsOutageRow>
  readonly rateLimit: ReadonlyArray<DefaultsRateLimitRow>
  readonly contention: ReadonlyArray<{ policy: string; clients: number; successRate: number; writesPerClient: number }>
  readonly faultMix: ReadonlyArray<
    { policy: string; detail: string; attempts: number; wastedAttempts: number; recoveryRate: number }
  >
}

/** The outage policies: no retry, the defaults, the defaults with the budget off, and 20 workers without and with one shared budget. */
const outagePolicies = (): Array<Policy> => [
  noRetry,
  defaults,
  off,
  fleet("intelligent-retry defaults", Strategies.defaults, 20, false),
  fleet("intelligent-retry defaults", Strategies.defaults, 20, true)
]

/** The rate-limit runs per variant and mode (the modes share seeds, so they compare run for run). */
export const RATE_LIMIT_RUNS = 10

/**
 * (b) with the defaults: every hint variant, without shared cool-downs (`withIntelligentRetry`
 * alone), holding first attempts only, and holding every attempt (the platform HTTP transform's
 * default, and any run that opts in).
 */
export const defaultsRateLimit = (seed: number, runs = RATE_LIMIT_RUNS): Array<DefaultsRateLimitRow> =>
  hintVariants.flatMap((variant) =>
    (["off", "first", "every"] as const).map((cooldown) => {
      const results = Array.from(
        { length: runs },
        (_, r) =>
          runRateLimit(
            defaults,
            variant,
            new Rng(hashSeed(seed, "defaults-rate-limit", variant, r)),
            undefined,
            cooldown
          )
      )
      const mean = (f: (run: (typeof results)[number]) => number) =>
        results.reduce((a, run) => a + f(run), 0) / results.length
      return {
        variant,
        cooldown,
        runs,
        timeMs: mean((run) => run.time),
        early: mean((run) => run.early),
        firstDuringHint: mean((run) => run.firstDuringHint),
        rejected: mean((run) => run.rejected),
        dropped: mean((run) => run.dropped),
        completed: mean((run) => run.completed)
      }
    })
  )

/** The parts of the defaults' simulation: the outage per load (the long ones), then the rest. */
export const defaultsParts = (loads: ReadonlyArray<number>): ReadonlyArray<string> => [
  ...[...loads].reverse().map((load) => `defaults:outage:${load}`),
  "defaults:rest"
]

/** Runs one part of {@link defaultsParts}; its rows. */
export const runDefaultsPart = (part: string, seed: number): ReadonlyArray<unknown> => {
  if (part.startsWith("defaults:outage:")) {
    return outage(outagePolicies(), [Number(part.slice("defaults:outage:".length))], seed).map((row) => ({
      load: row.load,
      policy: row.policy,
      recoveryMs: row.recoveryMs,
      amplification: row.amplification
    }))
  }
  if (part === "defaults:rest") {
    const rest: Omit<DefaultsReport, "seed" | "outage"> = {
      rateLimit: defaultsRateLimit(seed),
      contention: contention([defaults, contended], [100], 20, seed).map((row) => ({
        policy: row.policy,
        clients: row.clients,
        successRate: row.successRate,
        writesPerClient: row.writesPerClient
      })),
      faultMix: faultMix([defaults], 20, seed).map((row) => ({
        policy: row.policy,
        detail: row.detail,
        attempts: row.attempts,
        wastedAttempts: row.wastedAttempts,
        recoveryRate: row.recoveryRate
      }))
    }
    return [rest]
  }
  throw new Error(`unknown part ${JSON.stringify(part)}`)
}

/** The report, from the rows of every part of {@link defaultsParts}. */
export const assembleDefaults = (
  seed: number,
  loads: ReadonlyArray<number>,
  get: (part: string) => ReadonlyArray<unknown>
): DefaultsReport => {
  const rest = get("defaults:rest")[0] as Omit<DefaultsReport, "seed" | "outage">
  return {
    seed,
    outage: loads.flatMap((load) => get(`defaults:outage:${load}`) as ReadonlyArray<DefaultsOutageRow>),
    ...rest
  }
}
