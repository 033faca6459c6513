/**
 * Circuit breakers shared through Redis. Counting stays in each process (its own runs, with core's
 * in-process state machine); only the open and half-open states live in Redis, read once per run
 * and changed by Lua scripts that read the server's clock (`TIME`), so that one worker's open
 * breaker sheds every worker's runs and exactly one run of the fleet probes after a break.
 *
 * Redis unreachable, slow or failing: the process falls back to its own in-process breakers (the
 * same state machine, the same thresholds), logs it once, and counts it. A run never fails or
 * waits longer than the command timeout because of Redis.
 *
 * @internal
 */
import type { InvalidPolicyError } from "@intelligent-retry/core"
import { CircuitBreaker, RetryPolicy } from "@intelligent-retry/core"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Redis } from "ioredis"
import { createHash } from "node:crypto"
import type { Options as PublicOptions, Store } from "../RedisCircuitBreaker.js"
import type { Guard } from "./connection.js"
import { client, fellBack, guard, validate, validateUrl } from "./connection.js"

export { client, DEFAULT_PREFIX, validate } from "./connection.js"

type Admission = CircuitBreaker.Admission
type Settings = CircuitBreaker.CircuitBreakerSettings
type Transition = CircuitBreaker.Transition

/**
 * State of a key: absent (closed), or a hash `{ state: "open" | "half_open", until, since, gen }`.
 * Every write sets a TTL of three break lengths past the last change, so a key can never keep a
 * breaker open or half-open forever.
 *
 * Replies: `{0}` admitted (closed); `{1, ms}` rejected, `ms` to wait; `{2, gen, 1|0}` admitted as
 * the probe `gen`, 1 when this admission moved the breaker to half-open.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local brk = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'state', 'until', 'since', 'gen')
if not s[1] then return {0} end
local gen = (tonumber(s[4]) or 0) + 1
if s[1] == 'open' then
  local untilv = tonumber(s[2]) or 0
  if now < untilv then return {1, untilv - now} end
  redis.call('HSET', KEYS[1], 'state', 'half_open', 'since', now, 'gen', gen)
  redis.call('PEXPIRE', KEYS[1], 3 * brk)
  return {2, gen, 1}
end
local free = (tonumber(s[3]) or 0) + brk
if now < free then return {1, free - now} end
redis.call('HSET', KEYS[1], 'since', now, 'gen', gen)
redis.call('PEXPIRE', KEYS[1], 3 * brk)
return {2, gen, 0}
`

/** Opens a closed breaker for a break; `1` if this call opened it. A breaker already open or probing is left alone. */
const OPEN = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local brk = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'open', 'until', now + brk, 'since', 0, 'gen', 0)
redis.call('PEXPIRE', KEYS[1], 3 * brk)
return 1
`

/**
 * Settles probe `gen` with `result` (success, failure, interrupted): closes (`"closed"`), reopens
 * (`"open"`) or frees the probe slot; a stale probe settles nothing (`""`).
 */
const SETTLE = `
local s = redis.call('HMGET', KEYS[1], 'state', 'gen')
if s[1] ~= 'half_open' or s[2] ~= ARGV[2] then return '' end
local brk = tonumber(ARGV[1])
if ARGV[3] == 'success' then
  redis.call('DEL', KEYS[1])
  return 'closed'
end
if ARGV[3] == 'failure' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSET', KEYS[1], 'state', 'open', 'until', now + brk)
  redis.call('PEXPIRE', KEYS[1], 3 * brk)
  return 'open'
