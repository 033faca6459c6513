/**
 * The four scenarios, with the policies each one compares. Every number is a function of `seed`.
 */
import { Strategies } from "@intelligent-retry/core"
import type { BreakerFaultMixRow, BreakerRateLimitRow, SheddingRow, SheddingScenario } from "./breaker.js"
import { breakerFaultMix, breakerRateLimit, shedding, sheddingScenarios, withBreaker } from "./breaker.js"
import type { ContentionRow } from "./contention.js"
import { contention } from "./contention.js"
import type { DefaultsReport } from "./defaults.js"
import { assembleDefaults, defaultsParts, runDefaultsPart } from "./defaults.js"
import type { FaultMixRow } from "./faultMix.js"
import { faultMix } from "./faultMix.js"
import type { OutageRow } from "./outage.js"
import { outage, outageDefaults } from "./outage.js"
import type { Backoff, Policy } from "./policies.js"
import { aws, celery, cockatiel, effectExponential, library, noRetry, preset, pRetry, table } from "./policies.js"
import type { RateLimitRow } from "./rateLimit.js"
import { rateLimit, rateLimitDefaults } from "./rateLimit.js"

export const DEFAULT_SEED = 20_150_304

/** The default retry budget: `RetryBudget.layer()` (10 tokens, 0.1 per success). */
const budget = {}

// ---------------------------------------------------------------------------------------------
// (a) contention
// ---------------------------------------------------------------------------------------------

const awsBackoff: Backoff = { base: 5, cap: 2000, maxRetries: Infinity }

/** A `temporary_error` policy with the AWS simulator's numbers (a 409 conflict classifies as temporary). */
const occ = (jitter: "full" | "equal" | "decorrelated", baseDelay = 5) =>
  table({
    temporary_error: {
      decision: "retry_with_backoff",
      maxRetries: 1_000_000,
      baseDelay,
      maxDelay: 2000,
      backoffFactor: 2,
      jitter
    }
  })

export const contentionPolicies = (): Array<Policy> => [
  aws("none", awsBackoff),
  aws("exponential", awsBackoff),
  aws("full", awsBackoff),
  aws("equal", awsBackoff),
  aws("decorrelated", awsBackoff),
  effectExponential(awsBackoff),
  cockatiel({ initialDelay: 5, maxDelay: 2000 }),
  cockatiel(),
  pRetry(),
  celery(),
  library("intelligent-retry, full jitter", occ("full"), {}, "temporary_error: backoff 5 ms × 2^n, max 2 s"),
  library("intelligent-retry, equal jitter", occ("equal"), {}, "temporary_error: backoff 5 ms × 2^n, max 2 s"),
  library(
    "intelligent-retry, decorrelated jitter",
    occ("decorrelated"),
    {},
    "temporary_error: decorrelated from 5 ms, max 2 s"
  ),
  library(
    "intelligent-retry, full jitter, base 10 ms",
    occ("full", 10),
    {},
    "temporary_error: backoff 10 ms × 2^n, max 2 s (the AWS client's first wait)"
  ),
  library("intelligent-retry, full jitter", occ("full"), { budget }, "temporary_error: backoff 5 ms × 2^n, max 2 s"),
  library("intelligent-retry defaults", Strategies.defaults, {}, "temporary_error: 60 s × 2^n, max 300 s, 3 retries")
]

// ---------------------------------------------------------------------------------------------
// (b) rate limit
// ---------------------------------------------------------------------------------------------

const rateBackoff: Backoff = { base: 1000, cap: 30_000, maxRetries: 10 }

const hinted = table({
  api_rate_limit: {
    decision: "retry_with_backoff",
    maxRetries: 10,
    baseDelay: "1 second",
    maxDelay: "60 seconds",
    backoffFactor: 2,
    jitter: "full"
  }
})

export const rateLimitPolicies = (): Array<Policy> => [
  noRetry,
  effectExponential(rateBackoff),
  aws("full", rateBackoff),
  aws("equal", rateBackoff),
  aws("decorrelated", rateBackoff),
  cockatiel(),
  pRetry(),
  celery(),
  library(
    "intelligent-retry defaults",
    Strategies.defaults,
    {},
    "api_rate_limit: delay 300 s × 2^n, max 1800 s, 3 retries"
  ),
  library("intelligent-retry tracking", preset(Strategies.tracking), {}, "api_rate_limit: 5, 10, 20 min, max 30 min"),
  library(
    "intelligent-retry tuned",
    hinted,
    {},
    "api_rate_limit: backoff 1 s × 2^n, full jitter, max 60 s, 10 retries"
  ),
  library(
    "intelligent-retry tuned",
    hinted,
    { budget },
    "api_rate_limit: backoff 1 s × 2^n, full jitter, max 60 s, 10 retries"
  )
]

// ---------------------------------------------------------------------------------------------
// (c) fault mix
// ---------------------------------------------------------------------------------------------

const mixBackoff: Backoff = { base: 100, cap: 10_000, maxRetries: 2 }

