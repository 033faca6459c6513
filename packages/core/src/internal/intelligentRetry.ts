/**
 * The combinator. The happy path (the first attempt succeeds) does one extra step: it records the
 * success and feeds the budget. Everything a failure needs (the table, the classifier, the run
 * state) is built only after the first failure.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as Tracer from "effect/Tracer"
import type { ClassifierOptions, ClassifyFn } from "../Classifier.js"
import type { ErrorCategory } from "../ErrorCategory.js"
import type { FailureInfo, IntelligentRetryOptions, RetryInfo, StrategyChoice } from "../IntelligentRetry.js"
import type { RetryBudgetService } from "../RetryBudget.js"
import type { RetryCooldownService } from "../RetryCooldown.js"
import type { FailureOutcome } from "../RetryOutcome.js"
import type { RetryPolicy } from "../RetryPolicy.js"
import type { RetryState } from "../RetryState.js"
import type { RetryStatsService } from "../RetryStats.js"
import type { StrategyTable, StrategyTableInput } from "../Strategies.js"
import { RetryBudgetTag as RetryBudget } from "./budget.js"
import { ClassifierTag as Classifier } from "./classifier.js"
import { classifyWith, hintMillis } from "./classifier.js"
import { RetryConfigTag as RetryConfig } from "./config.js"
import { currentTable, fromEnvironment } from "./config.js"
import { RetryCooldownTag as RetryCooldown } from "./cooldown.js"
import { ErrorCategory as Category, isErrorCategory } from "./errorCategory.js"
import { RetryHandoff } from "./errors.js"
import type { Plan, RunState } from "./plan.js"
import { decide, initial } from "./plan.js"
import { DEFAULT_MAX_WAIT, show, WAIT_LIMIT } from "./policy.js"
import { safeCause } from "./redact.js"
import { RetryOutcome } from "./retryOutcome.js"
import { fromRun, initial as initialState, toRun } from "./retryState.js"
import { call, get } from "./safe.js"
import { RetryStatsTag as RetryStats } from "./stats/store.js"
import { decodeTable, defaults, merge, StrategiesTag as Strategies } from "./strategies.js"
import type { InvalidPolicyError } from "./validate.js"
import { decodeDuration, fail, invalid, unknownOption } from "./validate.js"

/** The task name of a run that gives none. @internal */
export const DEFAULT_TASK = "default"

/** Options, validated once when the combinator is applied. @internal */
export interface Compiled {
  readonly task: string
  readonly budgetKey: string
  readonly overrides: Partial<StrategyTable> | undefined
  readonly rule: ClassifyFn | undefined
  readonly retryable: ((error: any) => boolean) | undefined
  readonly onRetry: ((info: RetryInfo<any>) => unknown) | undefined
  readonly onFailure: ((info: FailureInfo<any>) => unknown) | undefined
  readonly maxAttempts: number | undefined
  readonly maxElapsed: number | undefined
  /** Milliseconds a callback may run before it is interrupted. */
  readonly callbackTimeout: number
  /** The run holds its attempts while its key cools down, even without a `RetryCooldown` layer. */
  readonly cooldown: boolean
  /** Set by `withHandoff` only: see `./handoff.ts`. */
  readonly handoff?: Handoff | undefined
}

/** What `withHandoff` adds to a run: where it resumes from, and which waits it does not sleep. @internal */
export interface Handoff {
  /** Milliseconds: the first wait of at least this much ends the run with a `RetryHandoff`. */
  readonly after: number
  /** The saved state the run continues, already decoded. */
  readonly state: RetryState | undefined
}

/** How long `onRetry` and `onFailure` may run by default: 5 seconds, in milliseconds. @internal */
export const DEFAULT_CALLBACK_TIMEOUT = 5_000

/** @internal */
export const optionKeys: ReadonlySet<string> = new Set([
  "task",
  "strategies",
  "classify",
  "byTag",
  "onRetry",
  "onFailure",
  "maxAttempts",
  "maxElapsed",
  "budgetKey",
  "retryable",
  "callbackTimeout",
  "cooldown"
])

