/**
 * The circuit breaker: option validation, the per-key state machine, the in-process store and the
 * combinator. The state machine is synchronous, so admission and the claim of the one probe are
 * atomic in a single JavaScript turn, however many fibers run.
 *
 * Internal, not exported from the package. This header carries no internal tag: on the first import
 * it would strip that import from the declarations, which the service tag kept here needs.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { dual } from "effect/Function"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import type * as Tracer from "effect/Tracer"
import type {
  Admission,
  CircuitBreakerOptions,
  CircuitBreakerService,
  CircuitBreakerSettings,
  CircuitState,
  RunResult,
  Transition
} from "../CircuitBreaker.js"
import type * as CircuitBreaker from "../CircuitBreaker.js"
import { ClassifierTag as Classifier } from "./classifier.js"
import { classifyWith } from "./classifier.js"
import { ErrorCategory } from "./errorCategory.js"
import { CircuitOpenError, isRetryHandoff } from "./errors.js"
import { OVERFLOW_LABEL, PREFIX } from "./metrics.js"
import { perClock } from "./perClock.js"
import { show } from "./policy.js"
import { RetryOutcome } from "./retryOutcome.js"
import { RetryStatsTag as RetryStats } from "./stats/store.js"
import type { InvalidPolicyError } from "./validate.js"
import { durationMillis, fail, invalid, unknownOption } from "./validate.js"

/** @internal */
export const TypeId: CircuitBreaker.TypeId = Symbol.for(
  "@intelligent-retry/core/CircuitBreaker"
) as CircuitBreaker.TypeId

/**
 * Defaults, from the simulator (docs/benchmarks.md): open after 5 consecutive counted failures,
 * or when counted failures exceed 50% of at least 20 runs in a sliding 10 s window; stay open 5 s.
 *
 * @internal
 */
export const breakerDefaults = {
  consecutiveFailures: 5,
  failureRatio: 0.5,
  minimumRuns: 20,
  windowMillis: 10_000,
  breakMillis: 5_000,
  maxKeys: 10_000
} as const

/** The categories whose failures count towards opening a breaker. @internal */
export const counted: ReadonlySet<ErrorCategory> = new Set([
  ErrorCategory.NETWORK_ERROR,
  ErrorCategory.SYSTEM_ERROR,
  ErrorCategory.TEMPORARY_ERROR
])

/** Longest key accepted: keys name dependencies (hosts, services), and end up in metric labels. @internal */
export const MAX_KEY_LENGTH = 256

const optionKeys: ReadonlySet<string> = new Set([
  "key",
  "consecutiveFailures",
  "failureRatio",
  "minimumRuns",
  "window",
  "breakDuration",
  "task"
])

const positiveDuration = (field: string, value: unknown): Either.Either<number, InvalidPolicyError> =>
  durationMillis(field, value, { zero: false, infinite: false })

/** Validates the options once, when the combinator is applied. @internal */
export const validate = (options: CircuitBreakerOptions): Either.Either<CircuitBreakerSettings, InvalidPolicyError> => {
  if (typeof options !== "object" || options === null) {
    return fail("options", options, `must be an object with at least a key, got ${show(options)}`)
  }
  const unknown = unknownOption(options, optionKeys, "withCircuitBreaker")
  if (unknown !== undefined) return Either.left(unknown)
  const { key, task } = options
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    return fail("key", key, `must be a non-empty string of at most ${MAX_KEY_LENGTH} characters, got ${show(key)}`)
  }
  if (task !== undefined && typeof task !== "string") return fail("task", task, `must be a string, got ${show(task)}`)
  const consecutiveFailures = options.consecutiveFailures ?? breakerDefaults.consecutiveFailures
  if (!(Number.isInteger(consecutiveFailures) && consecutiveFailures >= 1)) {
    return fail("consecutiveFailures", consecutiveFailures, `must be an integer ≥ 1, got ${show(consecutiveFailures)}`)
  }
  const failureRatio = options.failureRatio ?? breakerDefaults.failureRatio
  if (!(typeof failureRatio === "number" && failureRatio > 0 && failureRatio <= 1)) {
    return fail("failureRatio", failureRatio, `must be a number in (0, 1], got ${show(failureRatio)}`)
  }
  const minimumRuns = options.minimumRuns ?? breakerDefaults.minimumRuns
  if (!(Number.isInteger(minimumRuns) && minimumRuns >= 1)) {
    return fail("minimumRuns", minimumRuns, `must be an integer ≥ 1, got ${show(minimumRuns)}`)
  }
  const windowMillis = options.window === undefined
    ? Either.right(breakerDefaults.windowMillis)
    : positiveDuration("window", options.window)
  if (Either.isLeft(windowMillis)) return Either.left(windowMillis.left)
  const breakMillis = options.breakDuration === undefined
    ? Either.right(breakerDefaults.breakMillis)
    : positiveDuration("breakDuration", options.breakDuration)
  if (Either.isLeft(breakMillis)) return Either.left(breakMillis.left)
  return Either.right({
    key,
    task: task ?? key,
    consecutiveFailures,
    failureRatio,
    minimumRuns,
    windowMillis: windowMillis.right,
    breakMillis: breakMillis.right
  })
}

