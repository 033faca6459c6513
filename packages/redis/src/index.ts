/**
 * @intelligent-retry/redis: fleet-wide budgets, cool-downs and circuit breakers on Redis.
 *
 * @since 0.1.0
 */
export {}
