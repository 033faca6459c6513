/**
 * Retry budgets and cool-downs shared through Redis.
 *
 * - Budget: one hash per key (`<prefix>budget:<key>`, fields `b` balance and `t` time), changed only
 *   by one Lua script that reads the server's clock (`TIME`), adds the time refill, applies a
 *   withdrawal or a batch of deposits, clamps the balance to [0, maxTokens] and sets an expiry (the
 *   time a drained bucket takes to refill, at least a minute: an expired bucket is a full one).
 *   Failures consult Redis under the timeout; successes are counted locally and deposited in
 *   batches by a background fiber, so the happy path never waits on Redis.
 * - Cool-downs: a hint is published on `<prefix>cooldown`; every process under the layer keeps a
 *   local registry up to date from the channel, so a held attempt reads memory only.
 * - Redis down or slow: decisions are taken by a local budget with the same settings (logged once,
 *   counted); deposits that cannot be written are dropped and counted; cool-downs stay local.
 *
 * @internal
 */
import type { InvalidPolicyError } from "@intelligent-retry/core"
import { CircuitBreaker, RetryBudget, RetryCooldown, RetryPolicy } from "@intelligent-retry/core"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { Redis } from "ioredis"
import type { Health, Options } from "../RedisRetry.js"
import * as breaker from "./circuitBreaker.js"
import type { Guard } from "./connection.js"
import { client as connect, guard, guarded, validate, validateUrl } from "./connection.js"

/** KEYS[1] bucket; ARGV: cost (negative: a deposit), maxTokens, refill per ms, ttl ms. Returns the balance. */
const CHANGE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local max = tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[1], 'b', 't')
local b = tonumber(s[1])
if b == nil then
  b = max
else
  local last = tonumber(s[2]) or now
  if now > last then b = b + (now - last) * tonumber(ARGV[3]) end