// -----------------------------------------------------------------------------
// the state machine of one key
// -----------------------------------------------------------------------------

/** Buckets of the sliding window: its resolution is a hundredth of its length (100 ms by default). */
const BUCKETS = 100

/**
 * Runs and counted failures over a sliding window, in {@link BUCKETS} buckets. Time going
 * backwards (another clock) lands in the newest bucket.
 *
 * @internal
 */
export class SlidingWindow {
  private readonly runs = new Float64Array(BUCKETS)
  private readonly failures = new Float64Array(BUCKETS)
  private head = Number.NEGATIVE_INFINITY
  totalRuns = 0
  totalFailures = 0
  constructor(readonly windowMillis: number) {}

  private advance(now: number): number {
    const bucket = Math.floor(now / (this.windowMillis / BUCKETS))
    if (bucket > this.head) {
      if (bucket - this.head >= BUCKETS) {
        this.reset()
      } else {
        for (let b = this.head + 1; b <= bucket; b++) {
          const slot = b % BUCKETS
          this.totalRuns -= this.runs[slot]
          this.totalFailures -= this.failures[slot]
          this.runs[slot] = 0
          this.failures[slot] = 0
        }
      }
      this.head = bucket
    }
    return ((this.head % BUCKETS) + BUCKETS) % BUCKETS
  }

  add(now: number, failed: boolean): void {
    const slot = this.advance(now)
    this.runs[slot]++
    this.totalRuns++
    if (failed) {
      this.failures[slot]++
      this.totalFailures++
    }
  }

  reset(): void {
    this.runs.fill(0)
    this.failures.fill(0)
    this.totalRuns = 0
    this.totalFailures = 0
  }
}

const CLOSED = 0
const OPEN = 1
const HALF_OPEN = 2

/** Admission of a run while closed: shared, so the happy path allocates nothing. @internal */
export const ADMITTED: Admission = Object.freeze({ _tag: "Admitted", probe: false, token: 0, transition: undefined })

/**
 * The breaker of one key. Counting (consecutive failures and the window) happens only while
 * closed; a run admitted while closed that ends after the breaker opened is not counted.
 *
 * @internal
 */
export class Circuit {
  state: typeof CLOSED | typeof OPEN | typeof HALF_OPEN = CLOSED
  consecutive = 0
  /** While open: when the break ends. */
  openUntil = 0
  /** While half-open: when the probe started (`-Infinity`: free, the probe was interrupted). */
  probeSince = 0
  /** Identifies the current probe: a stale probe (taken over after a break length) settles nothing. */
  generation = 0
  readonly window: SlidingWindow

  constructor(windowMillis: number) {
    this.window = new SlidingWindow(windowMillis)
  }

  get name(): CircuitState {
    return this.state === CLOSED ? "closed" : this.state === OPEN ? "open" : "half_open"
  }

