/**
 * Token buckets in the style of gRPC A6 retry throttling, with a cost per category.
 *
 * @internal
 */
import * as Either from "effect/Either"
import type { ErrorCategory } from "../ErrorCategory.js"
import { categories, ErrorCategory as Category, isErrorCategory } from "../ErrorCategory.js"
import type * as RetryBudget from "../RetryBudget.js"
import type { RetryBudgetOptions, RetryBudgetService } from "../RetryBudget.js"
import { show } from "./policy.js"
import type { InvalidPolicyError } from "./validate.js"
import { invalid } from "./validate.js"

/** @internal */
export const TypeId: RetryBudget.TypeId = Symbol.for("@intelligent-retry/core/RetryBudget") as RetryBudget.TypeId

/** Defaults of {@link RetryBudgetOptions}. @internal */
export const budgetDefaults = {
  maxTokens: 10,
  tokenRatio: 0.1,
  cost: 1,
  hintedCost: 0,
  maxKeys: 10_000
} as const

/** The key that every key past `maxKeys` shares. @internal */
export const OVERFLOW_KEY = "(overflow)"

const free: ReadonlySet<ErrorCategory> = new Set([Category.DATA_ERROR, Category.PERMANENT_ERROR])

/** @internal */
export interface Settings {
  readonly maxTokens: number
  readonly tokenRatio: number
  readonly costs: Readonly<Record<ErrorCategory, number>>
  readonly hintedCost: number
  readonly maxKeys: number
}

const finite = (field: string, value: unknown, min: number, strict: boolean) =>
  typeof value === "number" && Number.isFinite(value) && (strict ? value > min : value >= min)
    ? undefined
    : invalid(field, value, `must be a finite number ${strict ? ">" : "≥"} ${min}, got ${show(value)}`)

/** @internal */
export const validate = (options: RetryBudgetOptions): Either.Either<Settings, InvalidPolicyError> => {
  if (typeof options !== "object" || options === null) {
    return Either.left(invalid("budget", options, `must be an object of budget options, got ${show(options)}`))
  }
  const maxTokens = options.maxTokens ?? budgetDefaults.maxTokens
  const tokenRatio = options.tokenRatio ?? budgetDefaults.tokenRatio
  const hintedCost = options.hintedCost ?? budgetDefaults.hintedCost
  const maxKeys = options.maxKeys ?? budgetDefaults.maxKeys
  const error = finite("budget.maxTokens", maxTokens, 0, true) ??
    finite("budget.tokenRatio", tokenRatio, 0, true) ??
    finite("budget.hintedCost", hintedCost, 0, false) ??
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
  return Either.right({ maxTokens, tokenRatio, costs, hintedCost, maxKeys })
}

/** @internal */
export class Bucket {
  balance: number
  constructor(readonly settings: Settings) {
    this.balance = settings.maxTokens
  }
  deposit(): void {
    this.balance = Math.min(this.settings.maxTokens, this.balance + this.settings.tokenRatio)
  }
  withdraw(category: ErrorCategory, hinted: boolean): boolean {
    const cost = free.has(category) ? 0 : hinted ? this.settings.hintedCost : this.settings.costs[category]
    this.balance = Math.max(0, this.balance - cost)
    return this.balance > this.settings.maxTokens / 2
  }
}

/** @internal */
export interface Budget extends RetryBudgetService {
  readonly bucket: (key: string) => Bucket
}

/** @internal */
export const make = (settings: Settings, keyed: boolean): Budget => {
  const shared = new Bucket(settings)
  const buckets = new Map<string, Bucket>()
  const bucket = (key: string): Bucket => {
    if (!keyed) return shared
    let found = buckets.get(key)
    if (found === undefined) {
      const name = buckets.size >= settings.maxKeys ? OVERFLOW_KEY : key
      found = buckets.get(name)
      if (found === undefined) {
        found = new Bucket(settings)
        buckets.set(name, found)
      }
    }
    return found
  }
  return {
    [TypeId]: TypeId,
    bucket,
    unsafeOnSuccess: (key) => bucket(key).deposit(),
    unsafeOnFailure: (key, category, hinted) => bucket(key).withdraw(category, hinted)
  }
}
