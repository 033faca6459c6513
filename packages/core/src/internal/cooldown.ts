/**
 * Shared cool-downs: when a run learns from a server hint that key K will not serve before some
 * time, the runs of K that opt in hold their attempts until then.
 *
 * Internal, not exported from the package. This header carries no internal tag: on the first import
 * it would strip that import from the declarations, which the service tag kept here needs.
 */
import type * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as RetryCooldown from "../RetryCooldown.js"
import type { RetryCooldownService } from "../RetryCooldown.js"
import { perClock } from "./perClock.js"
import { show } from "./policy.js"
import { invalid, unknownOption } from "./validate.js"

/** @internal */
export const TypeId: RetryCooldown.TypeId = Symbol.for("@intelligent-retry/core/RetryCooldown") as RetryCooldown.TypeId

/** Keys held at most per registry; past it, expired holds are pruned, then the hold that ends first is dropped. @internal */
export const MAX_KEYS = 10_000

/** Key → end of its cool-down, epoch milliseconds; at most `maxKeys` keys. @internal */
export class Holds {
  private readonly until = new Map<string, number>()
  constructor(readonly maxKeys: number = MAX_KEYS) {}

  get size(): number {
    return this.until.size
  }

  get(key: string, now: number): number | undefined {
    const end = this.until.get(key)
    if (end === undefined) return undefined
    if (end <= now) {
      this.until.delete(key)
      return undefined
    }
    return end
  }

  hold(key: string, end: number, now: number): void {
    const known = this.until.get(key)
    if (known !== undefined && known >= end) return
    if (known === undefined && this.until.size >= this.maxKeys) this.prune(now)
    this.until.set(key, end)
  }

  /** Drops every expired hold; if none had expired, the one that ends first. */
  private prune(now: number): void {
    let first: string | undefined
    let firstEnd = Infinity
    for (const [key, end] of this.until) {
      if (end <= now) this.until.delete(key)
      else if (end < firstEnd) {
        first = key
        firstEnd = end
      }
    }
    if (this.until.size >= this.maxKeys && first !== undefined) this.until.delete(first)
  }
}

const service = (optIn: boolean, holdsFor: (clock: Clock.Clock) => Holds): RetryCooldownService => ({
  [TypeId]: TypeId,
  optIn,
  unsafeUntil: (key, now, clock) => holdsFor(clock).get(key, now),
  unsafeHold: (key, end, now, clock) => holdsFor(clock).hold(key, end, now)
})

/** A registry of its own, whatever the clock. @internal */
const optionKeys: ReadonlySet<string> = new Set(["optIn"])

/**
 * `RetryCooldown.make`: the options checked (a plain value is returned, so a bad one throws the
 * `InvalidPolicyError`), then {@link make}.
 *
 * @internal
 */
export const makeWith = (options: { readonly optIn: boolean } = { optIn: true }): RetryCooldownService => {
  if (typeof options !== "object" || options === null) {
    throw invalid("options", options, `must be an object with \`optIn\`, got ${show(options)}`)
  }
  const unknown = unknownOption(options, optionKeys, "RetryCooldown.make")
  if (unknown !== undefined) throw unknown
  if (typeof options.optIn !== "boolean") {
    throw invalid("optIn", options.optIn, `must be a boolean, got ${show(options.optIn)}`)
  }
  return make(options.optIn)
}

export const make = (optIn: boolean, maxKeys: number = MAX_KEYS): RetryCooldownService => {
  const holds = new Holds(maxKeys)
  return service(optIn, () => holds)
}

/**
 * The default registry: in this process, with one set of holds per `Clock`, like the circuit
 * breaker's default store. In production there is one clock; each test's `TestClock` gets holds of
 * its own, so a hold set at virtual time 0 of one test never reaches another. Runs use it only
 * when they opt in (`cooldown: true`); their hints always feed it.
 *
 * @internal
 */
export const makeDefault = (): RetryCooldownService => {
  return service(false, perClock(() => new Holds()))
}

/**
 * The tag behind `RetryCooldown.RetryCooldown`, kept in the declarations: the public one refers to it.
 *
 * @since 0.1.0
 */
export class RetryCooldownTag extends Context.Reference<RetryCooldownTag>()("@intelligent-retry/core/RetryCooldown", {
  defaultValue: (): RetryCooldownService => makeDefault()
}) {}
