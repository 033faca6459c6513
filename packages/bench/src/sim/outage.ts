/**
 * Scenario (d): outage and recovery, the shape of a metastable failure (Bronson et al.,
 * "Metastable Failures in Distributed Systems", HotOS 2021).
 *
 * A server serves `capacity` requests per second from one FIFO queue, one at a time, and keeps
 * serving requests whose callers have already timed out: that work is wasted. Requests arrive as an
 * open-loop Poisson stream of `load` per second; every attempt has a `timeout` (1 s), after which
 * the caller's policy decides whether to retry. For `outage` milliseconds from `outageStart` the
 * server serves nothing (a stalled dependency); requests keep queueing. After it, a policy whose
 * retries push the offered load past capacity keeps every request waiting longer than the timeout,
 * so every attempt fails and is retried: the system never recovers, although the trigger is gone.
 */
import type { Policy, Retrier } from "./policies.js"
import { EventQueue } from "./queue.js"
import { hashSeed, Rng } from "./random.js"

export interface OutageSettings {
  /** Requests served per second. */
  readonly capacity: number
  /** Open-loop arrivals per second. */
  readonly load: number
  /** Per-attempt timeout, milliseconds. */
  readonly timeout: number
  readonly outageStart: number
  /** Outage length, milliseconds. */
  readonly outage: number
  /** Simulated time, milliseconds. */
  readonly horizon: number
  /** Width of the recovery window, milliseconds, and the goodput it needs as a share of the load. */
  readonly recoveryWindow: number
  readonly recoveryShare: number
}

export const outageDefaults: OutageSettings = {
  capacity: 300,
  load: 280,
  timeout: 1000,
  outageStart: 10_000,
  outage: 10_000,
  horizon: 200_000,
  recoveryWindow: 10_000,
  recoveryShare: 0.95
}

/** What a caller sees when its attempt times out (the library classifies it as `network_error`). */
export const timeoutError = Object.freeze({ _tag: "TimeoutException", message: "Operation timed out after 1s" })

/**
 * The server: FIFO, one request at a time, `1000 / capacity` ms each; nothing is served during the
 * outage. Since the queue is FIFO and service times are fixed, a request's completion time is known
 * when it arrives.
 */
export class FifoServer {
  private free = 0
  /** Requests served after their caller had timed out. */
  wasted = 0
  served = 0
  constructor(readonly settings: OutageSettings) {}

  /** Admits a request arriving at `now` whose caller gives up at `deadline`; returns when it completes. */
  admit(now: number, deadline: number): number {
    const { capacity, outage, outageStart } = this.settings
    let begin = Math.max(now, this.free)
    if (begin >= outageStart && begin < outageStart + outage) begin = outageStart + outage
    const done = begin + 1000 / capacity
    this.free = done
    this.served++
    if (done > deadline) this.wasted++
    return done
  }
}

export interface OutageRun {
  /** Attempts arriving per second, per whole second of simulated time. */
  readonly offered: Array<number>
  /** Successful responses (within the timeout) per second. */
  readonly goodput: Array<number>
  /** Milliseconds from the end of the outage to the start of the first recovered window; `undefined`: never. */
  readonly recoveryMs: number | undefined
  /** Mean offered load over the 60 s after the outage, as a multiple of the base load. */
  readonly amplification: number
  /** Offered load over the last 30 s, as a multiple of the base load. */
  readonly finalAmplification: number
  /** Share of the server's work after the outage spent on requests whose callers had timed out. */
  readonly wastedShare: number
  /** Logical requests that never succeeded. */
  readonly failed: number
  readonly requests: number
}