const isFunctionOrUndefined = (u: unknown) => u === undefined || typeof u === "function"

/** @internal */
export const compile = (options: IntelligentRetryOptions<any>): Either.Either<Compiled, InvalidPolicyError> => {
  if (typeof options !== "object" || options === null) {
    return fail("options", options, `must be an object, got ${show(options)}`)
  }
  const unknown = unknownOption(options, optionKeys, "withIntelligentRetry")
  if (unknown !== undefined) return Either.left(unknown)
  const {
    budgetKey,
    byTag,
    callbackTimeout,
    cooldown,
    classify,
    maxAttempts,
    maxElapsed,
    onFailure,
    onRetry,
    retryable,
    strategies,
    task
  } = options
  if (task !== undefined && typeof task !== "string") return fail("task", task, `must be a string, got ${show(task)}`)
  if (budgetKey !== undefined && typeof budgetKey !== "string") {
    return fail("budgetKey", budgetKey, `must be a string, got ${show(budgetKey)}`)
  }
  if (cooldown !== undefined && typeof cooldown !== "boolean") {
    return fail("cooldown", cooldown, `must be a boolean, got ${show(cooldown)}`)
  }
  if (maxAttempts !== undefined && !(Number.isInteger(maxAttempts) && maxAttempts >= 1)) {
    return fail("maxAttempts", maxAttempts, `must be an integer ≥ 1, got ${show(maxAttempts)}`)
  }
  const elapsed = maxElapsed === undefined ? undefined : decodeDuration("maxElapsed", maxElapsed)
  if (elapsed !== undefined && Either.isLeft(elapsed)) return Either.left(elapsed.left)
  const timeout = callbackTimeout === undefined ? undefined : decodeDuration("callbackTimeout", callbackTimeout)
  if (timeout !== undefined && Either.isLeft(timeout)) return Either.left(timeout.left)
  const timeoutMillis = timeout === undefined ? DEFAULT_CALLBACK_TIMEOUT : Duration.toMillis(timeout.right)
  if (!(timeoutMillis >= 1 && timeoutMillis < WAIT_LIMIT)) {
    return fail(
      "callbackTimeout",
      callbackTimeout,
      `must be at least 1 millisecond and below ${WAIT_LIMIT} ms, got ${show(callbackTimeout)}`
    )
  }
  const functions = [["classify", classify], ["onRetry", onRetry], ["onFailure", onFailure], [
    "retryable",
    retryable
  ]] as const
  for (const [field, value] of functions) {
    if (!isFunctionOrUndefined(value)) return fail(field, value, `must be a function, got ${show(value)}`)
  }
  if (byTag !== undefined) {
    if (typeof byTag !== "object" || byTag === null) {
      return fail("byTag", byTag, `must be an object, got ${show(byTag)}`)
    }
    for (const [tag, category] of Object.entries(byTag)) {
      if (!isErrorCategory(category)) {
        return fail(`byTag.${tag}`, category, `must be an error category, got ${show(category)}`)
      }
    }
  }
  const overrides = strategies === undefined ? undefined : decodeTable(strategies)
  if (overrides !== undefined && Either.isLeft(overrides)) return Either.left(overrides.left)
  const tagRule: ClassifyFn | undefined = byTag === undefined ? undefined : (error) => {
    const tag = get(error, "_tag")
    return typeof tag === "string" && Object.hasOwn(byTag, tag) ? (byTag as any)[tag] : undefined
  }
  const rule: ClassifyFn | undefined = tagRule === undefined
    ? classify
    : classify === undefined
    ? tagRule
    : (error) => tagRule(error) ?? classify(error)
  return Either.right({
    task: task ?? DEFAULT_TASK,
    budgetKey: budgetKey ?? task ?? DEFAULT_TASK,
    overrides: overrides?.right,
    rule,
    retryable,
    onRetry,
    onFailure,
    maxAttempts,
    maxElapsed: elapsed === undefined ? undefined : Duration.toMillis(elapsed.right),
    callbackTimeout: timeoutMillis,
    cooldown: cooldown === true
  })
}