  /** Admits a run (perhaps as the probe) or rejects it with the remaining open time. */
  acquire(settings: CircuitBreakerSettings, now: number): Admission {
    switch (this.state) {
      case CLOSED:
        return ADMITTED
      case OPEN: {
        if (now < this.openUntil) return { _tag: "Rejected", retryAfter: this.openUntil - now }
        this.state = HALF_OPEN
        return this.probe(now, "half_open")
      }
      case HALF_OPEN: {
        // a probe that outlives a break length is presumed lost: the next run takes over
        const free = this.probeSince + settings.breakMillis
        if (now < free) return { _tag: "Rejected", retryAfter: free - now }
        return this.probe(now, undefined)
      }
    }
  }

  private probe(now: number, transition: Transition | undefined): Admission {
    this.probeSince = now
    this.generation++
    return { _tag: "Admitted", probe: true, token: this.generation, transition }
  }

  /** Settles a run admitted by {@link acquire}; answers the transition it caused, if any. */
  release(
    settings: CircuitBreakerSettings,
    admission: Admission,
    result: RunResult,
    now: number
  ): Transition | undefined {
    if (admission._tag !== "Admitted") return undefined
    if (admission.probe) {
      if (this.state !== HALF_OPEN || admission.token !== this.generation) return undefined
      switch (result) {
        case "success":
        case "neutral":
          // the dependency answered: a data or rate-limit failure proves it is up
          return this.close()
        case "failure":
          return this.open(settings, now)
        case "interrupted":
          this.probeSince = Number.NEGATIVE_INFINITY
          return undefined
      }
    }
    if (this.state !== CLOSED || result === "interrupted") return undefined
    if (result === "failure") {
      this.consecutive++
      this.window.add(now, true)
      const { totalFailures, totalRuns } = this.window
      if (
        this.consecutive >= settings.consecutiveFailures ||
        (totalRuns >= settings.minimumRuns && totalFailures > settings.failureRatio * totalRuns)
      ) {
        return this.open(settings, now)
      }
      return undefined
    }
    if (result === "success") this.consecutive = 0
    this.window.add(now, false)
    return undefined
  }

  /** Opens the breaker for a break length from `now`. */
  open(settings: CircuitBreakerSettings, now: number): Transition {
    this.state = OPEN
    this.openUntil = now + settings.breakMillis
    this.consecutive = 0
    this.window.reset()
    return "open"
  }

  close(): Transition {
    this.state = CLOSED
    this.consecutive = 0
    this.window.reset()
    return "closed"
  }
}

// -----------------------------------------------------------------------------
// the in-process store
// -----------------------------------------------------------------------------

/**
 * Circuits per key, at most `maxKeys`: past it, the least recently created closed circuit is
 * forgotten (a closed circuit loses only its counts), else the oldest.
 *
 * @internal
 */
export class Circuits {
  private readonly circuits = new Map<string, Circuit>()
  /** Counts the keys forgotten (reset or evicted): a circuit resolved before is current while it holds. */
  epoch = 0
  constructor(readonly maxKeys: number) {}

  get(key: string, settings: CircuitBreakerSettings): Circuit {
    let circuit = this.circuits.get(key)
    if (circuit === undefined) {
      if (this.circuits.size >= this.maxKeys) this.evict()
      circuit = new Circuit(settings.windowMillis)
      this.circuits.set(key, circuit)
    }
    return circuit
  }

  peek(key: string): Circuit | undefined {
    return this.circuits.get(key)
  }

  /** Forgets the breaker of `key`: it starts closed, with no counts. */
  reset(key: string): void {
    if (this.circuits.delete(key)) this.epoch++
  }

  private evict(): void {
    let scanned = 0
    for (const [key, circuit] of this.circuits) {
      if (circuit.state === CLOSED || ++scanned > 64) {
        this.circuits.delete(key)
        this.epoch++
        return
      }
    }
  }
}

const NO_TRANSITION: Effect.Effect<Transition | undefined> = Effect.succeed(undefined)
const ADMIT: Effect.Effect<Admission> = Effect.succeed(ADMITTED)

/**
 * What an in-process store carries for the combinator: its circuits per clock, so that a key's
 * circuit is resolved once per store, clock and key, not on every run. The store's own
 * `unsafeAcquire` and `unsafeRelease` come with it: a service built from another's members (a
 * spread that replaces them) is not taken for the store.
 */
