/**
 * Shared cool-downs: when a run learns from a server hint that key K will not serve before some
 * time, the runs of K that opt in hold their first attempt until then.
 *
 * @internal
 */
import type * as RetryCooldown from "../RetryCooldown.js"
import type { RetryCooldownService } from "../RetryCooldown.js"

/** @internal */
export const TypeId: RetryCooldown.TypeId = Symbol.for("@intelligent-retry/core/RetryCooldown") as RetryCooldown.TypeId

/** Keys held at most; past it the entry that ends first is dropped. @internal */
export const MAX_KEYS = 10_000

/** An in-process registry: key → end of its cool-down, epoch milliseconds. @internal */
export const make = (optIn: boolean): RetryCooldownService => {
  const until = new Map<string, number>()
  const sweep = (now: number) => {
    for (const [key, end] of until) if (end <= now) until.delete(key)
  }
  return {
    [TypeId]: TypeId,
    optIn,
    unsafeUntil: (key, now) => {
      const end = until.get(key)
      if (end === undefined) return undefined
      if (end <= now) {
        until.delete(key)
        return undefined
      }
      return end
    },
    unsafeHold: (key, end, now) => {
      const known = until.get(key)
      if (known !== undefined && known >= end) return
      if (known === undefined && until.size >= MAX_KEYS) {
        sweep(now)
        if (until.size >= MAX_KEYS) until.delete(until.keys().next().value!)
      }
      until.set(key, end)
    }
  }
}
