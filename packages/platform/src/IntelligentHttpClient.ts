/**
 * Intelligent retry for `@effect/platform`'s `HttpClient`: every request of a client runs
 * through core's `withIntelligentRetry`, so each failure is classified (by status, transport
 * reason or error code, with core's one mapping table), its category picks the policy, the
 * server's `Retry-After` / `RateLimit` / `X-RateLimit-Reset` hints raise the wait, and every
 * attempt lands in the same `RetryStats` and metrics as any other task.
 *
 * **What a request is retried for**
 *
 * - A non-2xx response is an error (as with `HttpClient.filterStatusOk`), classified by its
 *   status; a client already behind `filterStatusOk` works the same.
 * - GET, HEAD, OPTIONS, PUT, DELETE and TRACE are retried per policy.
 * - POST and PATCH are retried only when the request cannot have reached the server (connection
 *   refused, DNS failure, host unreachable, connect timeout), when it carries an
 *   `Idempotency-Key` header, or when `retryNonIdempotent` is set. A streamed body is never
 *   sent twice.
 *
 * See `docs/http.md` for the status table, the hint precedence and the reasons.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { IntelligentRetry, Strategies } from "@intelligent-retry/core"
import type { CircuitBreaker as CoreCircuitBreaker, Classifier } from "@intelligent-retry/core"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as idempotency from "./internal/idempotency.js"
import * as internal from "./internal/intelligentHttpClient.js"
import * as route from "./internal/route.js"

/**
 * Options of {@link withIntelligentRetry}. All optional. They are validated once, when the
 * transform is applied; applying it never throws: with an invalid option, every request of the
 * client dies with an `InvalidPolicyError` naming the option and the value (as the core
 * combinator's runs do).
 *
 * The callbacks see the client's errors plus the `HttpClientError`s this transform adds (the
 * `ResponseError` of a non-2xx status, the `RequestError` of a timeout).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<E> {
  /**
   * Longest wait for one attempt's response head (status and headers), per attempt, not for
   * the whole run. A timed-out attempt fails with a `RequestError` of reason `Transport` whose
   * `cause` is a `TimeoutException`: a `network_error`, and, for a POST, one that may have
   * reached the server. Default: no timeout.
   */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * The task name in statistics, metrics and callbacks: a fixed name, or a function of the
   * request. Default: the method and the route (see `route`), such as `GET /track/:id`.
   */
  readonly task?: string | ((request: HttpClientRequest.HttpClientRequest) => string) | undefined
  /**
   * The route template of a request, such as `/track/:id`, used in the default task name.
   * `undefined` falls back to {@link sanitizePath}. Ignored when `task` is given.
   */
  readonly route?: ((request: HttpClientRequest.HttpClientRequest) => string | undefined) | undefined
  /** A full or partial strategy table, laid over the current `Strategies.Strategies`. */
  readonly strategies?: Strategies.StrategyTableInput | undefined
  /** A classification rule tried before the current `Classifier.Classifier`; `undefined` defers. */
  readonly classify?: Classifier.ClassifyFn<E | HttpClientError.HttpClientError> | undefined
  /** Called before each wait, with the request. Failures are logged and ignored. */
  readonly onRetry?:
    | ((
      info: IntelligentRetry.RetryInfo<E | HttpClientError.HttpClientError>,
      request: HttpClientRequest.HttpClientRequest
    ) => Effect.Effect<unknown, unknown>)
    | undefined
  /** Called when a request gives up, with the request. Failures are logged and ignored. */
  readonly onFailure?:
    | ((
      info: IntelligentRetry.FailureInfo<E | HttpClientError.HttpClientError>,
      request: HttpClientRequest.HttpClientRequest
    ) => Effect.Effect<unknown, unknown>)
    | undefined
  /** The most attempts of one request, all categories together; an integer ≥ 1. */
  readonly maxAttempts?: number | undefined
  /** No retry whose wait would end later than this after the request's first attempt. */
  readonly maxElapsed?: Duration.DurationInput | undefined
  /**
   * How long `onRetry` or `onFailure` may run before it is interrupted (logged; the request goes
   * on). Default: core's, 5 seconds. See `IntelligentRetry.IntelligentRetryOptions.callbackTimeout`.
   */
  readonly callbackTimeout?: Duration.DurationInput | undefined
  /**
   * Retry POST and PATCH requests per policy like any other, even when they may have reached
   * the server. Only for endpoints known to be idempotent. Default: `false`.
   */
  readonly retryNonIdempotent?: boolean | undefined
  /**
   * The bucket of a keyed `RetryBudget` the request draws on: a fixed key or a function of the
   * request. Default: the request's host (with port), so one failing host cannot drain the
   * budget of another.
   */
  readonly budgetKey?: string | ((request: HttpClientRequest.HttpClientRequest) => string) | undefined
  /**
   * Shared cool-downs per budget key (the host by default): after a server hint (a 429 or 503 with
   * `Retry-After`, a rate-limit reset) seen by any request to a host, the other requests to that
   * host do not send an attempt before the hint expires; they wait for it (see core's
   * `RetryCooldown`). Holds live in the current `RetryCooldown` registry: by default one in the
   * process, or a fleet's under `RedisRetry.layer`. `false`: a request is held only under a
   * `RetryCooldown` or `RedisRetry` layer. Default: `true`.
   */
  readonly cooldown?: boolean | undefined
  /**
   * Treat a non-2xx response as a `ResponseError` of reason `StatusCode`, classified by status.
   * With `false`, responses pass through whatever their status, and only failures of the
   * underlying client are retried. Default: `true`.
   */
  readonly filterStatusOk?: boolean | undefined
  /**
   * Put each request behind core's circuit breaker for its host (`withCircuitBreaker`, key: the
   * host with port), outside the retry: while a host's breaker is open, its requests fail at once
   * with a `RequestError` of reason `Transport` whose description says the circuit is open and
   * gives the remaining time, and whose `cause` is the `CircuitOpenError` (with `key` and
   * `retryAfter`). Such an error is never retried. `true` uses the breaker's defaults for every
   * host; an object sets thresholds and, with `hosts`, which hosts opt in. Default: off.
   */
  readonly circuitBreaker?: boolean | CircuitBreakerOptions | undefined
}