interface InProcess {
  readonly circuitsFor: (clock: Clock.Clock) => Circuits
  readonly unsafeAcquire: CircuitBreakerService["unsafeAcquire"]
  readonly unsafeRelease: CircuitBreakerService["unsafeRelease"]
}

const InProcessId: unique symbol = Symbol.for("@intelligent-retry/core/CircuitBreaker/InProcess")

const inProcessOf = (service: CircuitBreakerService): InProcess | undefined => {
  const inProcess = (service as { readonly [InProcessId]?: InProcess })[InProcessId]
  return inProcess !== undefined && inProcess.unsafeAcquire === service.unsafeAcquire &&
      inProcess.unsafeRelease === service.unsafeRelease
    ? inProcess
    : undefined
}

const memoryService = (circuitsFor: (clock: Clock.Clock) => Circuits): CircuitBreakerService => {
  const unsafeAcquire = (key: string, settings: CircuitBreakerSettings, clock: Clock.Clock): Admission =>
    circuitsFor(clock).get(key, settings).acquire(settings, clock.unsafeCurrentTimeMillis())
  const unsafeRelease = (
    key: string,
    settings: CircuitBreakerSettings,
    admission: Admission,
    result: RunResult,
    clock: Clock.Clock
  ): Transition | undefined =>
    circuitsFor(clock).get(key, settings).release(settings, admission, result, clock.unsafeCurrentTimeMillis())
  const service: CircuitBreakerService & { readonly [InProcessId]: InProcess } = {
    [TypeId]: TypeId,
    [InProcessId]: { circuitsFor, unsafeAcquire, unsafeRelease },
    unsafeAcquire,
    unsafeRelease,
    acquire: (key, settings, clock) => {
      const admission = unsafeAcquire(key, settings, clock)
      return admission === ADMITTED ? ADMIT : Effect.succeed(admission)
    },
    release: (key, settings, admission, result, clock) => {
      const transition = unsafeRelease(key, settings, admission, result, clock)
      return transition === undefined ? NO_TRANSITION : Effect.succeed(transition)
    },
    state: (key, clock) => Effect.sync(() => circuitsFor(clock).peek(key)?.name ?? "closed")
  }
  return service
}

/**
 * `maxKeys` of a store: an integer ≥ 1, or the `InvalidPolicyError` naming it, thrown (the
 * constructors taking it return plain values). A NaN would make the store unbounded.
 *
 * @internal
 */
export const checkedMaxKeys = (maxKeys: unknown = breakerDefaults.maxKeys): number => {
  if (typeof maxKeys === "number" && Number.isInteger(maxKeys) && maxKeys >= 1) return maxKeys
  throw invalid("maxKeys", maxKeys, `must be an integer ≥ 1, got ${show(maxKeys)}`)
}

/** A store of its own, in this process. @internal */
export const makeMemory = (maxKeys?: number): CircuitBreakerService => {
  const circuits = new Circuits(checkedMaxKeys(maxKeys))
  return memoryService(() => circuits)
}

/**
 * The default store: in this process, with one set of circuits per `Clock`. In production there
 * is one clock; each test's `TestClock` gets circuits of its own, so breakers never leak between
 * tests whose virtual times restart at zero.
 *
 * @internal
 */
export const makeDefault = (): CircuitBreakerService =>
  memoryService(perClock(() => new Circuits(breakerDefaults.maxKeys)))

/**
 * The tag behind `CircuitBreaker.CircuitBreaker`, kept in the declarations: the public one refers to
 * it, and a stripped class would break the published `.d.ts` under `skipLibCheck: false`.
 *
 * @since 0.1.0
 */
export class CircuitBreakerTag extends Context.Reference<CircuitBreakerTag>()(
  "@intelligent-retry/core/CircuitBreaker",
  { defaultValue: (): CircuitBreakerService => makeDefault() }
) {}

// -----------------------------------------------------------------------------
// metrics and span events
// -----------------------------------------------------------------------------

