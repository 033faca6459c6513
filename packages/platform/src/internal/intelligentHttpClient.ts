/**
 * The client transform. Options are validated once, when it is applied (an invalid one makes
 * every request die with the `InvalidPolicyError`); each request then builds one
 * `withIntelligentRetry` run from precomputed pieces.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type { Classifier as ClassifierNs, InvalidPolicyError } from "@intelligent-retry/core"
import {
  CircuitBreaker,
  CircuitOpenError,
  type IntelligentRetry,
  RetryPolicy,
  Strategies,
  withCircuitBreaker,
  withIntelligentRetry as retry
} from "@intelligent-retry/core"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import { hasProperty } from "effect/Predicate"
import * as Stream from "effect/Stream"
import type { Options } from "../IntelligentHttpClient.js"
import { isIdempotent, isReplayable, mayResend } from "./idempotency.js"
import { defaultTask, host } from "./route.js"

type Request = HttpClientRequest.HttpClientRequest
type Errors<E> = E | HttpClientError.HttpClientError

/**
 * How far a request may be replayed:
 * - `always`: per policy (idempotent, keyed, or opted in);
 * - `unsent`: only after failures that prove it never reached the server;
 * - `never`: not at all (a body that cannot be sent twice).
 */
type Replay = "always" | "unsent" | "never"

interface Compiled<E> {
  readonly timeout: Duration.Duration | undefined
  readonly taskOf: (request: Request) => string
  readonly budgetKeyOf: (request: Request) => string
  readonly filterStatusOk: boolean
  readonly retryNonIdempotent: boolean
  readonly cooldown: boolean
  readonly strategies: Strategies.StrategyTableInput | undefined
  readonly classify: ClassifierNs.ClassifyFn<Errors<E>> | undefined
  readonly onRetry: Options<E>["onRetry"]
  readonly onFailure: Options<E>["onFailure"]
  readonly maxAttempts: number | undefined
  readonly maxElapsed: Duration.DurationInput | undefined
  readonly callbackTimeout: Duration.DurationInput | undefined
  readonly breaker: Breaker | undefined
}

/** The breaker options without the key, and which hosts opt in. */
interface Breaker {
  readonly options: Omit<CircuitBreaker.CircuitBreakerOptions, "key">
  readonly applies: (host: string) => boolean
}

const optionKeys: ReadonlySet<string> = new Set([
  "timeout",
  "task",
  "route",
  "strategies",
  "classify",
  "onRetry",
  "onFailure",
  "maxAttempts",
  "maxElapsed",
  "callbackTimeout",
  "retryNonIdempotent",
  "budgetKey",
  "filterStatusOk",
  "circuitBreaker",
  "cooldown"
])

const isFunctionOrUndefined = (u: unknown) => u === undefined || typeof u === "function"

/** A user-supplied naming function, made total: a throw or a non-string falls back. */
const guardedName = (
  f: (request: Request) => unknown,
  fallback: (request: Request) => string
) =>
(request: Request): string => {
  try {
    const name = f(request)
    return typeof name === "string" && name !== "" ? name : fallback(request)
  } catch {
    return fallback(request)
  }
}

const show = RetryPolicy.describe
const invalid = RetryPolicy.invalid

const fail = (field: string, value: unknown, reason: string): Either.Either<never, InvalidPolicyError> =>
  Either.left(invalid(field, value, reason))

/**
 * Validates the options once, when the transform is applied: the first bad one as an
 * `InvalidPolicyError` naming the option and the value. @internal
 */