/** What a callback returned, as an effect to wait for: an Effect, a promise or any thenable, or nothing. */
const awaitable = (result: unknown): Effect.Effect<unknown, unknown> => {
  if (Effect.isEffect(result)) return result as Effect.Effect<unknown, unknown>
  const then = get(result, "then")
  if (typeof then !== "function") return Effect.void
  // `Promise.resolve` adopts any thenable, and turns a `then` that throws into a rejection.
  return Effect.tryPromise({ try: () => Promise.resolve(result), catch: (cause) => cause })
}

/** `Duration.format` for waits a day or shorter; longer ones (and absurd ones) in whole milliseconds. */
const formatWait = (millis: number): string =>
  millis <= 86_400_000 ? Duration.format(Duration.millis(millis)) : `${millis}ms`

/**
 * Runs a user callback so that nothing it does reaches the loop: a failure, a defect, a throw, a
 * rejected promise (any thenable) or junk is logged and ignored, and past `timeout` milliseconds
 * the callback is interrupted, logged, and the run goes on.
 *
 * The callback runs at once, synchronously, in a fiber of its own with the run's context: one that
 * completes without suspending (the common case) costs no timer and no scheduling. Only one that
 * suspends (sleeps, awaits a promise, never returns) is waited for under the time limit; if the run
 * is interrupted meanwhile, so is the callback. A callback that refuses interruption is left to
 * finish in the background; the run does not wait for it.
 */
const guarded = <I>(
  callback: ((info: I) => unknown) | undefined,
  info: I,
  name: string,
  timeout: number
): Effect.Effect<void> => {
  if (callback === undefined) return Effect.void
  return Effect.flatMap(Effect.runtime<never>(), (runtime) => {
    const exit = Runtime.runSyncExit(runtime, Effect.suspend(() => awaitable(callback(info))))
    if (Exit.isSuccess(exit)) return Effect.void
    // The callback suspended: its fiber goes on, and comes back as the defect of a synchronous run. A
    // defect of the callback's own may be any value, even one whose getters throw.
    const defect = Option.getOrUndefined(Cause.dieOption(exit.cause))
    const fiber = call(() => Runtime.isAsyncFiberException(defect) ? defect.fiber : undefined)
    if (fiber === undefined) return failedCallback(name, exit.cause)
    return Fiber.await(fiber).pipe(
      Effect.timeoutTo({
        duration: Duration.millis(timeout),
        onSuccess: (result): Effect.Effect<void> =>
          Exit.isSuccess(result) ? Effect.void : failedCallback(name, result.cause),
        onTimeout: (): Effect.Effect<void> =>
          Effect.zipRight(
            Fiber.interruptFork(fiber),
            Effect.logWarning(
              `intelligent-retry: the ${name} callback ran past its time limit (${timeout} ms); interrupted, the run goes on`
            )
          )
      }),
      Effect.flatten,
      Effect.onInterrupt(() => Fiber.interruptFork(fiber))
    )
  })
}

const failedCallback = (name: string, cause: Cause.Cause<unknown>): Effect.Effect<void> =>
  // a summary, not the cause: the error may carry a secret or be a value the logger cannot render
  Effect.logWarning(`intelligent-retry: the ${name} callback failed; ignored (${safeCause(cause)})`)

const isSpan = (span: Tracer.AnySpan | undefined): span is Tracer.Span => span !== undefined && span._tag === "Span"

/** The state of one run after its first failure. */
class Run<A, E, R> {
  state: RunState
  last: ErrorCategory | undefined = undefined
  done = false
  readonly attempt: Effect.Effect<A, E, R>

  constructor(
    readonly self: Effect.Effect<A, E, R>,
    readonly compiled: Compiled,
    readonly plan: Plan,
    readonly classifier: ClassifierOptions,
    readonly stats: RetryStatsService,
    readonly budget: RetryBudgetService | undefined,
    readonly clock: Clock.Clock,
    readonly span: Tracer.Span | undefined,
    readonly logLevel: LogLevel.LogLevel,
    readonly cooldown: RetryCooldownService,
    /** The run opted in to cool-downs: each of its attempts waits while its key is held. */
    readonly held: boolean
  ) {
    const now = clock.unsafeCurrentTimeMillis()
    const resumed = compiled.handoff?.state
    this.state = resumed === undefined ? initial(now) : toRun(resumed, now)
    this.last = resumed?.category
    this.attempt = Effect.matchEffect(self, {
      onFailure: (error) => this.failed(error),
      onSuccess: (a) =>
        Effect.sync(() => {
          this.finish(RetryOutcome.RECOVERED, this.last)
          this.budget?.unsafeOnSuccess(this.compiled.budgetKey)
          return a
        })
    })
  }

