/**
 * Circuit breakers shared across a fleet through Redis: the store behind core's
 * `withCircuitBreaker`, so that one worker's open breaker sheds every worker's runs, and exactly
 * one run of the whole fleet probes the dependency after a break.
 *
 * **How**
 *
 * - Each process counts its own runs (consecutive failures and the sliding window, with core's
 *   in-process state machine and the breaker's options). When its count trips, it opens the
 *   fleet's breaker in Redis.
 * - Every run reads the key's state in Redis once (a Lua script): closed, open (rejected with the
 *   remaining time) or, after the break, admitted as the fleet's one probe. The probe's result
 *   closes or reopens the breaker for everyone.
 * - Open times come from the Redis server's clock (`TIME`), so workers' clocks need not agree.
 *   Keys expire three break lengths after their last change.
 * - Redis down, slow (past `timeout`) or failing: each process falls back to its own in-process
 *   breakers, logs it once and counts it (`health`). A run never fails because of Redis.
 *
 * @since 0.1.0
 */
import type { CircuitBreaker, InvalidPolicyError } from "@intelligent-retry/core"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type { Redis } from "ioredis"
import * as internal from "./internal/circuitBreaker.js"

/**
 * Options of the Redis breaker store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Prefix of every key this store writes (`<prefix>cb:<breaker key>`). Default: `"intelligent-retry:"`. */
  readonly keyPrefix?: string | undefined
  /** Longest wait for one Redis command before falling back to local breakers. Default: 100 milliseconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * A breaker store as core's `CircuitBreaker.CircuitBreakerService`, plus its health.
 *
 * @since 0.1.0
 * @category models
 */
export interface Store extends CircuitBreaker.CircuitBreakerService {
  /** Redis calls that failed or timed out and were answered by the local fallback. */
  readonly health: () => { readonly fallbacks: number }
}

/**
 * A store on a client you own (you connect and close it). Invalid options fail with an
 * `InvalidPolicyError` naming the field and the value.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (client: Redis, options?: Options) => Effect.Effect<Store, InvalidPolicyError> = internal.makeStore

/**
 * A layer installing the Redis store as core's `CircuitBreaker` service, on a client of its own
 * for `url` (connected when the layer is built, closed with it). Redis being down when the layer
 * is built does not fail it: breakers are local until Redis answers.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { withCircuitBreaker } from "@intelligent-retry/core"
 * import { RedisCircuitBreaker } from "@intelligent-retry/redis"
 *
 * declare const callCarrier: Effect.Effect<string, Error>
 *
 * const program = callCarrier.pipe(withCircuitBreaker({ key: "carrier-api" })).pipe(
 *   Effect.provide(RedisCircuitBreaker.layer({ url: "redis://127.0.0.1:6379", keyPrefix: "shop:" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  options: Options & { readonly url: string }
) => Layer.Layer<CircuitBreaker.CircuitBreaker, InvalidPolicyError> = internal.layer
