/**
 * The processor: a job's effect under `withHandoff`, its hand-offs turned into delayed jobs and
 * its stops into `UnrecoverableError`.
 *
 * @internal
 */
import { IntelligentRetry, RetryHandoff, RetryPolicy, RetryState } from "@intelligent-retry/core"
import type { Job } from "bullmq"
import { DelayedError, UnrecoverableError } from "bullmq"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type { Processor, ProcessorOptions, Stopped } from "../IntelligentWorker.js"

/** @internal */
export const dataKey = "__intelligentRetry" as const

/** @internal */
export const DEFAULT_LOCK_DURATION = Duration.seconds(30)

/** @internal */
export const AFTER_MARGIN = Duration.seconds(5)

const PREFIX = "intelligent-retry:"

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The default `after`: 5 s below the lock duration, or half of it when that is shorter. */
const defaultAfter = (lockMillis: number): number =>
  Math.max(lockMillis - Duration.toMillis(AFTER_MARGIN), Math.floor(lockMillis / 2))

interface Config {
  readonly after: number
  readonly task: (job: Job) => string
  readonly options: Omit<ProcessorOptions<any, any>, "after" | "lockDuration" | "task" | "runtime" | "layer">
  readonly run: <A>(effect: Effect.Effect<A, never, any>) => Promise<A>
  readonly dispose: () => Promise<void>
}

const configure = (options: ProcessorOptions<any, any>): Config => {
  if (!isRecord(options)) {
    throw RetryPolicy.invalid("options", options, `must be an object, got ${RetryPolicy.describe(options)}`)
  }
  const { after, layer, lockDuration, runtime, task, ...rest } = options
  const lock = lockDuration === undefined
    ? DEFAULT_LOCK_DURATION
    : Either.getOrThrowWith(RetryPolicy.decodeDuration("lockDuration", lockDuration), (e) => e)
  if (Duration.toMillis(lock) < 1000 || !Duration.isFinite(lock)) {
    throw RetryPolicy.invalid(
      "lockDuration",
      lockDuration,
      `must be a finite duration of at least 1 second, got ${RetryPolicy.describe(lockDuration)}`
    )
  }
  const afterMillis = after === undefined
    ? defaultAfter(Duration.toMillis(lock))
    : Duration.toMillis(Either.getOrThrowWith(RetryPolicy.decodeDuration("after", after), (e) => e))
  if (task !== undefined && typeof task !== "string" && typeof task !== "function") {
    throw RetryPolicy.invalid(
      "task",
      task,
      `must be a string or a function of the job, got ${RetryPolicy.describe(task)}`
    )
  }
  if (runtime !== undefined && layer !== undefined) {
    throw RetryPolicy.invalid(
      "runtime",
      runtime,
      `cannot be given with layer: give one, got ${RetryPolicy.describe(runtime)}`
    )
  }
  if (runtime !== undefined && !(isRecord(runtime) && "context" in runtime && "fiberRefs" in runtime)) {
    throw RetryPolicy.invalid("runtime", runtime, `must be an Effect Runtime, got ${RetryPolicy.describe(runtime)}`)
  }
  if (layer !== undefined && !Layer.isLayer(layer)) {
    throw RetryPolicy.invalid("layer", layer, `must be a Layer, got ${RetryPolicy.describe(layer)}`)
  }
  // withHandoff validates its own options when applied; applied to an interruption, a valid set
  // runs nothing and records nothing.
  const probe = Effect.runSyncExit(IntelligentRetry.withHandoff(Effect.interrupt, { ...rest, after: afterMillis }))
  const invalid = Exit.isFailure(probe) ? Cause.dieOption(probe.cause) : Option.none()
  if (Option.isSome(invalid)) throw invalid.value
  let run: Config["run"]
  let dispose: Config["dispose"] = () => Promise.resolve()
  if (layer !== undefined) {
    const managed = ManagedRuntime.make(layer as Layer.Layer<unknown, unknown>)
    run = (effect) => managed.runPromise(effect)
    dispose = () => managed.dispose()
  } else {
    const rt = ((runtime as unknown) ?? Runtime.defaultRuntime) as Runtime.Runtime<any>
    run = (effect) => Runtime.runPromise(rt)(effect)
  }
  return {
    after: afterMillis,
    task: task === undefined ? (job) => job.name : typeof task === "string" ? () => task : (job) => task(job),
    options: rest,
    run,
    dispose
  }
}

