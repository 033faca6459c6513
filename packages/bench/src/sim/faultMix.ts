/**
 * Scenario (c): a fault mix where most retries are waste. 1,000 requests: 80% succeed, 10% are
 * transient (fail exactly once or twice, then succeed: half connection resets, half 503s), 5% are
 * permanent (400, 404, 422) and 5% are data errors (a Schema `ParseError`). Every policy allows at
 * most 3 attempts. Requests arrive as a Poisson stream of 10 per second; each attempt takes two
 * hops of |Normal(10 ms, 2 ms)|.
 */
import type { Policy } from "./policies.js"
import { EventQueue } from "./queue.js"
import { hashSeed, Rng } from "./random.js"

export type Fault = "ok" | "transient-1" | "transient-2" | "permanent" | "data"

export interface FaultMixSettings {
  readonly requests: number
  /** Shares of each kind, summing to 1. */
  readonly mix: Readonly<Record<Fault, number>>
  /** Arrivals per second. */
  readonly rate: number
}

export const faultMixDefaults: FaultMixSettings = {
  requests: 1000,
  mix: { ok: 0.8, "transient-1": 0.05, "transient-2": 0.05, permanent: 0.05, data: 0.05 },
  rate: 10
}

const permanentStatuses = [400, 404, 422] as const

/** The error a request of kind `fault` fails with on its `attempt`-th attempt (1-based), or `undefined`. */
export const faultError = (fault: Fault, attempt: number, index: number): unknown => {
  switch (fault) {
    case "ok":
      return undefined
    case "transient-1":
    case "transient-2": {
      if (attempt > (fault === "transient-1" ? 1 : 2)) return undefined
      return index % 2 === 0
        ? { code: "ECONNRESET", message: "read ECONNRESET" }
        : { status: 503, message: "Service Unavailable", headers: {} }
    }
    case "permanent": {
      const status = permanentStatuses[index % permanentStatuses.length]
      return { status, message: `HTTP ${status}`, headers: {} }
    }
    case "data":
      return { _tag: "ParseError", message: "Expected number, actual \"n/a\"" }
  }
}

/** Exactly `round(share × requests)` requests of each kind, in a seeded random order. */
export const assignFaults = (settings: FaultMixSettings, rng: Rng): Array<Fault> => {
  const kinds = Object.keys(settings.mix) as Array<Fault>
  const out: Array<Fault> = []
  for (const kind of kinds) {
    const n = Math.round(settings.mix[kind] * settings.requests)
    for (let i = 0; i < n; i++) out.push(kind)
  }
  while (out.length < settings.requests) out.push("ok")
  out.length = settings.requests
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const x = out[i]
    out[i] = out[j]
    out[j] = x
  }
  return out
}

export interface FaultMixRun {
  readonly attempts: number
  /** Attempts after the first on permanent or data-error requests. */
  readonly wastedAttempts: number
  readonly transient: number
  readonly transientRecovered: number
  /** Mean time from the first attempt to success of the recovered transient requests, milliseconds. */
  readonly meanRecoveryMs: number
  readonly succeeded: number
  /** Requests a circuit breaker shed before their first attempt, and those of them that would have succeeded. */
  readonly shed: number
  readonly healthyShed: number
}

/**
 * One run. The workload (which request fails how, and when each arrives) comes from `workload`, so
 * every policy sees the same requests; network delays and jitter come from `rng`.
 */
export const runFaultMix = (
  policy: Policy,
  workload: Rng,
  rng: Rng,
  settings: FaultMixSettings = faultMixDefaults
): FaultMixRun => {
  const queue = new EventQueue()
  const faults = assignFaults(settings, workload)
  const hop = () => Math.abs(rng.normal(10, 2))
  const start = policy.start(rng)
  let attempts = 0
  let wasted = 0
  let transientRecovered = 0
  let recoveryTime = 0
  let succeeded = 0
  let shed = 0
  let healthyShed = 0
  let arrival = 0
  faults.forEach((fault, index) => {
    arrival += workload.exponential(settings.rate / 1000)
    queue.schedule(arrival, (first) => {
      const retrier = start()
      // a policy behind a circuit breaker may shed the request before its first attempt
      if ("admit" in retrier && !(retrier as { admit: (now: number) => boolean }).admit(first)) {
        shed++
        if (fault === "ok") healthyShed++
        return
      }
      let attempt = 0
      const send = (t: number) => {
        attempt++
        attempts++
        if (attempt > 1 && (fault === "permanent" || fault === "data")) wasted++
        const error = faultError(fault, attempt, index)
        queue.schedule(t + hop() + hop(), (back) => {
          if (error === undefined) {
            succeeded++
            if (fault === "transient-1" || fault === "transient-2") {
              transientRecovered++
              recoveryTime += back - first
            }
            retrier.success(back)
            return
          }
          const wait = retrier.failure(back, error)
          if (wait !== undefined) queue.schedule(back + wait, send)
        })
      }
      send(first)
    })
  })
  queue.run()
  const transient = faults.filter((f) => f === "transient-1" || f === "transient-2").length
  return {
    attempts,
    wastedAttempts: wasted,
    transient,
    transientRecovered,
    meanRecoveryMs: transientRecovered === 0 ? 0 : recoveryTime / transientRecovered,
    succeeded,
    shed,
    healthyShed
  }
}

export interface FaultMixRow {
  readonly policy: string
  readonly family: Policy["family"]
  readonly detail: string
  readonly runs: number
  readonly attempts: number
  readonly wastedAttempts: number
  /** Recovered transient requests over transient requests. */
  readonly recoveryRate: number
  readonly meanRecoveryMs: number
  readonly succeeded: number
}

export const faultMix = (
  policies: ReadonlyArray<Policy>,
  runs: number,
  seed: number,
  settings: FaultMixSettings = faultMixDefaults
): Array<FaultMixRow> =>
  policies.map((policy) => {
    const sum = { attempts: 0, wasted: 0, transient: 0, recovered: 0, recovery: 0, succeeded: 0 }
    for (let r = 0; r < runs; r++) {
      const run = runFaultMix(
        policy,
        new Rng(hashSeed(seed, "fault-mix", r)),
        new Rng(hashSeed(seed, "fault-mix", policy.name, r)),
        settings
      )
      sum.attempts += run.attempts
      sum.wasted += run.wastedAttempts
      sum.transient += run.transient
      sum.recovered += run.transientRecovered
      sum.recovery += run.meanRecoveryMs
      sum.succeeded += run.succeeded
    }
    return {
      policy: policy.name,
      family: policy.family,
      detail: policy.detail,
      runs,
      attempts: sum.attempts / runs,
      wastedAttempts: sum.wasted / runs,
      recoveryRate: sum.transient === 0 ? 1 : sum.recovered / sum.transient,
      meanRecoveryMs: sum.recovery / runs,
      succeeded: sum.succeeded / runs
    }
  })