/** @internal */
export const opensCounter = Metric.counter(`${PREFIX}circuit_opens_total`, {
  description: "Circuit breakers opened (from closed, or reopened by a failed probe), by key.",
  incremental: true
})
/** @internal */
export const halfOpensCounter = Metric.counter(`${PREFIX}circuit_half_opens_total`, {
  description: "Circuit breakers that let their one probe through after a break, by key.",
  incremental: true
})
/** @internal */
export const closesCounter = Metric.counter(`${PREFIX}circuit_closes_total`, {
  description: "Circuit breakers closed by a successful probe, by key.",
  incremental: true
})

/** Distinct `key` labels per process; later keys share the overflow marker `"<overflow>"`. @internal */
export const MAX_METRIC_KEYS = 1_000

const labelled = new Set<string>()

const metricKey = (key: string): string => {
  if (labelled.has(key)) return key
  if (labelled.size >= MAX_METRIC_KEYS) return OVERFLOW_LABEL
  labelled.add(key)
  return key
}

const counterOf = (transition: Transition) =>
  transition === "open" ? opensCounter : transition === "half_open" ? halfOpensCounter : closesCounter

const isSpan = (span: Tracer.AnySpan | undefined): span is Tracer.Span => span !== undefined && span._tag === "Span"

/** Records a transition: its counter and, inside a span, a span event. @internal */
export const recordTransition = (
  fiber: Fiber.RuntimeFiber<any, any>,
  settings: CircuitBreakerSettings,
  transition: Transition,
  now: number
): Effect.Effect<void> => {
  const span = fiber.currentSpan
  if (isSpan(span)) {
    span.event(`intelligent-retry.circuit.${transition}`, BigInt(Math.floor(now)) * 1_000_000n, {
      "circuit.key": settings.key,
      "circuit.state": transition
    })
  }
  return Metric.increment(Metric.tagged(counterOf(transition), "key", metricKey(settings.key)))
}

// -----------------------------------------------------------------------------
// the combinator
// -----------------------------------------------------------------------------

/** What a run's exit means to the breaker. @internal */
export const resultOf = (exit: Exit.Exit<unknown, unknown>, context: Context.Context<never>): RunResult =>
  exit._tag === "Success" ? "success" : failureResult(exit.cause, context)

/** What a run's failure means to the breaker. @internal */
export const failureResult = (cause: Cause.Cause<unknown>, context: Context.Context<never>): RunResult => {
  const failure = Cause.failureOption(cause)
  if (Option.isNone(failure)) return Cause.isInterruptedOnly(cause) ? "interrupted" : "neutral"
  // a hand-off is not an end: the run resumes elsewhere, later
  if (isRetryHandoff(failure.value)) return "neutral"
  const category = classifyWith(failure.value, Context.get(context, Classifier))
  return counted.has(category) ? "failure" : "neutral"
}

const reject = (
  fiber: Fiber.RuntimeFiber<any, any>,
  settings: CircuitBreakerSettings,
  retryAfter: number,
  now: number
): Effect.Effect<never, CircuitOpenError> => {
  const stats = Context.get(fiber.currentContext, RetryStats)
  if (stats.enabled) stats.unsafeRecordOutcome(settings.task, RetryOutcome.CIRCUIT_OPEN, undefined, 0, now)
  return Effect.fail(new CircuitOpenError({ key: settings.key, retryAfter: Duration.millis(Math.max(0, retryAfter)) }))
}

const settle = <A, E>(
  fiber: Fiber.RuntimeFiber<any, any>,
  service: CircuitBreakerService,
  settings: CircuitBreakerSettings,
  admission: Admission,
  clock: Clock.Clock,
  exit: Exit.Exit<A, E>
): Effect.Effect<void> =>
  Effect.flatMap(
    service.release(settings.key, settings, admission, resultOf(exit, fiber.currentContext), clock),
    (transition) =>
      transition === undefined
        ? Effect.void
        : recordTransition(fiber, settings, transition, clock.unsafeCurrentTimeMillis())
  )

/**
 * A run after its admission, by any store: rejected, or run (a probe, or a run whose admission moved
 * the breaker, with a finalizer that settles it even when interrupted).
 */