/** What the effect part decided; the Promise part acts on it with the job. */
type Verdict<A> =
  | { readonly _tag: "Done"; readonly value: A }
  | { readonly _tag: "Early"; readonly resumeAt: number }
  | { readonly _tag: "Handoff"; readonly handoff: RetryHandoff }
  | { readonly _tag: "Stop"; readonly info: IntelligentRetry.FailureInfo<unknown> | undefined; readonly error: unknown }
  | { readonly _tag: "Invalid"; readonly message: string }
  | { readonly _tag: "Defect"; readonly cause: Cause.Cause<unknown> }

const decodeSaved = (saved: unknown): Either.Either<{ state: RetryState.RetryState; resumeAt: number }, string> => {
  const field = `data.${dataKey}`
  if (!isRecord(saved)) return Either.left(`${field} must be an object, got ${RetryPolicy.describe(saved)}`)
  const resumeAt = saved.resumeAt
  if (typeof resumeAt !== "number" || !Number.isSafeInteger(resumeAt) || resumeAt < 0) {
    return Either.left(`Invalid ${field}.resumeAt: must be epoch milliseconds, got ${RetryPolicy.describe(resumeAt)}`)
  }
  return Either.match(RetryState.decode(saved.state, `${field}.state`), {
    onLeft: (error) => Either.left(error.message),
    onRight: (state) => Either.right({ state, resumeAt })
  })
}

const verdict = <D, A, E, R>(
  config: Config,
  handler: (job: Job<D, A>) => Effect.Effect<A, E, R>,
  job: Job<D, A>
): Effect.Effect<Verdict<A>, never, R> =>
  Effect.gen(function*() {
    const saved = isRecord(job.data) ? job.data[dataKey] : undefined
    let state: RetryState.RetryState | undefined
    if (saved !== undefined) {
      const decoded = decodeSaved(saved)
      if (Either.isLeft(decoded)) return { _tag: "Invalid", message: decoded.left } as const
      // picked up before its time: only a worker that died between updateData and moveToDelayed
      // (or a clock far behind the one that saved it) gets here
      const now = yield* Clock.currentTimeMillis
      if (now < decoded.right.resumeAt) {
        // job data is input from outside the process: a saved time beyond the wait ceiling would
        // park the job for that long, so it is refused as the hint it came from would have been
        const ceiling = yield* Effect.orDie(IntelligentRetry.currentMaxWait)
        if (decoded.right.resumeAt - now > ceiling) {
          return {
            _tag: "Invalid",
            message: `data.${dataKey}.resumeAt is ${
              decoded.right.resumeAt - now
            } ms ahead, beyond the wait ceiling of ${ceiling} ms (RetryConfig.maxWait)`
          } as const
        }
        return { _tag: "Early", resumeAt: decoded.right.resumeAt } as const
      }
      state = decoded.right.state
    }
    let info: IntelligentRetry.FailureInfo<unknown> | undefined
    const userOnFailure = config.options.onFailure
    const exit = yield* Effect.suspend(() => handler(job)).pipe(
      IntelligentRetry.withHandoff({
        ...config.options,
        task: config.task(job as Job),
        after: config.after,
        state,
        onFailure: (failure: IntelligentRetry.FailureInfo<E>) => {
          info = failure
          return userOnFailure === undefined ? Effect.void : userOnFailure(failure)
        }
      }),
      Effect.exit
    )
    if (Exit.isSuccess(exit)) return { _tag: "Done", value: exit.value } as const
    const failure = Cause.failureOption(exit.cause)
    if (Option.isNone(failure)) return { _tag: "Defect", cause: exit.cause } as const
    if (failure.value instanceof RetryHandoff) return { _tag: "Handoff", handoff: failure.value } as const
    return { _tag: "Stop", info, error: failure.value } as const
  })