  retries(): number {
    return this.state.retries.reduce((sum, n) => sum + n, 0)
  }

  finish(outcome: RetryOutcome, category: ErrorCategory | undefined): void {
    if (this.done) return
    this.done = true
    if (this.stats.enabled) {
      this.stats.unsafeRecordOutcome(
        this.compiled.task,
        outcome,
        category,
        this.retries(),
        this.clock.unsafeCurrentTimeMillis()
      )
    }
  }

  failed(error: E): Effect.Effect<A, E, R> {
    const now = this.clock.unsafeCurrentTimeMillis()
    const category = classifyWith(error, this.classifier)
    const hint = call(() => hintMillis(error, now))
    const task = this.compiled.task
    if (this.stats.enabled) this.stats.unsafeRecordFailure(task, category, error, this.state.attempts + 1, now)
    // a hint tells every run of this key when the server will serve again (finite, below the ceiling)
    if (hint !== undefined && hint > 0 && hint <= (this.plan.maxWait ?? DEFAULT_MAX_WAIT)) {
      const until = now + Math.ceil(hint)
      const cooldown = this.cooldown
      call(() => cooldown.unsafeHold(this.compiled.budgetKey, until, now, this.clock))
    }
    return Effect.flatMap(decide(this.plan, this.state, category, error, hint, now, this.budget), (step) => {
      this.state = step.state
      this.last = category
      if (step._tag === "Stop") return this.stop(step.outcome, category, error)
      const attempt = step.state.attempts
      if (this.stats.enabled) this.stats.unsafeRecordRetry(task, category, step.wait, now)
      if (this.span !== undefined) {
        const attributes = {
          "retry.attempt": attempt,
          "retry.category": category,
          "retry.decision": step.policy.decision,
          "retry.category_attempt": step.n + 1,
          "retry.wait_ms": step.wait
        }
        for (const key in attributes) this.span.attribute(key, (attributes as any)[key])
        this.span.event("intelligent-retry.retry", BigInt(now) * 1_000_000n, attributes)
      }
      const info: RetryInfo<E> = {
        task,
        category,
        decision: step.policy.decision,
        attempt,
        categoryAttempt: step.n + 1,
        wait: Duration.millis(step.wait),
        hint: hint === undefined ? undefined : Duration.millis(hint),
        error
      }
      const announced = Effect.zipRight(
        guarded(this.compiled.onRetry, info, "onRetry", this.compiled.callbackTimeout),
        this.pause(step.wait, category, error)
      )
      return this.logLevel._tag === "None" ? announced : Effect.zipRight(this.log(info, step.policy), announced)
    })
  }

  /**
   * The line for a scheduled retry, as Celery's `Retry in 60s: …`: the task, the category, the
   * attempt and the wait, in the message and as annotations. Never the error itself: it may carry
   * a secret.
   */
  log(info: RetryInfo<E>, policy: RetryPolicy): Effect.Effect<void> {
    const wait = Duration.toMillis(info.wait)
    return Effect.suspend(() =>
      Effect.logWithLevel(
        this.logLevel,
        `Retry in ${formatWait(wait)}: ${info.task} attempt ${info.attempt} failed with ${info.category} ` +
          `(retry ${info.categoryAttempt} of ${policy.maxRetries})`
      )
    ).pipe(
      Effect.annotateLogs({
        "retry.task": info.task,
        "retry.category": info.category,
        "retry.attempt": info.attempt,
        "retry.wait_ms": wait
      }),
      // a logger that throws (Effect's default one does on a clock past year 275760) never ends a run
      Effect.catchAllCause(() => Effect.void)
    )
  }

