/**
 * The circuit breaker in the simulator: the library's real breaker state machine
 * (`CircuitBreaker.makeCircuits`, as `withCircuitBreaker` drives it) in front of any policy, and
 * the scenarios that measure it.
 *
 * - (d) again, with the breaker outside the retry: a run is admitted or shed before its first
 *   attempt, and its end (success, or the policy giving up) is what the breaker counts.
 * - A hard-down: the same server stalled for 60 s instead of 10 s.
 * - A server that drops requests whose caller has gone (it checks the deadline before serving):
 *   the breaker must not make a well-behaved server recover later than no retry plus one break
 *   and one timeout.
 *
 * Scenarios (b) and (c) run the wrapped policies through their own runners, which have no
 * admission step: the breaker counts every run there, and a scenario in which it never opens
 * (what those rows show) is one in which it never sheds.
 */
import { CircuitBreaker, classify } from "@intelligent-retry/core"
import { runFaultMix } from "./faultMix.js"
import type { OutageSettings } from "./outage.js"
import { outageDefaults, recoveryAfter, timeoutError } from "./outage.js"
import type { Policy, Retrier } from "./policies.js"
import { EventQueue } from "./queue.js"
import { hashSeed, Rng } from "./random.js"
import type { HintVariant } from "./rateLimit.js"
import { hintVariants, rateLimit } from "./rateLimit.js"

type Admission = CircuitBreaker.Admission
type Settings = CircuitBreaker.CircuitBreakerSettings

/** What a breaker-wrapped policy reports after a run. */
export interface BreakerCounts {
  opens: number
  halfOpens: number
  closes: number
  shed: number
}

/** A run's retrier, plus the admission step the breaker needs before its first attempt. */
export interface GatedRetrier extends Retrier {
  /** Admits the run at `now` (`false`: shed, fail at once). */
  readonly admit: (now: number) => boolean
}

/**
 * A policy behind a breaker: `gated` makes a simulation run's breaker and gated retriers; `runs`
 * collects the counts of every simulation run started through `start` (runners without an
 * admission step).
 */
export interface BreakerPolicy extends Policy {
  readonly gated: (rng: Rng) => { readonly next: () => GatedRetrier; readonly counts: BreakerCounts }
  readonly runs: Array<BreakerCounts>
}

const counted = new Set(["network_error", "system_error", "temporary_error"])

/**
 * `policy` behind the library's breaker (defaults unless `options` says otherwise), one breaker
 * per simulation run. The run's result is what `withCircuitBreaker` would see: success, or the
 * category (by the library's classifier) of the error the policy gave up on.
 */
export const withBreaker = (
  policy: Policy,
  options: Omit<CircuitBreaker.CircuitBreakerOptions, "key"> = {},
  label = "breaker"
): BreakerPolicy => {
  const checked = CircuitBreaker.settings({ key: "sim", ...options })
  if (checked._tag === "Left") throw checked.left
  const settings: Settings = checked.right
  const runs: Array<BreakerCounts> = []
  const gated = (rng: Rng) => {
    const start = policy.start(rng)
    const circuit = CircuitBreaker.makeCircuits().get("sim", settings)
    const counts: BreakerCounts = { opens: 0, halfOpens: 0, closes: 0, shed: 0 }
    const note = (transition: CircuitBreaker.Transition | undefined) => {
      if (transition === "open") counts.opens++
      else if (transition === "half_open") counts.halfOpens++
      else if (transition === "closed") counts.closes++
    }
    // runners without an admission step: every run is admitted as when closed
    const closed: Admission = { _tag: "Admitted", probe: false, token: 0, transition: undefined }
    const next = (): GatedRetrier => {
      const inner = start()
      let admission: Admission = closed
      return {
        admit: (now) => {
          admission = circuit.acquire(settings, now)
          if (admission._tag === "Rejected") {
            counts.shed++
            return false
          }
          note(admission.transition)
          return true
        },
        failure: (now, error) => {
          const wait = inner.failure(now, error)
          if (wait === undefined) {
            note(circuit.release(settings, admission, counted.has(classify(error)) ? "failure" : "neutral", now))
          }
          return wait
        },
        success: (now) => {
          inner.success(now)
          note(circuit.release(settings, admission, "success", now))
        }
      }
    }
    return { next, counts }
  }
  return {
    name: `${policy.name} + ${label}`,
    family: policy.family,
    detail: [policy.detail, breakerText(settings)].filter((s) => s !== "").join("; "),
    start: (rng) => {
      const run = gated(rng)
      runs.push(run.counts)
      return run.next
    },
    gated,
    runs
  }
}

