/**
 * Token buckets in the style of gRPC A6 retry throttling, with a cost per category and per signal
 * (contention is cheap, overload is not), and the process-wide default budget.
 *
 * Internal, not exported from the package. This header carries no internal tag: on the first import
 * it would strip that import from the declarations, which the service tag kept here needs.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { ErrorCategory } from "../ErrorCategory.js"
import type * as RetryBudget from "../RetryBudget.js"
import type { BudgetFailure, RetryBudgetOptions, RetryBudgetService, RetryBudgetSettings } from "../RetryBudget.js"
import { categories, ErrorCategory as Category, isErrorCategory } from "./errorCategory.js"
import { statusOf } from "./http.js"
import { OVERFLOW_LABEL } from "./metrics.js"
import { perClock } from "./perClock.js"
import { show } from "./policy.js"
import { get, isObjectLike } from "./safe.js"
import type { InvalidPolicyError } from "./validate.js"
import { invalid, unknownOption } from "./validate.js"

/** @internal */
export const TypeId: RetryBudget.TypeId = Symbol.for("@intelligent-retry/core/RetryBudget") as RetryBudget.TypeId

/**
 * Defaults of {@link RetryBudgetOptions}: the default budget's configuration. Chosen with the
 * simulator (docs/benchmarks.md, docs/budget.md "Choosing the defaults").
 *
 * @internal
 */
export const budgetDefaults = {
  maxTokens: 50,
  tokenRatio: 0.1,
  cost: 1,
  hintedCost: 0,
  contentionCost: 0,
  /** Of `maxTokens`, per second: the whole bucket refills in 100 s of time. */
  refillShare: 0.01,
  maxKeys: 10_000
} as const

/** The key that every key past `maxKeys` shares: the library's one overflow marker. @internal */
export const OVERFLOW_KEY = OVERFLOW_LABEL

const free: ReadonlySet<ErrorCategory> = new Set([Category.DATA_ERROR, Category.PERMANENT_ERROR])

/**
 * Statuses that say "someone else changed it first" rather than "I am overloaded": 409 Conflict,
 * 412 Precondition Failed, 423 Locked, 425 Too Early. The server answered them cheaply, and their
 * retries are how contending clients make progress.
 *
 * @internal
 */
export const contentionStatuses: ReadonlySet<number> = new Set([409, 412, 423, 425])

/** Whether an error (or a link of its cause chain) is a contention status. Total. @internal */
export const isContention = (error: unknown): boolean => {
  let current = error
  for (let depth = 0; depth < 8 && isObjectLike(current); depth++) {
    const status = statusOf(current)
    if (status !== undefined) return contentionStatuses.has(status)
    current = get(current, "cause")
  }
  return false
}

/** @internal */
export type Settings = RetryBudgetSettings

const finite = (field: string, value: unknown, min: number, strict: boolean) =>
  typeof value === "number" && Number.isFinite(value) && (strict ? value > min : value >= min)
    ? undefined
    : invalid(field, value, `must be a finite number ${strict ? ">" : "≥"} ${min}, got ${show(value)}`)

const budgetKeys: ReadonlySet<string> = new Set([
  "maxTokens",
  "tokenRatio",
  "costs",
  "hintedCost",
  "contentionCost",
  "refillPerSecond",
  "maxKeys"
])

/** @internal */
export const validate = (options: RetryBudgetOptions): Either.Either<Settings, InvalidPolicyError> => {
  if (typeof options !== "object" || options === null) {
    return Either.left(invalid("budget", options, `must be an object of budget options, got ${show(options)}`))
  }
  const unknown = unknownOption(options, budgetKeys, "RetryBudget", "budget")
  if (unknown !== undefined) return Either.left(unknown)
  const maxTokens = options.maxTokens ?? budgetDefaults.maxTokens
  const tokenRatio = options.tokenRatio ?? budgetDefaults.tokenRatio
  const hintedCost = options.hintedCost ?? budgetDefaults.hintedCost
  const contentionCost = options.contentionCost ?? budgetDefaults.contentionCost
  const refillPerSecond = options.refillPerSecond ??
    (typeof maxTokens === "number" ? maxTokens * budgetDefaults.refillShare : 0)
  const maxKeys = options.maxKeys ?? budgetDefaults.maxKeys
  const error = finite("budget.maxTokens", maxTokens, 0, true) ??
    finite("budget.tokenRatio", tokenRatio, 0, true) ??
    finite("budget.hintedCost", hintedCost, 0, false) ??
    finite("budget.contentionCost", contentionCost, 0, false) ??
    finite("budget.refillPerSecond", refillPerSecond, 0, false) ??
    (Number.isInteger(maxKeys) && maxKeys >= 1
      ? undefined
      : invalid("budget.maxKeys", maxKeys, `must be an integer ≥ 1, got ${show(maxKeys)}`))
  if (error !== undefined) return Either.left(error)
  const costs = Object.fromEntries(categories.map((c) => [c, free.has(c) ? 0 : budgetDefaults.cost])) as Record<
    ErrorCategory,
    number
  >
  for (const [category, cost] of Object.entries(options.costs ?? {})) {
    const field = `budget.costs.${category}`
    if (!isErrorCategory(category)) {
      return Either.left(
        invalid(field, cost, `"${category}" is not a category (${categories.join(", ")}), got ${show(cost)}`)
      )
    }
    if (free.has(category)) {
      return Either.left(
        invalid(field, cost, `${category} never touches the budget: it is never retried, got ${show(cost)}`)
      )
    }
    const bad = finite(field, cost, 0, false)
    if (bad !== undefined) return Either.left(bad)
    costs[category] = cost as number
  }
  return Either.right({ maxTokens, tokenRatio, costs, hintedCost, contentionCost, refillPerSecond, maxKeys })
}