  /**
   * The one place a run waits: it sleeps `wait` milliseconds and runs the next attempt, or, under
   * `withHandoff`, for a wait of at least `after`, ends with a `RetryHandoff` instead (the failure
   * and the retry are recorded; the outcome is left to the resumed run).
   */
  pause(wait: number, category: ErrorCategory, error: E, failed = true): Effect.Effect<A, E, R> {
    return pauseThen(wait, this.compiled.handoff, () => {
      this.done = true
      return handoffOf(this.clock, wait, category, fromRun(this.state, category), error)
    }, this.next(category, error, failed))
  }

  /**
   * The next attempt: at once, or, for a run that opted in to cool-downs, after the rest of a hold
   * that another run's hint set on its key meanwhile (through {@link pause}, so it may hand off).
   * The run's own hint never holds it: its wait was at least that hint.
   */
  next(category: ErrorCategory, error: E, failed = true): Effect.Effect<A, E, R> {
    if (!this.held) return this.attempt
    return Effect.suspend(() => {
      const wait = holdFor(this.cooldown, this.compiled.budgetKey, this.clock, this.plan.maxWait ?? DEFAULT_MAX_WAIT)
      if (wait === 0) return this.attempt
      // a hold counts against `maxElapsed` like any wait: the run stops rather than outlive its cap.
      // A resumed run has no failure of this process to stop with: its attempt runs after the hold,
      // and a failure of it meets the cap in `decide`.
      const { maxElapsed } = this.plan
      if (
        failed && maxElapsed !== undefined &&
        this.clock.unsafeCurrentTimeMillis() - this.state.start + wait > maxElapsed
      ) {
        return this.stop(RetryOutcome.STOPPED_BY_CAP, category, error)
      }
      return this.pause(wait, category, error, failed)
    })
  }

  stop(outcome: FailureOutcome, category: ErrorCategory, error: E): Effect.Effect<A, E, R> {
    this.finish(outcome, category)
    const info: FailureInfo<E> = {
      task: this.compiled.task,
      category,
      outcome,
      attempts: this.state.attempts,
      retries: this.retries(),
      error
    }
    // `Effect.fail` probes an object error (`spanSymbol in error`): a Proxy that throws would turn the
    // original failure into a defect. The error already went through `Effect.fail` when it first failed.
    return Effect.zipRight(
      guarded(this.compiled.onFailure, info, "onFailure", this.compiled.callbackTimeout),
      Effect.failCause(Cause.fail(error))
    )
  }
}

const tableOf = (context: Context.Context<never>, overrides: Partial<StrategyTable> | undefined): StrategyTable => {
  const current = currentTable(Context.get(context, Strategies))
  return overrides === undefined ? current : { ...current, ...overrides }
}

const retrying = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  compiled: Compiled,
  error: E | undefined,
  resumed: boolean
): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber: Fiber.RuntimeFiber<A, E>) => {
    const context = fiber.currentContext
    const settings = Context.get(context, RetryConfig)
    const environment = fromEnvironment()
    if (environment.invalid !== undefined && settings === environment.settings) return Effect.die(environment.invalid)
    const classifier = Context.get(context, Classifier)
    const maxWait = waitCeiling(settings.maxWait)
    if (Either.isLeft(maxWait)) return Effect.die(maxWait.left)
    const plan: Plan = {
      table: tableOf(context, compiled.overrides),
      maxAttempts: compiled.maxAttempts,
      maxElapsed: compiled.maxElapsed,
      enabled: settings.enabled,
      maxWait: maxWait.right,
      retryable: compiled.retryable,
      budgetKey: compiled.budgetKey
    }
    const cooldown = Context.get(context, RetryCooldown)
    const run = new Run(
      self,
      compiled,
      plan,
      compiled.rule === undefined
        ? classifier
        : { fallback: classifier.fallback, classify: chain(compiled.rule, classifier.classify) },
      Context.get(context, RetryStats),
      Context.get(context, RetryBudget),
      Context.get(fiber.currentDefaultServices, Clock.Clock),
      isSpan(fiber.currentSpan) ? fiber.currentSpan : undefined,
      settings.retryLogLevel ?? LogLevel.Info,
      cooldown,
      compiled.cooldown || cooldown.optIn
    )
    // Every run that reached its first failure ends with exactly one outcome: one that ended by
    // interruption is `interrupted`, one that ended by a defect (an attempt after a retry died) is
    // `died`. `finish` records nothing when an outcome was already recorded.
    const first = resumed
      ? run.next(compiled.handoff?.state?.category ?? Category.API_RATE_LIMIT, undefined as E, false)
      : run.failed(error as E)
    return Effect.onExit(first, (exit) =>
      Exit.isFailure(exit) && !run.done
        ? Effect.sync(() =>
          run.finish(Cause.isInterruptedOnly(exit.cause) ? RetryOutcome.INTERRUPTED : RetryOutcome.DIED, run.last)
        )
        : Effect.void)
  })