export const compile = <E>(options: Options<E>): Either.Either<Compiled<E>, InvalidPolicyError> =>
  Either.gen(function*() {
    if (typeof options !== "object" || options === null) {
      return yield* fail("options", options, `must be an object, got ${show(options)}`)
    }
    const unknown = RetryPolicy.unknownOption(options, optionKeys, "IntelligentHttpClient.withIntelligentRetry")
    if (unknown !== undefined) return yield* Either.left(unknown)
    const {
      budgetKey,
      classify,
      filterStatusOk,
      maxAttempts,
      maxElapsed,
      callbackTimeout,
      cooldown,
      onFailure,
      onRetry,
      retryNonIdempotent,
      route,
      strategies,
      task,
      timeout
    } = options
    for (const [field, value] of [["task", task], ["budgetKey", budgetKey]] as const) {
      if (value !== undefined && typeof value !== "string" && typeof value !== "function") {
        return yield* fail(field, value, `must be a string or a function of the request, got ${show(value)}`)
      }
      if (value === "") return yield* fail(field, value, `must not be empty, got ${show(value)}`)
    }
    for (
      const [field, value] of [["route", route], ["classify", classify], ["onRetry", onRetry], [
        "onFailure",
        onFailure
      ]] as const
    ) {
      if (!isFunctionOrUndefined(value)) return yield* fail(field, value, `must be a function, got ${show(value)}`)
    }
    for (
      const [field, value] of [["retryNonIdempotent", retryNonIdempotent], ["filterStatusOk", filterStatusOk], [
        "cooldown",
        cooldown
      ]]
    ) {
      if (value !== undefined && typeof value !== "boolean") {
        return yield* fail(field as string, value, `must be a boolean, got ${show(value)}`)
      }
    }
    if (maxAttempts !== undefined && !(Number.isInteger(maxAttempts) && maxAttempts >= 1)) {
      return yield* fail("maxAttempts", maxAttempts, `must be an integer ≥ 1, got ${show(maxAttempts)}`)
    }
    if (maxElapsed !== undefined) yield* RetryPolicy.decodeDuration("maxElapsed", maxElapsed)
    if (callbackTimeout !== undefined) {
      yield* RetryPolicy.decodeDuration("callbackTimeout", callbackTimeout, positive)
    }
    const decodedTimeout = timeout === undefined
      ? undefined
      : yield* RetryPolicy.decodeDuration("timeout", timeout, positive)
    if (strategies !== undefined) yield* Strategies.decodeTable(strategies)
    const breaker = yield* compileBreaker(options.circuitBreaker)

    const routed = route === undefined
      ? defaultTask
      : guardedName((request) => {
        const template = route(request)
        return typeof template === "string" && template !== "" ? `${request.method} ${template}` : undefined
      }, defaultTask)
    const taskOf = typeof task === "string" ? () => task : task === undefined ? routed : guardedName(task, routed)
    const budgetKeyOf = typeof budgetKey === "string"
      ? () => budgetKey
      : budgetKey === undefined
      ? host
      : guardedName(budgetKey, host)

    return {
      breaker,
      timeout: decodedTimeout,
      taskOf,
      budgetKeyOf,
      filterStatusOk: filterStatusOk ?? true,
      retryNonIdempotent: retryNonIdempotent ?? false,
      // requests to one host share its cool-downs by default (issue 16)
      cooldown: cooldown ?? true,
      strategies,
      classify,
      onRetry,
      onFailure,
      maxAttempts,
      maxElapsed,
      callbackTimeout
    }
  })

const positive = { zero: false, infinite: false } as const

/** The key of requests whose URL has no host (a relative URL on a client with a base URL). */
const NO_HOST = "(no host)"

const compileBreaker = (
  option: Options<unknown>["circuitBreaker"]
): Either.Either<Breaker | undefined, InvalidPolicyError> => {
  if (option === undefined || option === false) return Either.right(undefined)
  if (option === true) return Either.right({ options: {}, applies: () => true })
  if (typeof option !== "object" || option === null) {
    return fail("circuitBreaker", option, `must be a boolean or an object of breaker options, got ${show(option)}`)
  }
  const { hosts, ...rest } = option
  for (const name of ["key", "task"] as const) {
    if (name in rest) {
      const value = (rest as any)[name]
      return fail(`circuitBreaker.${name}`, value, `is set per request (the host), got ${show(value)}`)
    }
  }
  let applies: (host: string) => boolean = () => true
  if (typeof hosts === "function") {
    applies = (host) => {
      try {
        return hosts(host) === true
      } catch {
        return false
      }
    }
  } else if (Array.isArray(hosts) && hosts.every((h) => typeof h === "string")) {
    const set = new Set<string>(hosts)
    applies = (host) => set.has(host)
  } else if (hosts !== undefined) {
    return fail("circuitBreaker.hosts", hosts, `must be an array of hosts or a function, got ${show(hosts)}`)
  }
  // the same validation as the combinator's, once, with the field named as the user wrote it
  const checked = CircuitBreaker.settings({ key: NO_HOST, ...rest })
  if (Either.isLeft(checked)) {
    const { field, message, value } = checked.left
    return fail(`circuitBreaker.${field.replace(/^options\./, "")}`, value, message.replace(/^Invalid [^:]*: /, ""))
  }
  return Either.right({ options: rest, applies })
}

/** A shed request, as an `HttpClientError` that says so and carries the remaining time in its cause. */
const circuitOpen = (request: Request, error: CircuitOpenError) =>
  new HttpClientError.RequestError({
    request,
    reason: "Transport",
    cause: error,
    description: `circuit breaker open for ${error.key}: requests are shed for another ${
      Duration.format(error.retryAfter)
    }`
  })

/**
 * The failures after which a request that is not safe to send twice may still be retried: those
 * that prove it never reached the server, and a 429 with a server hint (the server declares it did
 * not process the request). Everything else ends the run as `not_retryable`, recorded under its
 * real category.
 */
const vetoes: Readonly<Record<Exclude<Replay, "always">, (error: unknown) => boolean>> = {
  unsent: mayResend,
  never: () => false
}