end
b = b - tonumber(ARGV[1])
if b < 0 then b = 0 end
if b > max then b = max end
redis.call('HSET', KEYS[1], 'b', tostring(b), 't', now)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return tostring(b)
`

/** How often deposits are written, milliseconds. @internal */
export const FLUSH_EVERY = 100
/** Keys with pending deposits kept at most between flushes; more are dropped and counted. @internal */
export const MAX_PENDING_KEYS = 10_000

/** @internal */
export interface Store {
  readonly budget: RetryBudget.RetryBudgetService
  readonly cooldown: RetryCooldown.RetryCooldownService
  readonly health: () => Health
}

const number = (reply: unknown): number => {
  const n = Number(reply)
  if (!Number.isFinite(n)) throw new Error(`unexpected reply ${String(reply)}`)
  return n
}

/** @internal */
export const make = (
  redis: Redis,
  settings: RetryBudget.RetryBudgetSettings,
  keyPrefix: string,
  timeoutMillis: number
): Effect.Effect<Store, never, Scope.Scope> =>
  Effect.gen(function*() {
    const clock = yield* Effect.clock
    const local = RetryBudget.fromSettings(settings, true)
    const budgetGuard: Guard = guard("budget", timeoutMillis)
    const cooldownGuard: Guard = guard("cooldown", timeoutMillis)
    let dropped = 0
    const max = settings.maxTokens
    const ratePerMs = settings.refillPerSecond / 1000
    const ttl = Math.ceil(Math.max(60_000, ratePerMs > 0 ? max / ratePerMs : 3_600_000))
    const bucketKey = (key: string) => `${keyPrefix}budget:${key}`
    const change = (key: string, cost: number) => () =>
      redis.eval(CHANGE, 1, bucketKey(key), String(cost), String(max), String(ratePerMs), String(ttl))

    // successes, counted per key until the next flush
    let pending = new Map<string, number>()
    const flush = Effect.suspend(() => {
      if (pending.size === 0) return Effect.void
      const batch = pending
      pending = new Map()
      return Effect.forEach(
        batch,
        ([key, successes]) =>
          guarded(budgetGuard, change(key, -successes * settings.tokenRatio), () => true, () => {
            dropped += successes
            return false
          }),
        { concurrency: 16, discard: true }
      )
    })
    yield* Effect.forkScoped(Effect.repeat(flush, Schedule.spaced(Duration.millis(FLUSH_EVERY))))
    yield* Effect.addFinalizer(() => flush)

    const budget: RetryBudget.RetryBudgetService = {
      [RetryBudget.TypeId]: RetryBudget.TypeId,
      unsafeOnSuccess: (key) => {
        local.unsafeOnSuccess(key)
        const known = pending.get(key)
        if (known !== undefined) pending.set(key, known + 1)
        else if (pending.size < MAX_PENDING_KEYS) pending.set(key, 1)
        else dropped++
      },
      // the synchronous decision, when the combinator cannot wait: the local budget
      unsafeOnFailure: (key, failure) => local.unsafeOnFailure(key, failure),
      onFailure: (key, failure) => {
        const cost = RetryBudget.costOf(settings, failure)
        // the local budget follows every failure too, so that a fallback starts from what this process saw
        const fallback = local.unsafeOnFailure(key, failure)
        return guarded(budgetGuard, change(key, cost), (reply) => number(reply) > max / 2, () => fallback)
      },
      balance: (key) =>
        Effect.flatMap(
          local.balance(key),
          (localBalance) => guarded(budgetGuard, change(key, 0), number, () => localBalance ?? max)
        )
    }

    // cool-downs: a local registry, fed by this process and by the channel
    const registry = RetryCooldown.make({ optIn: true })
    const channel = `${keyPrefix}cooldown`
    const subscriber = redis.duplicate({ enableOfflineQueue: true })
    subscriber.on("error", () => {})
    subscriber.on("message", (_channel: string, message: string) => {
      try {
        const [key, remaining] = JSON.parse(message) as [unknown, unknown]
        if (typeof key !== "string" || typeof remaining !== "number" || !(remaining > 0 && remaining < 2 ** 31)) return
        const now = clock.unsafeCurrentTimeMillis()
        registry.unsafeHold(key, now + remaining, now, clock)
      } catch {
        // not ours: ignored
      }
    })
    yield* Effect.promise(() => subscriber.subscribe(channel).catch(() => undefined)).pipe(
      Effect.timeout(Duration.seconds(1)),
      Effect.ignore
    )
    yield* Effect.addFinalizer(() => Effect.sync(() => subscriber.disconnect()))

    const cooldown: RetryCooldown.RetryCooldownService = {
      [RetryCooldown.TypeId]: RetryCooldown.TypeId,
      optIn: true,
      unsafeUntil: registry.unsafeUntil,
      unsafeHold: (key, until, now, runClock) => {
        registry.unsafeHold(key, until, now, runClock)
        // fire and forget: the failure path must not wait on Redis
        redis.publish(channel, JSON.stringify([key, until - now])).catch(() => {
          cooldownGuard.count++
        })
      }
    }

    return {
      budget,
      cooldown,
      health: () => ({
        budgetFallbacks: budgetGuard.count,
        droppedDeposits: dropped,
        cooldownFallbacks: cooldownGuard.count
      })
    }
  })

const storeKeys: ReadonlySet<string> = new Set(["keyPrefix", "timeout", "budget"])

/** @internal */
export const store = (
  redis: Redis,
  options: Omit<Options, "url"> = {},
  what = "RedisRetry.make"
): Effect.Effect<Store, InvalidPolicyError, Scope.Scope> =>
  Effect.gen(function*() {
    const { keyPrefix, timeoutMillis } = yield* validate(options, what, storeKeys)
    const settings = yield* RetryBudget.decodeOptions(options.budget ?? {})
    return yield* make(redis, settings, keyPrefix, timeoutMillis)
  })

/** @internal */
export const layer = (
  options: Options
): Layer.Layer<
  RetryBudget.RetryBudget | RetryCooldown.RetryCooldown | CircuitBreaker.CircuitBreaker,
  InvalidPolicyError
> =>
  Layer.scopedContext(
    Effect.gen(function*() {
      if (typeof options !== "object" || options === null) {
        return yield* Effect.fail(
          RetryPolicy.invalid("options", options, `must be an object, got ${RetryPolicy.describe(options)}`)
        )
      }
      const url = yield* validateUrl(options.url)
      const { url: _, ...rest } = options
      // every option is checked before connecting
      const { keyPrefix, timeoutMillis } = yield* validate(rest, "RedisRetry.layer", storeKeys)
      yield* RetryBudget.decodeOptions(rest.budget ?? {})
      const redis = yield* connect(url)
      const s = yield* store(redis, rest, "RedisRetry.layer")
      // circuit breakers on the same client and prefix (`<prefix>cb:<key>`)
      const breakers: CircuitBreaker.CircuitBreakerService = breaker.make({ client: redis, keyPrefix, timeoutMillis })
      return Context.make(RetryBudget.RetryBudget, s.budget as RetryBudget.RetryBudgetService | undefined).pipe(
        Context.add(RetryCooldown.RetryCooldown, s.cooldown),
        Context.add(CircuitBreaker.CircuitBreaker, breakers)
      )
    })
  )