/** The wait ceiling of the settings, validated, in whole milliseconds. */
const waitCeiling = (maxWait: Duration.DurationInput | undefined): Either.Either<number, InvalidPolicyError> => {
  if (maxWait === undefined) return Either.right(DEFAULT_MAX_WAIT)
  const decoded = decodeDuration("RetryConfig.maxWait", maxWait)
  if (Either.isLeft(decoded)) return Either.left(decoded.left)
  const millis = Math.floor(Duration.toMillis(decoded.right))
  return millis >= 1 && millis < WAIT_LIMIT
    ? Either.right(millis)
    : Either.left(
      invalid(
        "RetryConfig.maxWait",
        maxWait,
        `must be at least 1 millisecond and below ${WAIT_LIMIT} ms (about 24.8 days), got ${show(maxWait)}`
      )
    )
}

/** The current wait ceiling, from the `RetryConfig` in context, validated. @internal */
export const currentMaxWait: Effect.Effect<number, InvalidPolicyError> = Effect.flatMap(
  RetryConfig,
  (settings) => waitCeiling(settings.maxWait)
)

const chain = (first: ClassifyFn, second: ClassifyFn | undefined): ClassifyFn =>
  second === undefined ? first : (error) => {
    const category = call(() => first(error))
    return isErrorCategory(category) ? category : second(error)
  }

/** @internal */
export const withIntelligentRetry: {
  <E>(options?: IntelligentRetryOptions<NoInfer<E>>): <A, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options?: IntelligentRetryOptions<NoInfer<E>>): Effect.Effect<A, E, R>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(self: Effect.Effect<A, E, R>, options?: IntelligentRetryOptions<E>): Effect.Effect<A, E, R> => {
    const compiled = compileOnce(options)
    return Either.isLeft(compiled) ? Effect.die(compiled.left) : make(self, compiled.right)
  }
)

const noOptions: IntelligentRetryOptions<any> = {}

const compiledOptions = new WeakMap<object, Either.Either<Compiled, InvalidPolicyError>>()

/**
 * {@link compile}, once per options object: the data-last form applied per call
 * (`effect.pipe(withIntelligentRetry(options))` inside a function) validates a constant options
 * object once, not on every application. Options are read when first seen.
 */
const compileOnce = (
  options: IntelligentRetryOptions<any> | undefined
): Either.Either<Compiled, InvalidPolicyError> => {
  const key = options ?? noOptions
  if (typeof key !== "object" || key === null) return compile(key)
  let compiled = compiledOptions.get(key)
  if (compiled === undefined) {
    compiled = compile(key)
    compiledOptions.set(key, compiled)
  }
  return compiled
}

/**
 * A run with validated options. A run resumed from a saved state that has failed before runs
 * inside the retry loop from its first attempt, so that its success is recorded as `recovered`.
 *
 * @internal
 */
