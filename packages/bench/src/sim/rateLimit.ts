/**
 * Scenario (b): a rate-limited API. A fixed window of `limit` requests per `window` (100 per
 * 10 s, windows aligned on multiples of the width); a request over the limit gets a 429 whose
 * headers depend on the variant. `clients` clients each send `requests` requests one after the
 * other; a request that its policy gives up on is dropped and the client moves on.
 */
import { EPOCH } from "./policies.js"
import type { Policy } from "./policies.js"
import { EventQueue } from "./queue.js"
import { hashSeed, Rng } from "./random.js"

export type HintVariant = "delta-seconds" | "http-date" | "missing" | "ratelimit-t"

export const hintVariants: ReadonlyArray<HintVariant> = ["delta-seconds", "http-date", "missing", "ratelimit-t"]

export interface RateLimitSettings {
  readonly limit: number
  /** Window width, milliseconds. */
  readonly window: number
  readonly clients: number
  readonly requests: number
}

export const rateLimitDefaults: RateLimitSettings = { limit: 100, window: 10_000, clients: 20, requests: 50 }

/** A 429 as an HTTP client library surfaces it: status and headers on the error. */
export interface TooManyRequests {
  readonly status: 429
  readonly message: string
  readonly headers: Readonly<Record<string, string>>
}

/** The server's answer: accepted, or a 429 with the time (simulated ms) its hint says to wait until. */
export type Answer =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: TooManyRequests; readonly hintUntil: number | undefined }

/** The fixed-window limiter. Rejected requests do not count against the window. */
export class FixedWindowServer {
  private windowIndex = -1
  private count = 0
  /** Arrivals (accepted or not) per window, and in the first 100 ms of each window. */
  readonly arrivals: Array<number> = []
  readonly early: Array<number> = []

  constructor(readonly settings: RateLimitSettings, readonly variant: HintVariant) {}

  handle(now: number): Answer {
    const { limit, window } = this.settings
    const index = Math.floor(now / window)
    if (index !== this.windowIndex) {
      this.windowIndex = index
      this.count = 0
    }
    this.arrivals[index] = (this.arrivals[index] ?? 0) + 1
    if (now - index * window < 100) this.early[index] = (this.early[index] ?? 0) + 1
    if (this.count < limit) {
      this.count++
      return { ok: true }
    }
    const reset = (index + 1) * window
    const seconds = Math.max(1, Math.ceil((reset - now) / 1000))
    const headers: Record<string, string> = {}
    let hintUntil: number | undefined
    switch (this.variant) {
      case "delta-seconds":
        headers["retry-after"] = String(seconds)
        hintUntil = now + seconds * 1000
        break
      case "http-date":
        // RFC 9110 §5.6.7 IMF-fixdate; the reset is on a whole second here
        headers["retry-after"] = new Date(EPOCH + reset).toUTCString()
        hintUntil = reset
        break
      case "ratelimit-t":
        // draft-ietf-httpapi-ratelimit-headers: remaining quota r, seconds until reset t
        headers["ratelimit"] = `"default";r=0;t=${seconds}`
        headers["ratelimit-policy"] = `"default";q=${limit};w=${window / 1000}`
        hintUntil = now + seconds * 1000
        break
      case "missing":
        hintUntil = undefined
    }
    return { ok: false, error: { status: 429, message: "Too Many Requests", headers }, hintUntil }
  }
}

/**
 * How the clients of one run share server hints (a shared cool-down, as `RetryCooldown`,
 * `RedisRetry.layer` and the platform HTTP transform give them):
 * - `off`: each request knows only its own 429s;
 * - `first`: a hint seen by any client holds every client's *first* attempts until it expires (the
 *   library before issue 16's last step);
 * - `every`: it holds every attempt, retries too (the library now): a retry whose own wait ends
 *   while another request's hint still runs waits for the rest, without being sent.
 */
export type Cooldown = "off" | "first" | "every"

export interface RateLimitRun {
  readonly sent: number
  readonly rejected: number
  /** Retries sent before the hint of their request's last 429 had expired. */
  readonly early: number
  readonly completed: number
  readonly dropped: number
  /** First attempts sent while a hint another request received had not expired. */
  readonly firstDuringHint: number
  /** When the last client finished, milliseconds. */
  readonly time: number
  /** Mean and largest number of requests arriving in the first 100 ms of each window after the first. */
  readonly burstMean: number
  readonly burstMax: number
}