const admitted = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  settings: CircuitBreakerSettings,
  service: CircuitBreakerService,
  fiber: Fiber.RuntimeFiber<any, any>,
  clock: Clock.Clock,
  admission: Admission
): Effect.Effect<A, E | CircuitOpenError, R> => {
  if (admission._tag === "Rejected") {
    return reject(fiber, settings, admission.retryAfter, clock.unsafeCurrentTimeMillis())
  }
  const unsafeRelease = service.unsafeRelease
  if (unsafeRelease !== undefined && !admission.probe && admission.transition === undefined) {
    // a run admitted while closed by a synchronous store: no finalizer (an interrupted run changes
    // nothing while closed), the result settled synchronously
    const settled = (result: RunResult) => {
      const transition = unsafeRelease(settings.key, settings, admission, result, clock)
      return transition === undefined
        ? undefined
        : recordTransition(fiber, settings, transition, clock.unsafeCurrentTimeMillis())
    }
    return Effect.matchCauseEffect(self, {
      onSuccess: (a) => {
        const record = settled("success")
        return record === undefined ? Effect.succeed(a) : Effect.as(record, a)
      },
      onFailure: (cause) => {
        const record = settled(failureResult(cause, fiber.currentContext))
        return record === undefined ? Effect.failCause(cause) : Effect.zipRight(record, Effect.failCause(cause))
      }
    })
  }
  const run = admission.transition === undefined
    ? self
    : Effect.zipRight(recordTransition(fiber, settings, admission.transition, clock.unsafeCurrentTimeMillis()), self)
  // the probe must be settled even when interrupted, or no other run could probe for a break length
  return Effect.onExit(run, (exit) => settle(fiber, service, settings, admission, clock, exit))
}

type DefaultServices = Fiber.RuntimeFiber<any, any>["currentDefaultServices"]

/**
 * A guarded run with one store. The context object of a fiber changes only when something is
 * provided, so the runs of one program find theirs without reading the context; a run in another
 * context reads the store from it and gets the guard of that store (a context that provides
 * something on every run, such as `Effect.provideService`, pays that read each time).
 */
class Guard<A, E, R> {
  private readonly inProcess: InProcess | undefined
  /** The default services last seen, and the closed path of their clock. */
  private services: DefaultServices | undefined = undefined
  private path: ClosedPath<A, E, R> | undefined = undefined
  /** The closed paths of the other clocks seen (each clock has breakers of its own). */
  private paths: WeakMap<Clock.Clock, ClosedPath<A, E, R>> | undefined = undefined

  constructor(
    readonly self: Effect.Effect<A, E, R>,
    readonly settings: CircuitBreakerSettings,
    readonly service: CircuitBreakerService
  ) {
    this.inProcess = inProcessOf(service)
  }

  run(fiber: Fiber.RuntimeFiber<any, any>): Effect.Effect<A, E | CircuitOpenError, R> {
    const inProcess = this.inProcess
    if (inProcess !== undefined) {
      const services = fiber.currentDefaultServices
      let path = this.path
      if (services !== this.services || path === undefined) path = this.pathOf(inProcess, services)
      // the one per-key read: a closed breaker runs the continuation built once for this store and clock
      const circuit = path.circuit()
      if (circuit.state === CLOSED) return path.run
      return admitted(
        this.self,
        this.settings,
        this.service,
        fiber,
        path.clock,
        circuit.acquire(this.settings, path.clock.unsafeCurrentTimeMillis())
      )
    }
    const service = this.service
    const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
    const unsafeAcquire = service.unsafeAcquire
    return unsafeAcquire === undefined
      ? Effect.flatMap(
        service.acquire(this.settings.key, this.settings, clock),
        (admission) => admitted(this.self, this.settings, service, fiber, clock, admission)
      )
      : admitted(
        this.self,
        this.settings,
        service,
        fiber,
        clock,
        unsafeAcquire(this.settings.key, this.settings, clock)
      )
  }

  private pathOf(inProcess: InProcess, services: DefaultServices): ClosedPath<A, E, R> {
    const clock = Context.get(services, Clock.Clock)
    let path = this.path
    if (path === undefined || path.clock !== clock) {
      if (path !== undefined) (this.paths ??= new WeakMap()).set(path.clock, path)
      path = this.paths?.get(clock)
      if (path === undefined) path = new ClosedPath(this, inProcess.circuitsFor(clock), clock)
    }
    this.services = services
    this.path = path
    return path
  }
}