export const make = <A, E, R>(self: Effect.Effect<A, E, R>, compiled: Compiled): Effect.Effect<A, E, R> => {
  const resumed = compiled.handoff?.state
  if (resumed !== undefined && resumed.attempts > 0) return retrying(self, compiled, undefined, true)
  const onFailure = (error: E) => retrying(self, compiled, error, false)
  // The happy path of each context seen: the last one at hand, the others weakly held.
  let lastContext: Context.Context<never> | undefined
  let last: HappyPath<A, E, R> | undefined
  let others: WeakMap<Context.Context<never>, HappyPath<A, E, R>> | undefined
  // One step before the first attempt: it reads the fiber's context, to find the run's services
  // (statistics store, budget, cool-down registry, read once per context object) and whether the
  // run opted in to cool-downs, which it must check before sending its first attempt.
  return Effect.withFiberRuntime((fiber) => {
    const context = fiber.currentContext
    let happy = last
    if (context !== lastContext || happy === undefined) {
      others ??= new WeakMap()
      happy = others.get(context)
      if (happy === undefined) {
        happy = new HappyPath(self, compiled, context, onFailure)
        others.set(context, happy)
      }
      lastContext = context
      last = happy
    }
    return compiled.cooldown || happy.cooldown.optIn ? happy.held(fiber) : happy.run
  })
}

/**
 * A run's first attempt in one context: the services read from it once, and the `matchEffect` whose
 * success branch uses them. The context object of a fiber changes only when something is provided,
 * so the runs of one program share one of these; the runs of another context (a fiber that
 * provides something) get their own, and interleaved runs never mix their services.
 */
class HappyPath<A, E, R> {
  readonly stats: RetryStatsService
  readonly budget: RetryBudgetService | undefined
  readonly cooldown: RetryCooldownService
  readonly run: Effect.Effect<A, E, R>
  private readonly context: Context.Context<never>
  /** The wait ceiling of the context's settings, read on the first run that opted in. */
  private ceiling: Either.Either<number, InvalidPolicyError> | undefined = undefined
  private cooled: Effect.Effect<A, E, R> | undefined = undefined
  /** The store's counter of the task's first-try successes; `null` until the first success. */
  private count: (() => void) | undefined | null = null

  constructor(
    self: Effect.Effect<A, E, R>,
    readonly compiled: Compiled,
    context: Context.Context<never>,
    onFailure: (error: E) => Effect.Effect<A, E, R>
  ) {
    this.context = context
    this.stats = Context.get(context, RetryStats)
    this.budget = Context.get(context, RetryBudget)
    this.cooldown = Context.get(context, RetryCooldown)
    this.run = Effect.matchEffect(self, {
      onFailure,
      onSuccess: (a: A): Effect.Effect<A> => {
        this.succeeded()
        return Effect.succeed(a)
      }
    })
  }

  /**
   * The run of one that opted in to cool-downs, checked within the step `make` already takes: the
   * registry and the ceiling are this context's; only a wait costs another look, after it.
   */
  held(fiber: Fiber.RuntimeFiber<any, any>): Effect.Effect<A, E, R> {
    const ceiling = this.ceiling ??= waitCeiling(Context.get(this.context, RetryConfig).maxWait)
    if (Either.isLeft(ceiling)) return Effect.die(ceiling.left)
    const again = this.cooled ??= cooledDown(this.run, this.compiled)
    const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
    return firstAttempt(this.cooldown, clock, ceiling.right, this.compiled, this.run, again)
  }

