import {
  DataError,
  ErrorCategory,
  NetworkError,
  PermanentError,
  RateLimitError,
  RetryPolicy,
  type Strategies,
  SystemError,
  TemporaryError
} from "@intelligent-retry/core"
import { Duration } from "effect"
import * as fc from "fast-check"

/** Policies including the edge values: 0 retries, factor 1, huge factors, base > max, maxDelay 0. */
export const policy: fc.Arbitrary<RetryPolicy.RetryPolicyInput> = fc.record({
  decision: fc.constantFrom<RetryPolicy.RetryPolicyInput["decision"]>(
    "retry_immediately",
    "retry_with_delay",
    "retry_with_backoff",
    "no_retry"
  ),
  maxRetries: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 6 })),
  baseDelay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10_000 })),
  maxDelay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20_000 })),
  backoffFactor: fc.oneof(fc.constant(1), fc.double({ min: 1, max: 10, noNaN: true }), fc.constant(1e300)),
  jitter: fc.constantFrom<RetryPolicy.RetryPolicyInput["jitter"]>(false, true, "full", "equal", "decorrelated")
})

export const table: fc.Arbitrary<Table> = fc.record({
  network_error: policy,
  api_rate_limit: policy,
  data_error: policy,
  system_error: policy,
  temporary_error: policy,
  permanent_error: policy
})

/** An error of any category; rate limits may carry a hint. */
export const error = fc.oneof(
  fc.constant(new NetworkError({ message: "reset" })),
  fc.option(fc.integer({ min: 0, max: 30_000 }), { nil: undefined }).map((hint) =>
    new RateLimitError({ message: "429", ...(hint === undefined ? {} : { retryAfter: Duration.millis(hint) }) })
  ),
  fc.constant(new DataError({ message: "bad" })),
  fc.constant(new SystemError({ message: "ENOMEM" })),
  fc.constant(new TemporaryError({ message: "503" })),
  fc.constant(new PermanentError({ message: "404" }))
)

export const categoryOf = (e: { readonly category: ErrorCategory }) => e.category

export type Table = { -readonly [K in keyof Required<Strategies.StrategyTableInput>]: RetryPolicy.RetryPolicyInput }
export type AnyError = NetworkError | RateLimitError | DataError | SystemError | TemporaryError | PermanentError