const nameOf = (error: unknown): string => {
  const tag = isRecord(error) ? error._tag ?? error.name : undefined
  return typeof tag === "string" ? RetryPolicy.describe(tag).replace(/^"|"$/g, "") : typeof error
}

/** @internal */
export const stopMessage = (info: IntelligentRetry.FailureInfo<unknown> | undefined, error: unknown): string =>
  info === undefined
    ? `${PREFIX} failed (unknown) with ${nameOf(error)}`
    : `${PREFIX} ${info.outcome} (${info.category}) after ${info.attempts} attempt${
      info.attempts === 1 ? "" : "s"
    }, ${info.retries} retr${info.retries === 1 ? "y" : "ies"}: ${nameOf(error)}`

/** @internal */
export const stoppedBy = (failedReason: string | undefined): Stopped | undefined => {
  const match = typeof failedReason === "string"
    ? /^intelligent-retry: ([a-z_]+) \(([a-z_]+)\)/.exec(failedReason)
    : null
  return match === null ? undefined : { outcome: match[1] as IntelligentRetry.FailureOutcome, category: match[2] }
}

const squash = (cause: Cause.Cause<unknown>): Error => {
  const error = Cause.squash(cause)
  return error instanceof Error ? error : new Error(`${PREFIX} the job's effect died: ${RetryPolicy.describe(error)}`)
}

const unrecoverable = (message: string, cause?: unknown): UnrecoverableError => {
  const error = new UnrecoverableError(message)
  if (cause !== undefined) Object.defineProperty(error, "cause", { value: cause, configurable: true, writable: true })
  return error
}

const delay = async (job: Job, resumeAt: number, token: string | undefined): Promise<never> => {
  await job.moveToDelayed(resumeAt, token)
  throw new DelayedError()
}

const make = <D, A, E, R>(
  handler: (job: Job<D, A>) => Effect.Effect<A, E, R>,
  options: ProcessorOptions<E, R> | undefined
): Processor<D, A> => {
  if (typeof handler !== "function") {
    throw RetryPolicy.invalid("handler", handler, `must be a function of the job, got ${RetryPolicy.describe(handler)}`)
  }
  const config = configure(options ?? {})
  const processJob = async (job: Job<D, A>, token?: string): Promise<A> => {
    const result = await config.run(verdict(config, handler, job))
    switch (result._tag) {
      case "Done":
        return result.value
      case "Early":
        return delay(job as Job, result.resumeAt, token)
      case "Handoff": {
        const { resumeAt, state } = result.handoff
        if (!isRecord(job.data)) {
          throw unrecoverable(
            `${PREFIX} cannot hand off: the job's data must be an object to hold ${dataKey}, got ${
              RetryPolicy.describe(job.data)
            }`,
            result.handoff.error
          )
        }
        // updateData replaces the whole data: keep the rest. Not atomic with moveToDelayed: see "Early".
        await job.updateData({ ...job.data, [dataKey]: { state, resumeAt } } as D)
        return delay(job as Job, resumeAt, token)
      }
      case "Stop":
        throw unrecoverable(stopMessage(result.info, result.error), result.error)
      case "Invalid":
        throw unrecoverable(`${PREFIX} the saved run is not valid, not trusted: ${result.message}`)
      case "Defect":
        throw squash(result.cause)
    }
  }
  return Object.assign(processJob, { dispose: config.dispose })
}

/** @internal */
export const processor: {
  <E, R>(
    options: ProcessorOptions<NoInfer<E>, NoInfer<R>>
  ): <D, A>(handler: (job: Job<D, A>) => Effect.Effect<A, E, R>) => Processor<D, A>
  <D, A, E, R>(
    handler: (job: Job<D, A>) => Effect.Effect<A, E, R>,
    options?: ProcessorOptions<NoInfer<E>, NoInfer<R>>
  ): Processor<D, A>
} = dual((args) => typeof args[0] === "function", make)