  /**
   * A first-try success, synchronously inside the continuation: the store counts it (a counter
   * resolved on the first success: one increment, no clock) and the budget gets its deposit.
   */
  succeeded(): void {
    const stats = this.stats
    if (stats.enabled) {
      let count = this.count
      if (count === null) count = this.count = stats.unsafeSuccessCounter?.(this.compiled.task)
      if (count !== undefined) count()
      else {
        // a store without the counter gets the success with the time of the run's clock
        const fiber = Fiber.getCurrentFiber()
        if (fiber._tag === "Some") {
          const now = Context.get(fiber.value.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
          stats.unsafeRecordOutcome(this.compiled.task, RetryOutcome.SUCCEEDED_FIRST_TRY, undefined, 0, now)
        }
      }
    }
    this.budget?.unsafeOnSuccess(this.compiled.budgetKey)
  }
}

/**
 * The look again after a first attempt waited for a hold: the fiber's registry, clock and ceiling
 * read afresh (a step of its own), then {@link firstAttempt}. The first look is `HappyPath.held`,
 * within the step the combinator takes anyway. Every wait goes through {@link pauseThen}: under
 * `withHandoff`, one of at least `after` ends the run with a `RetryHandoff` before its first attempt
 * (category `api_rate_limit`, no error, the state it was given).
 */
const cooledDown = <A, E, R>(run: Effect.Effect<A, E, R>, compiled: Compiled): Effect.Effect<A, E, R> => {
  const held: Effect.Effect<A, E, R> = Effect.withFiberRuntime((fiber) => {
    const registry = Context.get(fiber.currentContext, RetryCooldown)
    if (!compiled.cooldown && !registry.optIn) return run
    const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
    const ceiling = waitCeiling(Context.get(fiber.currentContext, RetryConfig).maxWait)
    if (Either.isLeft(ceiling)) return Effect.die(ceiling.left)
    return firstAttempt(registry, clock, ceiling.right, compiled, run, held)
  })
  return held
}

/**
 * The first attempt at once if `registry` holds nothing on the run's key; else a wait for the rest
 * of the hold (or a hand-off), then `again`: another run may have extended the hold meanwhile.
 */
const firstAttempt = <A, E, R>(
  registry: RetryCooldownService,
  clock: Clock.Clock,
  ceiling: number,
  compiled: Compiled,
  run: Effect.Effect<A, E, R>,
  again: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  const wait = holdFor(registry, compiled.budgetKey, clock, ceiling)
  if (wait <= 0) return run
  return pauseThen(
    wait,
    compiled.handoff,
    () => handoffOf(clock, wait, Category.API_RATE_LIMIT, compiled.handoff?.state ?? initialState(), undefined),
    again
  )
}

/**
 * Milliseconds until the hold on `key` ends (0 for none). A registry that throws holds nothing, and
 * so does a hold longer than the run's wait ceiling: it came from outside the process (a Redis
 * channel, a registry of the user's), and the run would not have waited for such a hint either.
 */
const holdFor = (registry: RetryCooldownService, key: string, clock: Clock.Clock, ceiling: number): number => {
  const now = clock.unsafeCurrentTimeMillis()
  const until = call(() => registry.unsafeUntil(key, now, clock))
  return typeof until === "number" && until > now && until - now <= ceiling ? Math.ceil(until - now) : 0
}

/**
 * Every wait of a run, the first attempt's cool-down included: sleep `wait` milliseconds and go on
 * with `next`, or, under `withHandoff`, for a wait of at least `after`, fail with the hand-off.
 */
const pauseThen = <A, E, R>(
  wait: number,
  handoff: Handoff | undefined,
  handedOff: () => RetryHandoff,
  next: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  if (handoff !== undefined && wait >= handoff.after) {
    return Effect.suspend(() => Effect.failCause(Cause.fail(handedOff() as unknown as E)))
  }
  return wait > 0 ? Effect.zipRight(Effect.sleep(Duration.millis(wait)), next) : next
}

const handoffOf = (
  clock: Clock.Clock,
  wait: number,
  category: ErrorCategory,
  state: RetryState,
  error: unknown
): RetryHandoff =>
  new RetryHandoff({
    resumeAt: clock.unsafeCurrentTimeMillis() + wait,
    wait: Duration.millis(wait),
    category,
    state,
    error
  })

/** @internal */
export const strategyFor = (
  error: unknown,
  table: StrategyTableInput | StrategyTable = defaults,
  classifier?: ClassifierOptions
): StrategyChoice => {
  const full = Either.getOrThrowWith(merge(defaults, table), (e) => e)
  const category = classifyWith(error, classifier)
  const policy: RetryPolicy = full[category]
  return { category, policy }
}

/** @internal */
export const currentStrategyFor = (error: unknown): Effect.Effect<StrategyChoice> =>
  Effect.contextWith((context: Context.Context<never>) => {
    const category = classifyWith(error, Context.get(context, Classifier))
    return { category, policy: currentTable(Context.get(context, Strategies))[category] }
  })