export const runRateLimit = (
  policy: Policy,
  variant: HintVariant,
  rng: Rng,
  settings: RateLimitSettings = rateLimitDefaults,
  /** Shared cool-downs: see {@link Cooldown}. Default: the policy's own, else `off`. */
  cooldown: Cooldown = policy.cooldown ?? "off"
): RateLimitRun => {
  const queue = new EventQueue()
  const server = new FixedWindowServer(settings, variant)
  const hop = () => Math.abs(rng.normal(10, 2))
  const start = policy.start(rng)
  let sent = 0
  let rejected = 0
  let early = 0
  let completed = 0
  let dropped = 0
  let finished = 0
  // the latest hint any client received: first attempts sent before it are counted, and held with cool-downs
  let hintedUntil = -Infinity
  let firstDuringHint = 0
  for (let c = 0; c < settings.clients; c++) {
    let left = settings.requests
    const next = (now: number) => {
      if (left === 0) {
        finished = Math.max(finished, now)
        return
      }
      left--
      const retrier = start()
      // the hint of this request's last 429: a retry sent before it is sent too early
      let notBefore = -Infinity
      const send = (t: number) => {
        if (cooldown === "every" && hintedUntil > t) {
          queue.schedule(hintedUntil, send)
          return
        }
        sent++
        // 0.01 ms of slack: the library computes a wait from epoch milliseconds (about 1.7e12),
        // whose doubles carry about 0.0002 ms of rounding
        if (t < notBefore - 0.01) early++
        queue.schedule(t + hop(), (arrival) => {
          const answer = server.handle(arrival)
          queue.schedule(arrival + hop(), (back) => {
            if (answer.ok) {
              completed++
              retrier.success(back)
              next(back)
              return
            }
            rejected++
            if (answer.hintUntil !== undefined) {
              notBefore = Math.max(notBefore, answer.hintUntil)
              hintedUntil = Math.max(hintedUntil, answer.hintUntil)
            }
            const wait = retrier.failure(back, answer.error)
            if (wait === undefined) {
              dropped++
              next(back)
            } else {
              queue.schedule(back + wait, send)
            }
          })
        })
      }
      if (cooldown !== "off" && hintedUntil > now) {
        queue.schedule(hintedUntil, send)
        return
      }
      if (now < hintedUntil - 0.01) firstDuringHint++
      send(now)
    }
    queue.schedule(0, next)
  }
  queue.run()
  const bursts: Array<number> = []
  for (let w = 1; w < server.arrivals.length; w++) {
    if (server.arrivals[w] !== undefined) bursts.push(server.early[w] ?? 0)
  }
  return {
    sent,
    rejected,
    early,
    completed,
    dropped,
    firstDuringHint,
    time: finished,
    burstMean: bursts.length === 0 ? 0 : bursts.reduce((a, b) => a + b, 0) / bursts.length,
    burstMax: bursts.length === 0 ? 0 : Math.max(...bursts)
  }
}

export interface RateLimitRow {
  readonly policy: string
  readonly family: Policy["family"]
  readonly detail: string
  readonly variant: HintVariant
  readonly runs: number
  /** Means over the runs. */
  readonly rejected: number
  readonly early: number
  readonly completed: number
  readonly dropped: number
  readonly timeMs: number
  readonly burstMean: number
  readonly burstMax: number
}

export const rateLimit = (
  policies: ReadonlyArray<Policy>,
  runs: number,
  seed: number,
  settings: RateLimitSettings = rateLimitDefaults
): Array<RateLimitRow> => {
  const rows: Array<RateLimitRow> = []
  for (const variant of hintVariants) {
    for (const policy of policies) {
      const sum = { rejected: 0, early: 0, completed: 0, dropped: 0, time: 0, burstMean: 0, burstMax: 0 }
      for (let r = 0; r < runs; r++) {
        const run = runRateLimit(
          policy,
          variant,
          new Rng(hashSeed(seed, "rate-limit", variant, policy.name, r)),
          settings
        )
        sum.rejected += run.rejected
        sum.early += run.early
        sum.completed += run.completed
        sum.dropped += run.dropped
        sum.time += run.time
        sum.burstMean += run.burstMean
        sum.burstMax += run.burstMax
      }
      rows.push({
        policy: policy.name,
        family: policy.family,
        detail: policy.detail,
        variant,
        runs,
        rejected: sum.rejected / runs,
        early: sum.early / runs,
        completed: sum.completed / runs,
        dropped: sum.dropped / runs,
        timeMs: sum.time / runs,
        burstMean: sum.burstMean / runs,
        burstMax: sum.burstMax / runs
      })
    }
  }
  return rows
}
