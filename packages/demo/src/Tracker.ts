/**
 * The client's own record of a run: every attempt of every job and how it ended, classified with
 * core's `classify` whatever the retry strategy. The report's client-side numbers come from here,
 * not from the library's statistics, so that the library is measured, not trusted.
 */
import type { ErrorCategory } from "@intelligent-retry/core"
import { Classifier, classify } from "@intelligent-retry/core"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { Job } from "./Jobs.js"

/** How one attempt ended: `ok`, or the category of its failure. */
export type AttemptResult = "ok" | ErrorCategory

/** One job's attempts, in order. */
export interface JobRecord {
  readonly job: Job
  readonly attempts: Array<AttemptResult>
  /** `undefined` while the job runs. */
  succeeded: boolean | undefined
}

/** What the progress line shows. */
export interface ProgressCounts {
  readonly jobs: number
  readonly done: number
  /** Jobs that failed at least once and are not finished: waiting to retry, or retrying. */
  readonly inRetry: number
  /** Jobs that gave up. */
  readonly failed: number
  /** Failed attempts per category. */
  readonly failures: Readonly<Record<ErrorCategory, number>>
}

const zeros = (): Record<ErrorCategory, number> =>
  Object.fromEntries(Classifier.categories.map((c) => [c, 0])) as Record<ErrorCategory, number>

/**
 * How an attempt ended, from its `Exit`. An attempt interrupted from outside is one that timed
 * out (the client's per-attempt timeout interrupts it): a network error.
 */
export const resultOf = (exit: Exit.Exit<unknown, unknown>): AttemptResult => {
  if (Exit.isSuccess(exit)) return "ok"
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) return classify(failure.value)
  if (Cause.isInterruptedOnly(exit.cause)) return "network_error"
  return classify(Cause.squash(exit.cause))
}

/** A run's client-side record. Updated synchronously from the fibers of the run. */
export class Tracker {
  readonly records: Map<string, JobRecord>
  private done = 0
  private failed = 0
  private inRetry = 0
  private readonly failures = zeros()

  constructor(readonly jobs: ReadonlyArray<Job>) {
    this.records = new Map(jobs.map((job) => [job.key, { job, attempts: [], succeeded: undefined }]))
  }

  /** One attempt of the job known to the server as `key` ended. */
  attempt(key: string, result: AttemptResult): void {
    const record = this.records.get(key)
    if (record === undefined) return
    if (result !== "ok") {
      this.failures[result]++
      if (!record.attempts.some((r) => r !== "ok")) this.inRetry++
    }
    record.attempts.push(result)
  }

  /** The job ended. */
  finish(key: string, succeeded: boolean): void {
    const record = this.records.get(key)
    if (record === undefined || record.succeeded !== undefined) return
    record.succeeded = succeeded
    this.done++
    if (!succeeded) this.failed++
    if (record.attempts.some((r) => r !== "ok")) this.inRetry--
  }

  counts(): ProgressCounts {
    return {
      jobs: this.jobs.length,
      done: this.done,
      inRetry: this.inRetry,
      failed: this.failed,
      failures: { ...this.failures }
    }
  }
}
