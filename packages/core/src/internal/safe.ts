/**
 * Property reads that survive hostile values: Proxies that throw on every trap, getters that
 * throw, revoked objects. Every read is bounded and never throws.
 *
 * @internal
 */

/** @internal */
export const isObjectLike = (u: unknown): u is object =>
  (typeof u === "object" && u !== null) || typeof u === "function"

/** @internal */
export const get = (u: unknown, key: PropertyKey): unknown => {
  if (!isObjectLike(u)) return undefined
  try {
    return (u as any)[key]
  } catch {
    return undefined
  }
}

/** @internal */
export const getString = (u: unknown, key: PropertyKey, maxLength: number): string | undefined => {
  const value = get(u, key)
  return typeof value === "string" && value.length <= maxLength ? value : undefined
}

/** @internal */
export const getNumber = (u: unknown, key: PropertyKey): number | undefined => {
  const value = get(u, key)
  return typeof value === "number" && Number.isFinite(value) ? value : undefined
}

/** @internal */
export const call = <A>(f: () => A): A | undefined => {
  try {
    return f()
  } catch {
    return undefined
  }
}
