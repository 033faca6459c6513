/**
 * Durable retries for BullMQ workers: a job's effect runs under core's
 * `IntelligentRetry.withHandoff`, so short waits are slept in the worker and long ones are handed
 * to the queue, where they survive a deploy, a crash or a scale-down, as a Celery
 * `self.retry(countdown=…)` does.
 *
 * **What the processor does with a job**
 *
 * 1. If the job carries a saved run (under {@link dataKey}) whose `resumeAt` is still ahead, the
 *    job was picked up early (see below): it is delayed again until `resumeAt`, and not run.
 * 2. Otherwise the handler's effect runs under `withHandoff`, resuming the saved run if any.
 * 3. Success: the job completes with the effect's value.
 * 4. A wait of at least `after`: the run's state and `resumeAt` are stored in the job's data under
 *    {@link dataKey} (the rest of the data is kept), then `job.moveToDelayed(resumeAt, token)` and
 *    `throw new DelayedError()`: the job waits in Redis, costing no worker, and BullMQ does not
 *    count an attempt.
 * 5. A decision of the library to stop (`exhausted`, `not_retryable`, `budget_exhausted`,
 *    `hint_exceeds_max_delay`, `stopped_by_cap`, `disabled`): `UnrecoverableError` with the outcome
 *    and the category in its message, so BullMQ's own `attempts` never re-run a job the library
 *    gave up on. The original error is the `cause` (it is not stored in Redis).
 * 6. A defect (a bug, a thrown exception) is thrown as it is: BullMQ's `attempts` and `backoff`
 *    apply, as for any processor.
 *
 * `job.updateData` and `job.moveToDelayed` are two Redis calls, not one: a worker that dies
 * between them leaves the job active with the new state saved; BullMQ's stalled-job check moves
 * it back to waiting, and step 1 delays it again instead of running it before its time.
 *
 * @since 0.1.0
 */
import type { IntelligentRetry } from "@intelligent-retry/core"
import type { Job } from "bullmq"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Runtime from "effect/Runtime"
import * as internal from "./internal/worker.js"

/**
 * The key of a job's data under which a hand-off saves the run: `{ state, resumeAt }`. Reserved:
 * a handler must not use it. A job's data must be a plain object for a hand-off to be saved.
 *
 * @since 0.1.0
 * @category constants
 */
export const dataKey: "__intelligentRetry" = internal.dataKey

/**
 * What a hand-off saves in a job's data under {@link dataKey}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Saved {
  /** The run to continue: `RetryState.RetryState` as JSON. */
  readonly state: unknown
  /** When the job may run again, epoch milliseconds. */
  readonly resumeAt: number
}

/**
 * The worker's lock duration this library assumes when `after` is not given: BullMQ's default.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_LOCK_DURATION: Duration.Duration = internal.DEFAULT_LOCK_DURATION

/**
 * How far below the lock duration the default `after` is: 5 seconds (or half the lock duration,
 * when that is shorter than 10 seconds).
 *
 * @since 0.1.0
 * @category constants
 */
export const AFTER_MARGIN: Duration.Duration = internal.AFTER_MARGIN

/**
 * Options of {@link processor}: those of `withHandoff` (except `state`, which comes from the job),
 * with a task name per job and a default `after`, plus where the effect runs.
 *
 * @since 0.1.0
 * @category models
 */
export interface ProcessorOptions<E, R> extends Omit<IntelligentRetry.HandoffOptions<E>, "after" | "state" | "task"> {
  /**
   * The shortest wait handed to the queue instead of slept in the worker. Default: a few seconds
   * below `lockDuration` (25 s with BullMQ's default 30 s), so a job never holds its worker for
   * more than about one lock period per wait.
   */
  readonly after?: Duration.DurationInput | undefined
  /** The worker's `lockDuration`, for the default `after`. Default: 30 seconds (BullMQ's). */
  readonly lockDuration?: Duration.DurationInput | undefined
  /** The task name in statistics, metrics and callbacks. Default: the job's name. */
  readonly task?: string | ((job: Job) => string) | undefined
  /** The runtime the effects run in (its services, `RetryStats`, `Strategies.Strategies`…). */
  readonly runtime?: Runtime.Runtime<R> | undefined
  /**
   * A layer providing what the effects need, built once, at the first job, into a runtime that
   * {@link Processor.dispose} releases. Give `runtime` or `layer`, not both.
   */
  readonly layer?: Layer.Layer<R, unknown> | undefined
}

/**
 * The function to pass to `new Worker(queue, processor, …)`, with a `dispose` that releases the
 * runtime built from a `layer` (a no-op otherwise). Call it after `worker.close()`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Processor<D, A> {
  (job: Job<D, A>, token?: string): Promise<A>
  /** Releases the layer's resources. The processor must not run jobs afterwards. */
  readonly dispose: () => Promise<void>
}

/**
 * Why a job was ended as unrecoverable, parsed back from a failed job's `failedReason`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stopped {
  readonly outcome: IntelligentRetry.FailureOutcome
  readonly category: string
}

/**
 * Builds the processor of a BullMQ `Worker` from a handler that returns the effect of a job.
 *
 * Options are validated here, once: an invalid one throws an `InvalidPolicyError` naming it and
 * the value. A processor is a plain function BullMQ calls, not an `Effect`: throwing when it is
 * built means a misconfigured worker never starts, where a processor that rejected every job would
 * consume each job's attempts (see the bad-input rule in `docs/errors.md`).
 *
 * @example
 * ```ts
 * import { FetchHttpClient, HttpClient, HttpClientResponse } from "@effect/platform"
 * import { IntelligentWorker } from "@intelligent-retry/bullmq"
 * import { type Job, Worker } from "bullmq"
 * import { Effect } from "effect"
 * import { Redis } from "ioredis"
 *
 * const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null })
 *
 * const processor = IntelligentWorker.processor(
 *   (job: Job<{ id: string }>) =>
 *     HttpClient.get(`https://carrier.example/track/${job.data.id}`).pipe(
 *       Effect.flatMap(HttpClientResponse.filterStatusOk),
 *       Effect.flatMap((response) => response.json)
 *     ),
 *   { after: "20 seconds", layer: FetchHttpClient.layer }
 * )
 * const worker = new Worker("tracking", processor, { connection })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const processor: {
  <E, R>(
    options: ProcessorOptions<NoInfer<E>, NoInfer<R>>
  ): <D, A>(handler: (job: Job<D, A>) => Effect.Effect<A, E, R>) => Processor<D, A>
  <D, A, E, R>(
    handler: (job: Job<D, A>) => Effect.Effect<A, E, R>,
    options?: ProcessorOptions<NoInfer<E>, NoInfer<R>>
  ): Processor<D, A>
} = internal.processor

/**
 * Reads the outcome and category out of the message of an `UnrecoverableError` this library
 * threw (a failed job's `failedReason`); `undefined` for any other message.
 *
 * @since 0.1.0
 * @category getters
 */
export const stoppedBy: (failedReason: string | undefined) => Stopped | undefined = internal.stoppedBy