const replayOf = (request: Request, retryNonIdempotent: boolean): Replay =>
  !isReplayable(request) ? "never" : retryNonIdempotent || isIdempotent(request) ? "always" : "unsent"

/** How much of a failed response's body is read so that its connection can be reused. */
const DISCARD_LIMIT = 64 * 1024
const DISCARD_TIMEOUT = Duration.seconds(1)

/** `isHttpClientError` probes with `in`, which throws on a hostile Proxy: such a value is no response error. */
const isResponseError = (error: unknown): error is HttpClientError.ResponseError => {
  try {
    return HttpClientError.isHttpClientError(error) && error._tag === "ResponseError"
  } catch {
    return false
  }
}

/**
 * Reads and drops what is left of a failed response's body, at most 64 KiB and 1 second; past
 * that, the stream's finalizer aborts the request.
 */
const discardBody = (error: unknown): Effect.Effect<void> => {
  if (!isResponseError(error)) return Effect.void
  // A body the user already read (`HttpClient.tap((r) => r.text)`) throws "ReadableStream is
  // locked": a defect, not a failure, so `Effect.ignore` alone would let it through.
  return Stream.suspend(() => error.response.stream).pipe(
    Stream.runFoldWhile(0, (n) => n < DISCARD_LIMIT, (n, chunk) => n + chunk.length),
    Effect.timeout(DISCARD_TIMEOUT),
    Effect.catchAllCause(() => Effect.void)
  )
}

const timeoutError = (request: Request, timeout: Duration.Duration) => {
  const description = `timed out after ${Duration.format(timeout)}`
  return () =>
    new HttpClientError.RequestError({
      request,
      reason: "Transport",
      cause: new Cause.TimeoutException(description),
      description
    })
}

const make = <E, R>(
  self: HttpClient.HttpClient.With<E, R>,
  compiled: Compiled<E>
): HttpClient.HttpClient.With<Errors<E>, R> =>
  HttpClient.transform(self, (effect, request) => {
    let attempt: Effect.Effect<HttpClientResponse.HttpClientResponse, Errors<E>, R> = effect
    if (compiled.filterStatusOk) attempt = Effect.flatMap(attempt, HttpClientResponse.filterStatusOk)
    if (compiled.timeout !== undefined) {
      attempt = Effect.timeoutFail(attempt, {
        duration: compiled.timeout,
        onTimeout: timeoutError(request, compiled.timeout)
      })
    }
    const replay = replayOf(request, compiled.retryNonIdempotent)
    const { onFailure, onRetry } = compiled
    const options: IntelligentRetry.IntelligentRetryOptions<Errors<E>> = {
      task: compiled.taskOf(request),
      budgetKey: compiled.budgetKeyOf(request),
      classify: compiled.classify,
      onRetry: (info: IntelligentRetry.RetryInfo<Errors<E>>) =>
        onRetry === undefined
          ? discardBody(info.error)
          : Effect.zipRight(discardBody(info.error), onRetry(info, request)),
      onFailure: onFailure === undefined
        ? undefined
        : (info: IntelligentRetry.FailureInfo<Errors<E>>) => onFailure(info, request),
      maxAttempts: compiled.maxAttempts,
      maxElapsed: compiled.maxElapsed,
      callbackTimeout: compiled.callbackTimeout,
      strategies: compiled.strategies,
      cooldown: compiled.cooldown
    }
    const run = retry(attempt, replay === "always" ? options : { ...options, retryable: vetoes[replay] })
    const breaker = compiled.breaker
    if (breaker === undefined) return run
    const key = host(request) || NO_HOST
    if (!breaker.applies(key)) return run
    return run.pipe(
      withCircuitBreaker({ ...breaker.options, key }),
      Effect.mapError((error) => error instanceof CircuitOpenError ? circuitOpen(request, error) : error)
    )
  })

/** @internal */
export const withIntelligentRetry: {
  <E>(
    options?: Options<NoInfer<E>>
  ): <R>(self: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<Errors<E>, R>
  <E, R>(
    self: HttpClient.HttpClient.With<E, R>,
    options?: Options<NoInfer<E>>
  ): HttpClient.HttpClient.With<Errors<E>, R>
} = dual(
  (args) => hasProperty(args[0], HttpClient.TypeId),
  <E, R>(self: HttpClient.HttpClient.With<E, R>, options?: Options<E>): HttpClient.HttpClient.With<Errors<E>, R> => {
    const compiled = compile(options ?? {})
    // a client transform is no Effect to fail: every request it runs dies with the error, as the
    // core combinator's runs do
    return Either.isLeft(compiled)
      ? HttpClient.transform(self, () => Effect.die(compiled.left))
      : make(self, compiled.right)
  }
)