/** One policy for every category: what a category-blind retry does, with this library's machinery. */
const blind = (() => {
  const policy = {
    decision: "retry_with_backoff",
    maxRetries: 2,
    baseDelay: 100,
    maxDelay: 10_000,
    backoffFactor: 2,
    jitter: "full"
  } as const
  return table({
    network_error: policy,
    api_rate_limit: policy,
    data_error: policy,
    system_error: policy,
    temporary_error: policy,
    permanent_error: policy
  })
})()

export const faultMixPolicies = (): Array<Policy> => [
  noRetry,
  effectExponential(mixBackoff),
  aws("full", mixBackoff),
  cockatiel({ maxAttempts: 2 }),
  pRetry({ retries: 2 }),
  celery({ maxRetries: 2 }),
  library("intelligent-retry, one policy for all categories", blind, { maxAttempts: 3 }, "backoff 100 ms, full jitter"),
  library("intelligent-retry defaults", Strategies.defaults, { maxAttempts: 3 }),
  library("intelligent-retry defaults", Strategies.defaults, { maxAttempts: 3, budget }),
  library("intelligent-retry tracking", preset(Strategies.tracking), { maxAttempts: 3 }),
  library("intelligent-retry screenshot", preset(Strategies.screenshot), { maxAttempts: 3 }),
  library("intelligent-retry document", preset(Strategies.document), { maxAttempts: 3 })
]

// ---------------------------------------------------------------------------------------------
// (d) outage
// ---------------------------------------------------------------------------------------------

const outageBackoff: Backoff = { base: 100, cap: 10_000, maxRetries: 3 }

const tunedNetwork = table({
  network_error: {
    decision: "retry_with_backoff",
    maxRetries: 3,
    baseDelay: 100,
    maxDelay: "10 seconds",
    backoffFactor: 2,
    jitter: "full"
  }
})

export const outagePolicies = (): Array<Policy> => [
  noRetry,
  effectExponential(outageBackoff),
  aws("full", outageBackoff),
  aws("full", { ...outageBackoff, maxRetries: 1 }),
  cockatiel(),
  pRetry(),
  celery(),
  library("intelligent-retry defaults", Strategies.defaults, {}, "network_error: immediate, 5 retries, base 0"),
  library("intelligent-retry defaults", Strategies.defaults, { budget }, "network_error: immediate, 5 retries, base 0"),
  library("intelligent-retry tracking", preset(Strategies.tracking), {}, "network_error: 5, 10, 20, 40 s"),
  library(
    "intelligent-retry tuned",
    tunedNetwork,
    {},
    "network_error: backoff 100 ms × 2^n, full jitter, max 10 s, 3 retries"
  ),
  library(
    "intelligent-retry tuned",
    tunedNetwork,
    { budget },
    "network_error: backoff 100 ms × 2^n, full jitter, max 10 s, 3 retries"
  )
]

export const outageLoads: ReadonlyArray<number> = [140, 160, 280]

// ---------------------------------------------------------------------------------------------
// the circuit breaker (sim/breaker.ts)
// ---------------------------------------------------------------------------------------------

const tunedWithBudget = library(
  "intelligent-retry tuned",
  tunedNetwork,
  { budget },
  "network_error: backoff 100 ms × 2^n, full jitter, max 10 s, 3 retries"
)

/** Without and with the default breaker, outside the retry. */
export const breakerPolicies = (): Array<Policy> => [
  noRetry,
  tunedWithBudget,
  withBreaker(noRetry),
  withBreaker(tunedWithBudget)
]

export const breakerLoads: Readonly<Record<SheddingScenario, ReadonlyArray<number>>> = {
  outage: outageLoads,
  "hard-down": [140, 280],
  "drop-abandoned": outageLoads
}

// ---------------------------------------------------------------------------------------------
// all
// ---------------------------------------------------------------------------------------------

export interface SimulationResults {
  readonly seed: number
  readonly contention: {
    readonly clientCounts: ReadonlyArray<number>
    readonly runs: number
    readonly published: Readonly<Record<string, { readonly writesPerClient: number; readonly completionMs: number }>>
    readonly rows: ReadonlyArray<ContentionRow>
  }
  readonly rateLimit: {
    readonly settings: typeof rateLimitDefaults
    readonly runs: number
    readonly rows: ReadonlyArray<RateLimitRow>
  }
  readonly faultMix: { readonly runs: number; readonly rows: ReadonlyArray<FaultMixRow> }
  readonly outage: { readonly settings: typeof outageDefaults; readonly rows: ReadonlyArray<OutageRow> }
  readonly breaker: {
    readonly settings: typeof sheddingScenarios
    readonly shedding: ReadonlyArray<SheddingRow>
    readonly rateLimit: ReadonlyArray<BreakerRateLimitRow>
    readonly faultMix: ReadonlyArray<BreakerFaultMixRow>
  }
  /** Issue 16: the library's defaults, untouched (`sim/defaults.ts`). */
  readonly defaults: DefaultsReport
  /** Wall-clock seconds per part, as run (not part of the deterministic results). */
  readonly timing: Readonly<Record<string, number>>
}