/**
 * The closed breaker of one key, in one store, under one clock (an in-process store keeps
 * breakers per clock): the key's circuit, resolved once and again only when its store forgot a
 * key, and the continuation that settles a run synchronously. No finalizer: an interrupted run
 * changes nothing while closed.
 */
class ClosedPath<A, E, R> {
  private current: Circuit | undefined = undefined
  private epoch = -1
  private readonly settings: CircuitBreakerSettings
  readonly run: Effect.Effect<A, E | CircuitOpenError, R>

  constructor(guard: Guard<A, E, R>, readonly circuits: Circuits, readonly clock: Clock.Clock) {
    const settings = this.settings = guard.settings
    const settled = (result: RunResult): Effect.Effect<void> | undefined => {
      const transition = this.circuit().release(settings, ADMITTED, result, clock.unsafeCurrentTimeMillis())
      return transition === undefined
        ? undefined
        : Effect.withFiberRuntime((fiber) =>
          recordTransition(fiber, settings, transition, clock.unsafeCurrentTimeMillis())
        )
    }
    this.run = Effect.matchCauseEffect(guard.self, {
      onSuccess: (a) => {
        const record = settled("success")
        return record === undefined ? Effect.succeed(a) : Effect.as(record, a)
      },
      onFailure: (cause) => {
        const record = settled(failureResult(cause, currentContext()))
        return record === undefined ? Effect.failCause(cause) : Effect.zipRight(record, Effect.failCause(cause))
      }
    })
  }

  /** The key's circuit in the store: the one resolved before, unless the store has forgotten a key since. */
  circuit(): Circuit {
    const circuits = this.circuits
    let circuit = this.current
    if (circuit === undefined || circuits.epoch !== this.epoch) {
      circuit = this.current = circuits.get(this.settings.key, this.settings)
      this.epoch = circuits.epoch
    }
    return circuit
  }
}

/** The context of the fiber running a continuation (the classifier in it decides what counts). */
const currentContext = (): Context.Context<never> => {
  const fiber = Fiber.getCurrentFiber()
  return fiber._tag === "Some" ? fiber.value.currentContext : Context.empty()
}

/**
 * A guarded run: one step before the run reads the fiber's context (the store, once per context
 * object), then, for a closed in-process breaker, one read of the key's state and the continuation.
 */
const make = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  settings: CircuitBreakerSettings
): Effect.Effect<A, E | CircuitOpenError, R> => {
  // the guard of each store seen: the last one at hand (with the context it was read from), the
  // others weakly held
  let lastContext: Context.Context<never> | undefined
  let last: Guard<A, E, R> | undefined
  let others: WeakMap<CircuitBreakerService, Guard<A, E, R>> | undefined
  return Effect.withFiberRuntime((fiber: Fiber.RuntimeFiber<A, E | CircuitOpenError>) => {
    const context = fiber.currentContext
    let guard = last
    if (context !== lastContext || guard === undefined) {
      const service = Context.get(context, CircuitBreakerTag)
      if (guard === undefined || guard.service !== service) {
        if (guard !== undefined) (others ??= new WeakMap()).set(guard.service, guard)
        guard = others?.get(service)
        if (guard === undefined) guard = new Guard(self, settings, service)
      }
      lastContext = context
      last = guard
    }
    return guard.run(fiber)
  })
}

/** @internal */
export const withCircuitBreaker: {
  (options: CircuitBreakerOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitOpenError, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, options: CircuitBreakerOptions): Effect.Effect<A, E | CircuitOpenError, R>
} = dual(
  2,
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    options: CircuitBreakerOptions
  ): Effect.Effect<A, E | CircuitOpenError, R> => {
    const validated = validate(options)
    return Either.isLeft(validated) ? Effect.die(validated.left) : make(self, validated.right)
  }
)

/** The state of the breaker of `key` in the current store. @internal */
export const stateOf = (key: string): Effect.Effect<CircuitState> =>
  Effect.withFiberRuntime((fiber) =>
    Context.get(fiber.currentContext, CircuitBreakerTag).state(
      key,
      Context.get(fiber.currentDefaultServices, Clock.Clock)
    )
  )