const breakerText = (s: Settings): string =>
  `breaker: ${s.consecutiveFailures} in a row or > ${s.failureRatio * 100}% of ≥ ${s.minimumRuns} in ${
    s.windowMillis / 1000
  } s, break ${s.breakMillis / 1000} s`

export const isBreakerPolicy = (policy: Policy): policy is BreakerPolicy => "gated" in policy

// ---------------------------------------------------------------------------------------------
// the outage runner with admission
// ---------------------------------------------------------------------------------------------

export interface SheddingSettings extends OutageSettings {
  /** The server checks each request's deadline before serving it and drops it if its caller has gone. */
  readonly dropAbandoned: boolean
}

/**
 * The server of (d), optionally dropping abandoned requests: a request whose caller's deadline has
 * passed when its turn comes costs nothing and is never answered.
 */
class Server {
  private free = 0
  wasted = 0
  served = 0
  constructor(readonly settings: SheddingSettings) {}

  /** When the request completes, or `Infinity` when it is dropped. */
  admit(now: number, deadline: number): number {
    const { capacity, dropAbandoned, outage, outageStart } = this.settings
    let begin = Math.max(now, this.free)
    if (begin >= outageStart && begin < outageStart + outage) begin = outageStart + outage
    if (dropAbandoned && begin >= deadline) return Infinity
    const done = begin + 1000 / capacity
    this.free = done
    this.served++
    if (done > deadline) this.wasted++
    return done
  }
}

export interface SheddingRun {
  readonly recoveryMs: number | undefined
  /** Goodput over the 30 s after the outage, as a share of the load. */
  readonly goodputAfter: number
  /** Attempts whose caller waited for the whole timeout. */
  readonly timedOut: number
  /** Logical requests that never succeeded, and their mean time from arrival to failure, ms. */
  readonly failed: number
  readonly failedLatencyMs: number
  readonly requests: number
  readonly shed: number
  readonly opens: number
  readonly halfOpens: number
  readonly closes: number
}

/** One run of the outage scenario, with an admission step for breaker policies. */
export const runShedding = (policy: Policy, workload: Rng, rng: Rng, settings: SheddingSettings): SheddingRun => {
  const queue = new EventQueue()
  const server = new Server(settings)
  const seconds = Math.ceil(settings.horizon / 1000)
  const goodput = new Array<number>(seconds).fill(0)
  const gated = isBreakerPolicy(policy) ? policy.gated(rng) : undefined
  const next: () => Retrier = gated === undefined ? policy.start(rng) : gated.next
  const end = settings.outageStart + settings.outage
  let requests = 0
  let timedOut = 0
  let failed = 0
  let failedLatency = 0
  interface Request {
    readonly retrier: Retrier
    readonly arrived: number
  }
  const succeed = (t: number, request: Request) => {
    if (t < settings.horizon) goodput[Math.floor(t / 1000)]++
    request.retrier.success(t)
  }
  const timeout = (t: number, request: Request) => {
    timedOut++
    const wait = request.retrier.failure(t, timeoutError)
    if (wait === undefined) {
      failed++
      failedLatency += t - request.arrived
    } else if (t + wait < settings.horizon) {
      queue.schedule(t + wait, attempt, request)
    }
  }
  const attempt = (now: number, request: Request) => {
    const deadline = now + settings.timeout
    const done = server.admit(now, deadline)
    if (done <= deadline) queue.schedule(done, succeed, request)
    else queue.schedule(deadline, timeout, request)
  }
  let arrival = workload.exponential(settings.load / 1000)
  const arrive = (now: number) => {
    requests++
    const retrier = next()
    if (gated !== undefined && !(retrier as GatedRetrier).admit(now)) {
      // shed: fails at once, without an attempt
      failed++
    } else {
      attempt(now, { retrier, arrived: now })
    }
    arrival += workload.exponential(settings.load / 1000)
    if (arrival < settings.horizon) queue.schedule(arrival, arrive)
  }
  queue.schedule(arrival, arrive)
  queue.run(settings.horizon)

  const recoveryMs = recoveryAfter(goodput, end, settings)
  const after = Math.ceil(end / 1000)
  let sum = 0
  for (let k = after; k < Math.min(seconds, after + 30); k++) sum += goodput[k]
  const counts = gated?.counts ?? { opens: 0, halfOpens: 0, closes: 0, shed: 0 }
  return {
    recoveryMs,
    goodputAfter: sum / (Math.min(seconds, after + 30) - after) / settings.load,
    timedOut,
    failed,
    failedLatencyMs: failed === 0 ? 0 : failedLatency / failed,
    requests,
    ...counts
  }
}

