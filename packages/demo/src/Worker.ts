/**
 * The worker: the same jobs through the same HTTP client, with two retry strategies.
 *
 * - **intelligent**: tracking queries and screenshots through `@intelligent-retry/platform`'s
 *   client, documents through core's `withIntelligentRetry`, each with its preset
 *   (`Strategies.tracking`, `.screenshot`, `.document`) scaled by the time scale;
 * - **naive**: `Effect.retry` with a uniform exponential schedule, five retries, blind to the
 *   category of the failure and to `Retry-After`.
 *
 * Both share the instrumented client below, so the client-side count of attempts is taken the
 * same way for both.
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Strategies, withIntelligentRetry } from "@intelligent-retry/core"
import { IntelligentHttpClient } from "@intelligent-retry/platform"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type { Job, JobKind } from "./Jobs.js"
import { resultOf, type Tracker } from "./Tracker.js"

/** The task names in statistics: the guide's names. */
export const taskNames: Readonly<Record<JobKind, string>> = {
  tracking: "update_tracking_info",
  screenshot: "capture_screenshot",
  document: "generate_document"
}

/** The least timeout per attempt, whatever the time scale: 2 seconds. */
export const MIN_ATTEMPT_TIMEOUT = Duration.seconds(2)

/**
 * The client's timeout per attempt: the guide's `requests.get(api_url, timeout=30)`, scaled, but
 * at least {@link MIN_ATTEMPT_TIMEOUT}. A busy machine can stall a loopback request for hundreds
 * of milliseconds; a shorter timeout would count those stalls as network errors, and the demo
 * would measure the machine rather than the retry. Default: max(30 s × 1/60, 2 s) = 2 s.
 */
export const attemptTimeout = (timeScale: number): Duration.Duration =>
  Duration.max(Duration.times(Duration.seconds(30), timeScale), MIN_ATTEMPT_TIMEOUT)

/** The naive schedule's first delay: the tracking preset's first network wait (5 s), scaled. */
export const naiveBaseDelay = (timeScale: number): Duration.Duration => Duration.times(Duration.seconds(5), timeScale)

/**
 * The naive retry a developer writes first: exponential from {@link naiveBaseDelay}, five
 * retries, whatever failed, whatever the server said.
 */
export const naiveSchedule = (timeScale: number) =>
  Schedule.exponential(naiveBaseDelay(timeScale)).pipe(Schedule.intersect(Schedule.recurs(5)))

const Tracking = Schema.Struct({
  tracking_number: Schema.String,
  status: Schema.Literal("label_created", "in_transit", "out_for_delivery", "delivered"),
  events: Schema.Array(Schema.Struct({ time: Schema.String, location: Schema.String, description: Schema.String }))
})

const Created = Schema.Struct({ id: Schema.String })

/** The request of a job. Screenshots and documents carry an `Idempotency-Key`: safe to send twice. */
const requestOf = (job: Job): HttpClientRequest.HttpClientRequest => {
  switch (job.kind) {
    case "tracking":
      return HttpClientRequest.get(`/track/${encodeURIComponent(job.key)}`)
    case "screenshot":
      return HttpClientRequest.post("/screenshots").pipe(
        HttpClientRequest.setHeader("idempotency-key", job.key),
        HttpClientRequest.bodyUnsafeJson({ url: `https://carrier.example/track/${job.trackingNumber}` })
      )
    case "document":
      return HttpClientRequest.post("/documents").pipe(
        HttpClientRequest.setHeader("idempotency-key", job.key),
        HttpClientRequest.bodyUnsafeJson({ kind: "receipt", tracking_number: job.trackingNumber })
      )
  }
}

/** The job key of a request: its `Idempotency-Key`, or the last path segment (the tracking number). */
const keyOf = (request: HttpClientRequest.HttpClientRequest): string =>
  Option.getOrElse(
    Headers.get(request.headers, "idempotency-key"),
    () => decodeURIComponent(request.url.slice(request.url.lastIndexOf("/") + 1))
  )

/**
 * Reads what is left of a failed response's body, so that its connection can be reused.
 * `@intelligent-retry/platform` does this itself before each of its retries; the naive retry,
 * core's combinator around a raw call, and a final error need it done here.
 */
const drain = (error: unknown): Effect.Effect<void> =>
  HttpClientError.isHttpClientError(error) && error._tag === "ResponseError"
    ? Effect.ignore(error.response.text)
    : Effect.void

