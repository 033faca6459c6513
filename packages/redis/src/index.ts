/**
 * @intelligent-retry/redis: fleet-wide budgets, cool-downs and circuit breakers on Redis.
 *
 * @since 0.1.0
 */

/**
 * Circuit breakers shared across a fleet: the Redis store behind core's `withCircuitBreaker`.
 *
 * @since 0.1.0
 */
export * as RedisCircuitBreaker from "./RedisCircuitBreaker.js"
/**
 * Retry budgets and cool-downs shared across a fleet: `RedisRetry.layer({ url, keyPrefix })`.
 *
 * @since 0.1.0
 */
export * as RedisRetry from "./RedisRetry.js"