/** The settings of the default budget. @internal */
export const defaultSettings: Settings = Either.getOrThrow(validate({}))

/**
 * The cost of one failed attempt: nothing for data and permanent errors, `hintedCost` for a
 * failure whose server hint paces its retry, `contentionCost` for a contention status, the
 * category's cost otherwise.
 *
 * @internal
 */
export const costOf = (settings: Settings, failure: BudgetFailure): number =>
  free.has(failure.category)
    ? 0
    : failure.hinted
    ? settings.hintedCost
    : failure.contention
    ? Math.min(settings.contentionCost, settings.costs[failure.category])
    : settings.costs[failure.category]

/** @internal */
export class TokenBucket {
  balance: number
  /** When the time refill was last added, epoch milliseconds. */
  refilled: number | undefined = undefined
  constructor(readonly settings: Settings) {
    this.balance = settings.maxTokens
  }
  deposit(): void {
    const next = this.balance + this.settings.tokenRatio
    this.balance = next > this.settings.maxTokens ? this.settings.maxTokens : next
  }
  /** Adds `refillPerSecond` for the time since the last refill; a clock that went back adds nothing. */
  refill(now: number): void {
    const rate = this.settings.refillPerSecond
    if (rate > 0 && this.refilled !== undefined && now > this.refilled) {
      this.balance = Math.min(this.settings.maxTokens, this.balance + ((now - this.refilled) / 1000) * rate)
    }
    this.refilled = now
  }
  withdraw(failure: BudgetFailure): boolean {
    this.refill(failure.now)
    this.balance = Math.max(0, this.balance - costOf(this.settings, failure))
    return this.balance > this.settings.maxTokens / 2
  }
  read(now: number): number {
    this.refill(now)
    return this.balance
  }
}

/** @internal */
export interface Budget extends RetryBudgetService {
  readonly settings: Settings
  readonly tokenBucket: (key: string) => TokenBucket
}

/** @internal */
export const make = (settings: Settings, keyed: boolean): Budget => {
  const shared = new TokenBucket(settings)
  const tokenBuckets = new Map<string, TokenBucket>()
  // The happy path deposits into the token bucket of the same key again and again: remember the last one.
  let lastKey: string | undefined = undefined
  let last = shared
  const tokenBucket = (key: string): TokenBucket => {
    if (!keyed) return shared
    if (key === lastKey) return last
    let found = tokenBuckets.get(key)
    if (found === undefined) {
      const name = tokenBuckets.size >= settings.maxKeys ? OVERFLOW_KEY : key
      found = tokenBuckets.get(name)
      if (found === undefined) {
        found = new TokenBucket(settings)
        tokenBuckets.set(name, found)
      }
    }
    lastKey = key
    last = found
    return found
  }
  return {
    [TypeId]: TypeId,
    settings,
    tokenBucket,
    unsafeOnSuccess: (key) => tokenBucket(key).deposit(),
    unsafeOnFailure: (key, failure) => tokenBucket(key).withdraw(failure),
    balance: (key) => Effect.map(Clock.currentTimeMillis, (now) => tokenBucket(key).read(now))
  }
}

/**
 * The default budget: keyed, the default configuration, in this process, with one set of buckets
 * per `Clock` (as the circuit breaker's and the cool-downs' default stores): in production there is
 * one clock; each test's `TestClock` gets fresh, full buckets, so a test that drains a key never
 * starves another.
 *
 * The clock is read on the failure path only (`onFailure` and `balance` are effects): a success
 * deposits into the buckets of the clock last seen failing, with no clock lookup on the happy path.
 * With one clock that is exact; before any failure there is nothing to deposit into (a fresh bucket
 * is full).
 *
 * @internal
 */
export const makeDefault = (settings: Settings = defaultSettings): RetryBudgetService => {
  const budgetOf = perClock(() => make(settings, true))
  let last: Budget | undefined
  const someClock = Clock.make()
  const forClock = (clock: Clock.Clock): Budget => (last = budgetOf(clock))
  return {
    [TypeId]: TypeId,
    unsafeOnSuccess: (key) => {
      if (last !== undefined) last.unsafeOnSuccess(key)
    },
    // a caller with no clock at hand: the buckets of the clock last seen
    unsafeOnFailure: (key, failure) => (last ?? forClock(someClock)).unsafeOnFailure(key, failure),
    onFailure: (key, failure) =>
      Effect.clockWith((clock) => Effect.succeed(forClock(clock).unsafeOnFailure(key, failure))),
    balance: (key) => Effect.clockWith((clock) => forClock(clock).balance(key))
  }
}

/**
 * The tag behind `RetryBudget.RetryBudget`, kept in the declarations: the public one refers to it.
 *
 * @since 0.1.0
 */
export class RetryBudgetTag extends Context.Reference<RetryBudgetTag>()("@intelligent-retry/core/RetryBudget", {
  defaultValue: (): RetryBudgetService | undefined => makeDefault()
}) {}