/**
 * The circuit breaker options of {@link Options}: core's thresholds and break length (see
 * `CircuitBreaker.CircuitBreakerOptions`), and the hosts that opt in.
 *
 * @since 0.1.0
 * @category models
 */
export interface CircuitBreakerOptions extends Omit<CoreCircuitBreaker.CircuitBreakerOptions, "key" | "task"> {
  /** The hosts (with port, as in `api.example:8443`) whose requests go through a breaker. Default: every host. */
  readonly hosts?: ReadonlyArray<string> | ((host: string) => boolean) | undefined
}

/**
 * Makes every request of a client run through `withIntelligentRetry`.
 *
 * **Details**
 *
 * Each request is one retry run: its task is the method and route, its budget key the host, and
 * its statistics go to the current `RetryStats`. Requests to a host share its cool-downs: after one
 * receives a server hint, the others wait for it to expire before they send (option `cooldown`). The first attempt's success costs one task
 * name and nothing else. Before each retry, the body of the failed response is discarded (at
 * most 64 KiB read, so the connection can be reused).
 *
 * @example
 * ```ts
 * import { FetchHttpClient, HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 * import { IntelligentHttpClient } from "@intelligent-retry/platform"
 *
 * const program = Effect.gen(function*() {
 *   const client = (yield* HttpClient.HttpClient).pipe(
 *     IntelligentHttpClient.withIntelligentRetry({
 *       timeout: "10 seconds",
 *       route: (request) => request.url.includes("/track/") ? "/track/:id" : undefined
 *     })
 *   )
 *   const response = yield* client.get("https://carrier.example/track/1Z999AA10123456784")
 *   return yield* response.json
 * }).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 *
 * Never throws: with an invalid option (see {@link Options}), every request of the client dies
 * with an `InvalidPolicyError` naming the option and the value.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withIntelligentRetry: {
  <E>(
    options?: Options<NoInfer<E>>
  ): <R>(self: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E | HttpClientError.HttpClientError, R>
  <E, R>(
    self: HttpClient.HttpClient.With<E, R>,
    options?: Options<NoInfer<E>>
  ): HttpClient.HttpClient.With<E | HttpClientError.HttpClientError, R>
} = internal.withIntelligentRetry

/**
 * The methods retried per policy: GET, HEAD, OPTIONS, PUT, DELETE and TRACE, the idempotent
 * methods of RFC 9110 §9.2.2.
 *
 * @since 0.1.0
 * @category constants
 */