/**
 * The clients of a run, one per job kind, before any retry: the carrier's base URL, non-2xx as
 * errors, the body validated with Schema (a malformed record fails the attempt as a data error),
 * and each attempt recorded by the tracker. A retry around a client re-runs all of it, so every
 * attempt is seen.
 */
const clients = (baseUrl: string, tracker: Tracker) =>
  Effect.map(HttpClient.HttpClient, (client) => {
    const base = client.pipe(
      HttpClient.mapRequest(HttpClientRequest.prependUrl(baseUrl)),
      HttpClient.filterStatusOk
    )
    const instrument = <E, R>(self: HttpClient.HttpClient.With<E, R>) =>
      HttpClient.transform(self, (effect, request) =>
        Effect.onExit(effect, (exit) =>
          Effect.sync(() => tracker.attempt(keyOf(request), resultOf(exit)))))
    return {
      tracking: base.pipe(HttpClient.tap(HttpClientResponse.schemaBodyJson(Tracking)), instrument),
      screenshot: base.pipe(HttpClient.tap(HttpClientResponse.schemaBodyJson(Created)), instrument),
      document: base.pipe(HttpClient.tap(HttpClientResponse.schemaBodyJson(Created)), instrument)
    }
  })

/** Runs every job with bounded concurrency, recording how each ended. */
const runJobs = <E, R>(
  jobs: ReadonlyArray<Job>,
  concurrency: number,
  tracker: Tracker,
  run: (job: Job) => Effect.Effect<unknown, E, R>
): Effect.Effect<void, never, R> =>
  Effect.forEach(
    jobs,
    (job) =>
      run(job).pipe(
        Effect.tapError(drain),
        Effect.exit,
        Effect.flatMap((exit) => Effect.sync(() => tracker.finish(job.key, Exit.isSuccess(exit))))
      ),
    { concurrency, discard: true }
  )

/** What a worker needs. */
export interface WorkerConfig {
  readonly baseUrl: string
  readonly jobs: ReadonlyArray<Job>
  readonly concurrency: number
  readonly timeScale: number
  readonly tracker: Tracker
}

/**
 * The jobs with intelligent retry. Every table is scaled: the presets, and the defaults beneath
 * them (a preset is partial: a category it leaves out, such as a document's network errors,
 * falls back to the current `Strategies.Strategies`).
 */
export const intelligent = (config: WorkerConfig): Effect.Effect<void, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const { timeScale, tracker } = config
    const timeout = attemptTimeout(timeScale)
    const client = yield* clients(config.baseUrl, tracker)
    // The guide's `tracking_intelligent_retry` around `query_express_api`, on the HTTP client.
    const tracking = client.tracking.pipe(
      IntelligentHttpClient.withIntelligentRetry({
        task: taskNames.tracking,
        timeout,
        strategies: Strategies.scale(Strategies.tracking, timeScale)
      })
    )
    // A POST: retried beyond connect failures only because it carries an Idempotency-Key.
    const screenshots = client.screenshot.pipe(
      IntelligentHttpClient.withIntelligentRetry({
        task: taskNames.screenshot,
        timeout,
        strategies: Strategies.scale(Strategies.screenshot, timeScale)
      })
    )
    // Core's combinator around the whole attempt. Sending the POST twice is safe because of its
    // Idempotency-Key: that is the caller's judgement here, not the library's.
    const documentStrategies = Strategies.scale(Strategies.document, timeScale)
    const run = (job: Job): Effect.Effect<unknown, unknown> => {
      switch (job.kind) {
        case "tracking":
          return tracking.execute(requestOf(job))
        case "screenshot":
          return screenshots.execute(requestOf(job))
        case "document":
          return client.document.execute(requestOf(job)).pipe(
            Effect.tapError(drain),
            Effect.timeout(timeout),
            withIntelligentRetry({ task: taskNames.document, strategies: documentStrategies })
          )
      }
    }
    yield* runJobs(config.jobs, config.concurrency, tracker, run)
  }).pipe(Effect.provideService(Strategies.Strategies, Strategies.scale(Strategies.defaults, config.timeScale)))

/** The same jobs with the naive retry: same client, same timeout per attempt. */
export const naive = (config: WorkerConfig): Effect.Effect<void, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const timeout = attemptTimeout(config.timeScale)
    const schedule = naiveSchedule(config.timeScale)
    const client = yield* clients(config.baseUrl, config.tracker)
    const run = (job: Job) =>
      client[job.kind].execute(requestOf(job)).pipe(
        Effect.tapError(drain),
        Effect.timeout(timeout),
        Effect.retry(schedule)
      )
    yield* runJobs(config.jobs, config.concurrency, config.tracker, run)
  })