export const runOutage = (
  policy: Policy,
  workload: Rng,
  rng: Rng,
  settings: OutageSettings = outageDefaults
): OutageRun => {
  const queue = new EventQueue()
  const server = new FifoServer(settings)
  const seconds = Math.ceil(settings.horizon / 1000)
  const offered = new Array<number>(seconds).fill(0)
  const goodput = new Array<number>(seconds).fill(0)
  const start = policy.start(rng)
  const end = settings.outageStart + settings.outage
  let servedBefore = 0
  let wastedBefore = 0
  let requests = 0
  let succeeded = 0
  queue.schedule(end, () => {
    servedBefore = server.served
    wastedBefore = server.wasted
  })
  // one handler per kind of event; the request's retrier travels as the event's argument
  const succeed = (t: number, retrier: Retrier) => {
    if (t < settings.horizon) goodput[Math.floor(t / 1000)]++
    succeeded++
    retrier.success(t)
  }
  const timeout = (t: number, retrier: Retrier) => {
    const wait = retrier.failure(t, timeoutError)
    if (wait !== undefined && t + wait < settings.horizon) queue.schedule(t + wait, attempt, retrier)
  }
  const attempt = (now: number, retrier: Retrier) => {
    if (now < settings.horizon) offered[Math.floor(now / 1000)]++
    const deadline = now + settings.timeout
    const done = server.admit(now, deadline)
    if (done <= deadline) queue.schedule(done, succeed, retrier)
    else queue.schedule(deadline, timeout, retrier)
  }
  // open-loop arrivals, drawn from the workload stream so that every policy sees the same ones
  let arrival = workload.exponential(settings.load / 1000)
  const arrive = (now: number) => {
    requests++
    attempt(now, start())
    arrival += workload.exponential(settings.load / 1000)
    if (arrival < settings.horizon) queue.schedule(arrival, arrive)
  }
  queue.schedule(arrival, arrive)
  queue.run(settings.horizon)

  const recoveryMs = recoveryAfter(goodput, end, settings)
  const mean = (from: number, to: number) => {
    let sum = 0
    for (let k = from; k < to; k++) sum += offered[k]
    return sum / (to - from) / settings.load
  }
  const after = Math.ceil(end / 1000)
  const servedAfter = server.served - servedBefore
  return {
    offered,
    goodput,
    recoveryMs,
    amplification: mean(after, Math.min(seconds, after + 60)),
    finalAmplification: mean(seconds - 30, seconds),
    wastedShare: servedAfter === 0 ? 0 : (server.wasted - wastedBefore) / servedAfter,
    failed: requests - succeeded,
    requests
  }
}

/**
 * How long after the outage's `end` (ms) goodput first holds `recoveryShare` of the offered load
 * over `recoveryWindow`; `undefined` if it never does within the per-second series.
 */
export const recoveryAfter = (
  goodput: ReadonlyArray<number>,
  end: number,
  settings: Pick<OutageSettings, "recoveryWindow" | "recoveryShare" | "load">
): number | undefined => {
  const window = settings.recoveryWindow / 1000
  const need = settings.recoveryShare * settings.load * window
  for (let s = Math.ceil(end / 1000); s + window <= goodput.length; s++) {
    let sum = 0
    for (let k = s; k < s + window; k++) sum += goodput[k]
    if (sum >= need) return s * 1000 - end
  }
  return undefined
}

export interface OutageRow {
  readonly policy: string
  readonly family: Policy["family"]
  readonly detail: string
  readonly load: number
  readonly recoveryMs: number | undefined
  readonly amplification: number
  readonly finalAmplification: number
  readonly wastedShare: number
  readonly failedShare: number
  /** Offered load per second (for the chart). */
  readonly offered: ReadonlyArray<number>
}

export const outage = (
  policies: ReadonlyArray<Policy>,
  loads: ReadonlyArray<number>,
  seed: number,
  settings: OutageSettings = outageDefaults
): Array<OutageRow> => {
  const rows: Array<OutageRow> = []
  for (const load of loads) {
    for (const policy of policies) {
      const s = { ...settings, load }
      const run = runOutage(
        policy,
        new Rng(hashSeed(seed, "outage", load)),
        new Rng(hashSeed(seed, "outage", load, policy.name)),
        s
      )
      rows.push({
        policy: policy.name,
        family: policy.family,
        detail: policy.detail,
        load,
        recoveryMs: run.recoveryMs,
        amplification: run.amplification,
        finalAmplification: run.finalAmplification,
        wastedShare: run.wastedShare,
        failedShare: run.failed / run.requests,
        offered: run.offered
      })
    }
  }
  return rows
}