export const idempotentMethods: ReadonlySet<string> = idempotency.idempotentMethods

/**
 * Whether a request may be sent twice with the effect of once: its method is one of
 * {@link idempotentMethods}, or it carries a non-empty `Idempotency-Key` header.
 *
 * @example
 * ```ts
 * import { HttpClientRequest } from "@effect/platform"
 * import { IntelligentHttpClient } from "@intelligent-retry/platform"
 *
 * IntelligentHttpClient.isIdempotent(HttpClientRequest.get("/track/1")) // true
 * IntelligentHttpClient.isIdempotent(HttpClientRequest.post("/labels")) // false
 * IntelligentHttpClient.isIdempotent(
 *   HttpClientRequest.post("/labels").pipe(HttpClientRequest.setHeader("Idempotency-Key", "order-42"))
 * ) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isIdempotent: (request: HttpClientRequest.HttpClientRequest) => boolean = idempotency.isIdempotent

/**
 * Whether a request's body can be sent again: not a `Stream` body, nor a `Raw` body that is a
 * stream. A request that is not replayable is never retried.
 *
 * @since 0.1.0
 * @category guards
 */
export const isReplayable: (request: HttpClientRequest.HttpClientRequest) => boolean = idempotency.isReplayable

/**
 * Error codes proving that a request never reached the server, because no connection was
 * made: `ECONNREFUSED`, `ENOTFOUND`, `EAI_AGAIN`, `ENETUNREACH`, `EHOSTUNREACH` and undici's
 * `UND_ERR_CONNECT_TIMEOUT`.
 *
 * @since 0.1.0
 * @category constants
 */
export const connectFailureCodes: ReadonlySet<string> = idempotency.connectFailureCodes

/**
 * Whether an error proves that its request never reached the server: one of
 * {@link connectFailureCodes} on the error or along its `cause` chain (at most 8 links). Such a
 * failure is retried for any method. Never throws.
 *
 * @example
 * ```ts
 * import { IntelligentHttpClient } from "@intelligent-retry/platform"
 *
 * IntelligentHttpClient.cannotHaveReachedServer({ cause: { code: "ECONNREFUSED" } }) // true
 * IntelligentHttpClient.cannotHaveReachedServer({ code: "ECONNRESET" }) // false: it may have
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const cannotHaveReachedServer: (error: unknown) => boolean = idempotency.cannotHaveReachedServer

/**
 * The path of a URL as a route template: no scheme, host, query string or fragment, and every
 * segment that is not a word replaced by `:id` (numbers, UUIDs, hex digests, tracking numbers,
 * tokens, anything with `%`, `@`, `=` or `:`, anything over 32 characters). A word is letters,
 * `-`, `_`, `.` or `~`, with at most two trailing digits (`v2`, `oauth2`).
 *
 * @example
 * ```ts
 * import { IntelligentHttpClient } from "@intelligent-retry/platform"
 *
 * IntelligentHttpClient.sanitizePath("https://api.example/v2/track/1Z999AA10123456784?key=s3cret")
 * // "/v2/track/:id"
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const sanitizePath: (url: string) => string = route.sanitizePath

/**
 * The default task name of a request: its method and {@link sanitizePath} of its URL, such as
 * `GET /track/:id`.
 *
 * @since 0.1.0
 * @category getters
 */
export const defaultTask: (request: HttpClientRequest.HttpClientRequest) => string = route.defaultTask