/**
 * The numbers of the AWS simulator at N = 100 (its `backoff_simulator.py`, 100 runs), as quoted in
 * the benchmark issue; running that script unchanged under Python 3 gives the same values.
 */
export const publishedAtN100 = {
  "no backoff": { writesPerClient: 24.2, completionMs: 2000 },
  "exponential, no jitter": { writesPerClient: 18.6, completionMs: 63_600 },
  "full jitter": { writesPerClient: 8.0, completionMs: 4900 },
  "equal jitter": { writesPerClient: 8.1, completionMs: 6600 },
  "decorrelated jitter": { writesPerClient: 10.0, completionMs: 4600 }
} as const

export interface SimulateOptions {
  readonly seed?: number
  /** Runs per point in (a); the AWS simulator uses 100. */
  readonly contentionRuns?: number
  readonly rateLimitRuns?: number
  readonly faultMixRuns?: number
  readonly log?: (line: string) => void
}

/**
 * The independent parts of a simulation, largest first. Each part's numbers depend only on the
 * seed, so parts may run in any order, or in separate processes.
 */
export const parts: ReadonlyArray<string> = [
  ...[...outageLoads].reverse().map((load) => `outage:${load}`),
  ...defaultsParts(outageLoads),
  "contention",
  "rateLimit",
  "faultMix",
  ...Object.keys(sheddingScenarios).map((scenario) => `breaker:${scenario}`),
  "breaker:rateLimit",
  "breaker:faultMix"
]

export const clientCounts: ReadonlyArray<number> = [10, 20, 50, 100]

/** Runs one part; its rows. */
export const runPart = (part: string, options: SimulateOptions = {}): ReadonlyArray<unknown> => {
  const seed = options.seed ?? DEFAULT_SEED
  if (part.startsWith("defaults:")) return runDefaultsPart(part, seed)
  if (part === "contention") {
    return contention(contentionPolicies(), clientCounts, options.contentionRuns ?? 100, seed)
  }
  if (part === "rateLimit") return rateLimit(rateLimitPolicies(), options.rateLimitRuns ?? 10, seed)
  if (part === "faultMix") return faultMix(faultMixPolicies(), options.faultMixRuns ?? 20, seed)
  if (part.startsWith("outage:")) return outage(outagePolicies(), [Number(part.slice("outage:".length))], seed)
  if (part === "breaker:rateLimit") {
    return breakerRateLimit(
      rateLimitPolicies().filter((p) => p.family === "library"),
      options.rateLimitRuns ?? 10,
      seed
    )
  }
  if (part === "breaker:faultMix") {
    return breakerFaultMix(faultMixPolicies().filter((p) => p.family === "library"), options.faultMixRuns ?? 20, seed)
  }
  if (part.startsWith("breaker:")) {
    const scenario = part.slice("breaker:".length) as SheddingScenario
    if (scenario in sheddingScenarios) return shedding(scenario, breakerPolicies(), breakerLoads[scenario], seed)
  }
  throw new Error(`unknown part ${JSON.stringify(part)}`)
}

/** The results, from every part's rows. */
export const assemble = (
  rows: ReadonlyMap<string, ReadonlyArray<unknown>>,
  timing: Readonly<Record<string, number>>,
  options: SimulateOptions = {}
): SimulationResults => {
  const get = <A>(part: string) => {
    const found = rows.get(part)
    if (found === undefined) throw new Error(`missing part ${part}`)
    return found as ReadonlyArray<A>
  }
  return {
    seed: options.seed ?? DEFAULT_SEED,
    contention: {
      clientCounts,
      runs: options.contentionRuns ?? 100,
      published: publishedAtN100,
      rows: get<ContentionRow>("contention")
    },
    rateLimit: { settings: rateLimitDefaults, runs: options.rateLimitRuns ?? 10, rows: get<RateLimitRow>("rateLimit") },
    faultMix: { runs: options.faultMixRuns ?? 20, rows: get<FaultMixRow>("faultMix") },
    outage: { settings: outageDefaults, rows: outageLoads.flatMap((load) => get<OutageRow>(`outage:${load}`)) },
    breaker: {
      settings: sheddingScenarios,
      shedding: (Object.keys(sheddingScenarios) as Array<SheddingScenario>).flatMap((scenario) =>
        get<SheddingRow>(`breaker:${scenario}`)
      ),
      rateLimit: get<BreakerRateLimitRow>("breaker:rateLimit"),
      faultMix: get<BreakerFaultMixRow>("breaker:faultMix")
    },
    defaults: assembleDefaults(options.seed ?? DEFAULT_SEED, outageLoads, (part) => get(part)),
    timing
  }
}

/** Every part, one after the other, in this process. */
export const simulate = (options: SimulateOptions = {}): SimulationResults => {
  const log = options.log ?? (() => {})
  const rows = new Map<string, ReadonlyArray<unknown>>()
  const timing: Record<string, number> = {}
  for (const part of parts) {
    const t0 = performance.now()
    rows.set(part, runPart(part, options))
    timing[part] = (performance.now() - t0) / 1000
    log(`${part}: ${timing[part].toFixed(1)} s`)
  }
  return assemble(rows, timing, options)
}
