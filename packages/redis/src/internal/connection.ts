/**
 * What every Redis-backed feature of this package shares: the client (which never queues commands
 * while disconnected), option validation (`keyPrefix`, `timeout`), and the guard that runs a Redis
 * call under a short timeout and, when Redis is down, slow or failing, answers locally instead:
 * logged once per feature, counted in a metric, never blocking a run.
 *
 * @internal
 */
import type { InvalidPolicyError } from "@intelligent-retry/core"
import { RetryPolicy } from "@intelligent-retry/core"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Metric from "effect/Metric"
import type * as Scope from "effect/Scope"
import { Redis } from "ioredis"

/** @internal */
export const DEFAULT_PREFIX = "intelligent-retry:"
/** Longest wait for one Redis command, milliseconds. @internal */
export const DEFAULT_TIMEOUT = 100

/** @internal */
export interface ConnectionOptions {
  readonly keyPrefix?: string | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

/** The keys of the connection options. @internal */
export const connectionKeys: ReadonlySet<string> = new Set(["keyPrefix", "timeout"])

/** @internal */
export const validate = (
  options: ConnectionOptions,
  what: string,
  allowed: ReadonlySet<string> = connectionKeys
): Either.Either<{ readonly keyPrefix: string; readonly timeoutMillis: number }, InvalidPolicyError> => {
  if (typeof options !== "object" || options === null) {
    return Either.left(
      RetryPolicy.invalid("options", options, `must be an object, got ${RetryPolicy.describe(options)}`)
    )
  }
  const unknown = RetryPolicy.unknownOption(options, allowed, what)
  if (unknown !== undefined) return Either.left(unknown)
  const { keyPrefix, timeout } = options
  if (keyPrefix !== undefined && typeof keyPrefix !== "string") {
    return Either.left(
      RetryPolicy.invalid("keyPrefix", keyPrefix, `must be a string, got ${RetryPolicy.describe(keyPrefix)}`)
    )
  }
  let timeoutMillis = DEFAULT_TIMEOUT
  if (timeout !== undefined) {
    const decoded = RetryPolicy.decodeDuration("timeout", timeout, { zero: false, infinite: false })
    if (Either.isLeft(decoded)) return Either.left(decoded.left)
    timeoutMillis = Duration.toMillis(decoded.right)
  }
  return Either.right({ keyPrefix: keyPrefix ?? DEFAULT_PREFIX, timeoutMillis })
}

/** The URL option of a layer: a non-empty string. @internal */
export const validateUrl = (url: unknown): Either.Either<string, InvalidPolicyError> =>
  typeof url === "string" && url !== ""
    ? Either.right(url)
    : Either.left(RetryPolicy.invalid("url", url, `must be a Redis URL, got ${RetryPolicy.describe(url)}`))

/**
 * A client for `url` that never queues commands while disconnected (a command then fails at once
 * and the caller falls back), reconnecting in the background; disconnected when the scope closes.
 *
 * @internal
 */
export const client = (url: string): Effect.Effect<Redis, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() =>
      new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: 1_000 })
    ).pipe(
      Effect.tap((redis) => {
        // a client without an error listener would print every reconnection failure
        redis.on("error", () => {})
        return Effect.promise(() => redis.connect().catch(() => undefined)).pipe(
          Effect.timeout(Duration.seconds(1)),
          Effect.ignore
        )
      })
    ),
    (redis) => Effect.sync(() => redis.disconnect())
  )

/**
 * Redis calls answered locally because Redis failed or was slow, by feature
 * (`intelligent_retry_redis_fallbacks_total{feature="budget"}`).
 *
 * @internal
 */
export const fallbacks = Metric.counter("intelligent_retry_redis_fallbacks_total", {
  description: "Redis calls answered locally because Redis failed or did not answer in time",
  incremental: true
})

/** A feature's guard: its fallback count, and whether it has logged yet. @internal */
export interface Guard {
  readonly feature: string
  readonly timeoutMillis: number
  /** Fallbacks so far. */
  count: number
  warned: boolean
}

/** @internal */
export const guard = (feature: string, timeoutMillis: number): Guard => ({
  feature,
  timeoutMillis,
  count: 0,
  warned: false
})

/** Counts one fallback (in the guard and the metric) and logs the first one. @internal */
export const fellBack = (g: Guard, cause: unknown): Effect.Effect<void> => {
  g.count++
  const counted = Metric.increment(Metric.tagged(fallbacks, "feature", g.feature))
  if (g.warned) return counted
  g.warned = true
  return Effect.zipRight(
    counted,
    Effect.logWarning(
      `intelligent-retry: Redis is unavailable for ${g.feature}; answering from this process until it answers ` +
        "again (logged once; counted in intelligent_retry_redis_fallbacks_total)",
      cause
    )
  )
}

/**
 * Runs `call` (a Redis command) under the guard's timeout; on any failure or timeout, `orElse`,
 * counted and logged once. Never fails, never waits longer than the timeout.
 *
 * @internal
 */
export const guarded = <A>(
  g: Guard,
  call: () => Promise<unknown>,
  decode: (reply: unknown) => A,
  orElse: () => A
): Effect.Effect<A> =>
  Effect.tryPromise(call).pipe(
    Effect.timeout(Duration.millis(g.timeoutMillis)),
    Effect.map(decode),
    Effect.catchAllCause((cause) => Effect.as(fellBack(g, cause), undefined)),
    Effect.flatMap((a) => (a === undefined ? Effect.sync(orElse) : Effect.succeed(a)))
  )