// ---------------------------------------------------------------------------------------------
// the scenarios
// ---------------------------------------------------------------------------------------------

export type SheddingScenario = "outage" | "hard-down" | "drop-abandoned"

export const sheddingScenarios: Readonly<Record<SheddingScenario, SheddingSettings>> = {
  outage: { ...outageDefaults, dropAbandoned: false },
  "hard-down": { ...outageDefaults, outage: 60_000, dropAbandoned: false },
  "drop-abandoned": { ...outageDefaults, dropAbandoned: true }
}

export interface SheddingRow extends Omit<SheddingRun, "requests"> {
  readonly scenario: SheddingScenario
  readonly policy: string
  readonly family: Policy["family"]
  readonly detail: string
  readonly load: number
  readonly requests: number
}

/**
 * Every policy at every load in one scenario. The seeds are those of (d) (`outage`, load; then the
 * policy's name), so the arrivals are the same ones (d) uses.
 */
export const shedding = (
  scenario: SheddingScenario,
  policies: ReadonlyArray<Policy>,
  loads: ReadonlyArray<number>,
  seed: number
): Array<SheddingRow> => {
  const rows: Array<SheddingRow> = []
  for (const load of loads) {
    for (const policy of policies) {
      const run = runShedding(
        policy,
        new Rng(hashSeed(seed, "outage", load)),
        new Rng(hashSeed(seed, "outage", load, policy.name)),
        { ...sheddingScenarios[scenario], load }
      )
      rows.push({ scenario, policy: policy.name, family: policy.family, detail: policy.detail, load, ...run })
    }
  }
  return rows
}

/** The transitions of a breaker policy summed over the simulation runs started through `start`. */
export const totalCounts = (policy: BreakerPolicy): BreakerCounts =>
  policy.runs.reduce(
    (sum, c) => ({
      opens: sum.opens + c.opens,
      halfOpens: sum.halfOpens + c.halfOpens,
      closes: sum.closes + c.closes,
      shed: sum.shed + c.shed
    }),
    { opens: 0, halfOpens: 0, closes: 0, shed: 0 }
  )

// ---------------------------------------------------------------------------------------------
// (b) and (c) behind the breaker
// ---------------------------------------------------------------------------------------------

export interface BreakerRateLimitRow {
  readonly policy: string
  readonly variant: HintVariant
  readonly runs: number
  /** Summed over the runs. */
  readonly opens: number
}

/** Every library policy of (b) behind the default breaker: opens per hint variant. */
export const breakerRateLimit = (
  policies: ReadonlyArray<Policy>,
  runs: number,
  seed: number
): Array<BreakerRateLimitRow> => {
  const wrapped = policies.map((policy) => withBreaker(policy))
  rateLimit(wrapped, runs, seed)
  // `rateLimit` runs variant by variant, each policy `runs` times
  return hintVariants.flatMap((variant, v) =>
    wrapped.map((policy) => ({
      policy: policy.name,
      variant,
      runs,
      opens: policy.runs.slice(v * runs, (v + 1) * runs).reduce((n, c) => n + c.opens, 0)
    }))
  )
}

export interface BreakerFaultMixRow {
  readonly policy: string
  readonly runs: number
  /** Summed over the runs. */
  readonly opens: number
  readonly shed: number
  readonly healthyShed: number
  /** Per run. */
  readonly succeeded: number
  readonly succeededWithout: number
}

/** Every library policy of (c), with and without the default breaker, on the same seeds. */
export const breakerFaultMix = (
  policies: ReadonlyArray<Policy>,
  runs: number,
  seed: number
): Array<BreakerFaultMixRow> =>
  policies.map((policy) => {
    const wrapped = withBreaker(policy)
    let shed = 0
    let healthyShed = 0
    let succeeded = 0
    let succeededWithout = 0
    for (let r = 0; r < runs; r++) {
      // the policy's own stream, as (c) draws it, for both: the breaker changes nothing else
      const rng = () => new Rng(hashSeed(seed, "fault-mix", policy.name, r))
      const workload = () => new Rng(hashSeed(seed, "fault-mix", r))
      const run = runFaultMix(wrapped, workload(), rng())
      shed += run.shed
      healthyShed += run.healthyShed
      succeeded += run.succeeded
      succeededWithout += runFaultMix(policy, workload(), rng()).succeeded
    }
    return {
      policy: wrapped.name,
      runs,
      opens: totalCounts(wrapped).opens,
      shed,
      healthyShed,
      succeeded: succeeded / runs,
      succeededWithout: succeededWithout / runs
    }
  })
