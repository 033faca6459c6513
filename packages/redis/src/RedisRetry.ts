/**
 * Retry budgets and cool-downs shared by every process that uses the same Redis and key prefix.
 *
 * **Details**
 *
 * - The budget has exactly the configuration of core's `RetryBudget` (the defaults, or `budget`),
 *   one bucket per `budgetKey`, kept in Redis by a Lua script that reads the server's clock
 *   (`TIME`), clamps the balance to [0, maxTokens] and sets an expiry.
 * - The happy path never waits on Redis: successes are deposited in batches every 100 ms off the
 *   hot path. A failed attempt consults Redis under `timeout` (default 100 ms).
 * - A server hint seen by any process holds the attempts of every process's runs for the same key
 *   until it expires (published on a channel; each process keeps a local copy).
 * - Circuit breakers (`withCircuitBreaker`) are shared too: one process's open breaker sheds every
 *   process's runs, and one run of the fleet probes after a break (see `RedisCircuitBreaker`).
 * - Redis down, slow or failing: decisions fall back to a local budget with the same configuration
 *   (which has followed every failure of this process), logged once and counted in the metric
 *   `intelligent_retry_redis_fallbacks_total{feature}`; nothing blocks and no run fails because
 *   of Redis. Deposits that cannot be written are dropped and counted.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { withIntelligentRetry } from "@intelligent-retry/core"
 * import { RedisRetry } from "@intelligent-retry/redis"
 *
 * declare const callCarrier: Effect.Effect<string, Error>
 *
 * const program = callCarrier.pipe(
 *   withIntelligentRetry({ task: "track", budgetKey: "api.carrier.example" }),
 *   Effect.provide(RedisRetry.layer({ url: "redis://127.0.0.1:6379", keyPrefix: "shipping:" }))
 * )
 * ```
 *
 * @since 0.1.0
 */
import type { CircuitBreaker, InvalidPolicyError, RetryBudget, RetryCooldown } from "@intelligent-retry/core"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { Redis } from "ioredis"
import * as internal from "./internal/retry.js"

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The Redis URL, such as `redis://127.0.0.1:6379`. */
  readonly url: string
  /** Prefix of every key and channel (`<prefix>budget:<key>`, `<prefix>cooldown`). Default: `"intelligent-retry:"`. */
  readonly keyPrefix?: string | undefined
  /** Longest wait for one Redis command before answering locally. Default: 100 milliseconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** The budget's configuration, as `RetryBudget.layer` takes it. Default: core's default budget. */
  readonly budget?: RetryBudget.RetryBudgetOptions | undefined
}

/**
 * What {@link make} gives: the two services, and counters of what fell back.
 *
 * @since 0.1.0
 * @category models
 */
export interface Store {
  readonly budget: RetryBudget.RetryBudgetService
  readonly cooldown: RetryCooldown.RetryCooldownService
  /** How often Redis could not be used so far. */
  readonly health: () => Health
}

/**
 * What the Redis store reports about itself: how often it could not use Redis so far.
 *
 * @since 0.1.0
 * @category models
 */
export interface Health {
  /** Budget decisions and reads answered locally because Redis failed or was slow. */
  readonly budgetFallbacks: number
  /** Deposits that could not be written to Redis, dropped. */
  readonly droppedDeposits: number
  /** Cool-downs that could not be published. */
  readonly cooldownFallbacks: number
}

/**
 * The budget (`RetryBudget.RetryBudget`), the cool-downs (`RetryCooldown.RetryCooldown`) and the
 * circuit breakers (`CircuitBreaker.CircuitBreaker`) on Redis; every run under the layer opts in to
 * cool-downs. Invalid options fail the layer with an
 * `InvalidPolicyError`; an unreachable Redis does not (runs fall back).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  options: Options
) => Layer.Layer<
  RetryBudget.RetryBudget | RetryCooldown.RetryCooldown | CircuitBreaker.CircuitBreaker,
  InvalidPolicyError
> = internal.layer

/**
 * The store on a client you manage, for `Effect.provideService` or to read its health.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  client: Redis,
  options?: Omit<Options, "url">
) => Effect.Effect<Store, InvalidPolicyError, Scope.Scope> = internal.store