end
redis.call('HSET', KEYS[1], 'since', 0)
return ''
`

const STATE = `
local s = redis.call('HMGET', KEYS[1], 'state', 'until')
if not s[1] then return 'closed' end
return s[1]
`

const shas = new Map<string, string>()
const sha1 = (source: string): string => {
  let sha = shas.get(source)
  if (sha === undefined) {
    sha = createHash("sha1").update(source).digest("hex")
    shas.set(source, sha)
  }
  return sha
}

/** Where an admission came from: probes of Redis and of the local fallback settle in different places. */
interface Sourced {
  readonly source: "redis" | "local"
}

const ADMITTED: Admission & Sourced = Object.freeze({
  _tag: "Admitted",
  probe: false,
  token: 0,
  transition: undefined,
  source: "redis"
})

/** @internal */
export interface Options {
  readonly client: Redis
  readonly keyPrefix: string
  /** Longest wait for one Redis command, milliseconds. */
  readonly timeoutMillis: number
}

/** What the store reports about itself. @internal */
export interface Health {
  /** Redis calls that failed or timed out, answered locally instead. */
  readonly fallbacks: number
}

/** @internal */
export const make = (options: Options): CircuitBreaker.CircuitBreakerService & { readonly health: () => Health } => {
  const { client, keyPrefix, timeoutMillis } = options
  const local = CircuitBreaker.makeCircuits()
  const fallback: Guard = guard("circuit_breaker", timeoutMillis)
  const keyOf = (key: string) => `${keyPrefix}cb:${key}`

  /** By SHA once Redis has the script (one round trip, no script text); loaded on `NOSCRIPT`. */
  const evaluate = async (source: string, key: string, args: ReadonlyArray<string | number>): Promise<unknown> => {
    const sha = sha1(source)
    try {
      return await client.evalsha(sha, 1, key, ...args)
    } catch (error) {
      if (!String((error as { message?: unknown } | null)?.message).startsWith("NOSCRIPT")) throw error
      return await client.eval(source, 1, key, ...args)
    }
  }

  /**
   * Runs a script; on any failure or after the timeout, `orElse`: logged once, counted in
   * `intelligent_retry_redis_fallbacks_total{feature="circuit_breaker"}`.
   */
  const script = <A>(
    source: string,
    key: string,
    args: ReadonlyArray<string | number>,
    orElse: () => Effect.Effect<A>,
    decode: (reply: unknown) => A
  ): Effect.Effect<A> =>
    Effect.tryPromise(() => evaluate(source, keyOf(key), args)).pipe(
      Effect.timeout(Duration.millis(timeoutMillis)),
      Effect.map(decode),
      Effect.catchAllCause((cause) => Effect.zipRight(fellBack(fallback, cause), orElse()))
    )

  const localAcquire = (key: string, settings: Settings, clock: Clock.Clock): Effect.Effect<Admission> =>
    Effect.sync(() => {
      const admission = local.get(key, settings).acquire(settings, clock.unsafeCurrentTimeMillis())
      return admission._tag === "Admitted" ? { ...admission, source: "local" as const } : admission
    })

  const decodeAcquire = (reply: unknown): Admission => {
    const [kind, a, b] = reply as [number, number?, number?]
    if (kind === 0) return ADMITTED
    if (kind === 1) return { _tag: "Rejected", retryAfter: Number(a) }
    const admission: Admission & Sourced = {
      _tag: "Admitted",
      probe: true,
      token: Number(a),
      transition: b === 1 ? "half_open" : undefined,
      source: "redis"
    }
    return admission
  }

  const release = (
    key: string,
    settings: Settings,
    admission: Admission,
    result: CircuitBreaker.RunResult,
    clock: Clock.Clock
  ): Effect.Effect<Transition | undefined> => {
    if (admission._tag !== "Admitted") return Effect.succeed(undefined)
    const now = clock.unsafeCurrentTimeMillis()
    const circuit = local.get(key, settings)
    if ((admission as Admission & Partial<Sourced>).source === "local") {
      // decided locally (Redis was unreachable): settled locally
      return Effect.succeed(circuit.release(settings, admission, result, now))
    }
    if (admission.probe) {
      return script(
        SETTLE,
        key,
        [settings.breakMillis, admission.token, result],
        () => Effect.succeed(undefined),
        (reply) => reply === "closed" ? "closed" : reply === "open" ? "open" : undefined
      )
    }
    // this process's own count; when it trips, the fleet's breaker opens
    const closed = { _tag: "Admitted", probe: false, token: 0, transition: undefined } as const
    if (circuit.release(settings, closed, result, now) !== "open") return Effect.succeed(undefined)
    return script(
      OPEN,
      key,
      [settings.breakMillis],
      // Redis unreachable: the local breaker stays open and sheds this process's runs
      () => Effect.succeed("open" as const),
      (reply) => {
        // Redis holds the open state now; the local breaker counts afresh
        local.reset(key)
        return reply === 1 ? "open" as const : undefined
      }
    )
  }

  return {
    [CircuitBreaker.TypeId]: CircuitBreaker.TypeId,
    acquire: (key, settings, clock) => {
      // a breaker this process opened while Redis was unreachable keeps shedding here until it closes
      const mine = local.get(key, settings)
      if (mine.name !== "closed") return localAcquire(key, settings, clock)
      return script(ACQUIRE, key, [settings.breakMillis], () => localAcquire(key, settings, clock), decodeAcquire)
    },
    release,
    state: (key, _clock) =>
      script(
        STATE,
        key,
        [],
        () => Effect.sync(() => local.get(key, defaultsFor(key)).name),
        (reply) => (reply === "open" || reply === "half_open" ? reply : "closed")
      ),
    health: () => ({ fallbacks: fallback.count })
  }
}

const defaultsFor = (key: string): Settings => ({
  key,
  task: key,
  consecutiveFailures: CircuitBreaker.defaults.consecutiveFailures,
  failureRatio: CircuitBreaker.defaults.failureRatio,
  minimumRuns: CircuitBreaker.defaults.minimumRuns,
  windowMillis: CircuitBreaker.defaults.windowMillis,
  breakMillis: CircuitBreaker.defaults.breakMillis
})

/** @internal */
export const makeStore = (client: Redis, options: PublicOptions = {}): Effect.Effect<Store, InvalidPolicyError> =>
  Effect.map(validate(options, "RedisCircuitBreaker.make"), (settings) => make({ client, ...settings }))

/** @internal */
export const layer = (
  options: PublicOptions & { readonly url: string }
): Layer.Layer<CircuitBreaker.CircuitBreaker, InvalidPolicyError> =>
  Layer.scoped(
    CircuitBreaker.CircuitBreaker,
    Effect.gen(function*() {
      if (typeof options !== "object" || options === null) {
        return yield* Effect.fail(
          RetryPolicy.invalid("options", options, `must be an object, got ${RetryPolicy.describe(options)}`)
        )
      }
      const { url: _, ...rest } = options
      const url = yield* validateUrl(options.url)
      const settings = yield* validate(rest, "RedisCircuitBreaker.layer")
      const redis = yield* client(url)
      return make({ client: redis, ...settings }) as CircuitBreaker.CircuitBreakerService
    })
  )
