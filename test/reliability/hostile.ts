/**
 * Hostile error values, shared by the core and platform reliability tests: everything a failure
 * path may be handed, from `null` to a Proxy that throws on every trap and a 10,000-deep cause
 * chain.
 */

const boom = (what: string) => () => {
  throw new Error(`hostile ${what}`)
}

/** A Proxy whose every trap throws. `target` decides whether it is also callable. */
export const throwingProxy = (target: object = {}): object =>
  new Proxy(target, {
    get: boom("get"),
    set: boom("set"),
    has: boom("has"),
    deleteProperty: boom("deleteProperty"),
    ownKeys: boom("ownKeys"),
    getOwnPropertyDescriptor: boom("getOwnPropertyDescriptor"),
    defineProperty: boom("defineProperty"),
    getPrototypeOf: boom("getPrototypeOf"),
    setPrototypeOf: boom("setPrototypeOf"),
    isExtensible: boom("isExtensible"),
    preventExtensions: boom("preventExtensions"),
    apply: boom("apply"),
    construct: boom("construct")
  })

/** A revoked Proxy: every operation on it throws a TypeError, even `Array.isArray`. */
export const revokedProxy = (): object => {
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  return proxy
}

/** An object whose named properties are getters that throw. */
export const throwingGetters = (names: ReadonlyArray<string>, base: object = {}): object => {
  for (const name of names) Object.defineProperty(base, name, { get: boom(`getter ${name}`), enumerable: true })
  return base
}

/** An error whose `cause` chain is `depth` links long (built iteratively: no recursion). */
export const nestedCauses = (depth: number, innermost: unknown = { code: "ECONNRESET" }): Error => {
  let error: unknown = innermost
  for (let i = 0; i < depth; i++) error = new Error(`wrap ${i}`, { cause: error })
  return error as Error
}

/** Two errors causing each other, and one that causes itself. */
export const cyclicCauses = (): { readonly pair: Error; readonly self: Error } => {
  const a = new Error("a") as Error & { cause: unknown }
  const b = new Error("b", { cause: a })
  a.cause = b
  const self = new Error("self") as Error & { cause: unknown }
  self.cause = self
  return { pair: a, self }
}

/** A flat (not rope) string of `length` code units, distinct per `seed`. */
export const flatString = (length: number, seed: number | string = 0): string => {
  const s = `${seed}:`.padEnd(length, "x")
  // force V8 to flatten now, so that reading it later costs what reading a flat string costs
  s.charCodeAt(length - 1)
  return s
}

export const TEN_MB = 10 * 1024 * 1024

/** A plain headers record with `count` keys, none of them a hint header. */
export const manyHeaders = (count: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`x-h${i}`, "x"]))

/**
 * The catalogue: a name and a factory (fresh values each call, since some tests mutate or retain
 * them). Factories are cheap except the 10 MB ones.
 */
export const hostileValues = (): ReadonlyArray<readonly [string, () => unknown]> => [
  ["null", () => null],
  ["undefined", () => undefined],
  ["0", () => 0],
  ["NaN", () => NaN],
  ["-Infinity", () => -Infinity],
  ["empty string", () => ""],
  ["a string", () => "ECONNRESET"],
  ["true", () => true],
  ["a symbol", () => Symbol("hostile")],
  ["a registered symbol", () => Symbol.for("hostile")],
  ["a BigInt", () => 10n ** 40n],
  ["a function", () => function hostile() {}],
  ["an array", () => [1, "two", { three: 3 }]],
  ["a Date", () => new Date(NaN)],
  ["a Map", () => new Map([["message", "in a map"]])],
  ["a frozen object", () => Object.freeze({ message: "frozen", code: Object.freeze(["ECONNRESET"]) })],
  ["a frozen Error", () => Object.freeze(new Error("frozen error"))],
  ["Object.create(null)", () => Object.create(null)],
  ["Object.create(null) with fields", () => Object.assign(Object.create(null), { message: "bare", status: 503 })],
  ["a Proxy throwing on every trap", () => throwingProxy()],
  ["a callable Proxy throwing on every trap", () => throwingProxy(function target() {})],
  ["a revoked Proxy", () => revokedProxy()],
  [
    "an Error whose getters throw",
    () =>
      throwingGetters(
        ["message", "_tag", "cause", "code", "status", "statusCode", "response", "headers", "reason", "name"],
        new Error("x")
      )
  ],
  [
    "an object whose toString, valueOf and Symbol.toPrimitive throw",
    () => ({
      toString: boom("toString"),
      valueOf: boom("valueOf"),
      [Symbol.toPrimitive]: boom("toPrimitive"),
      toJSON: boom("toJSON")
    })
  ],
  [
    "an Error whose message is an object with a throwing toString",
    () => Object.assign(new Error("m"), { message: { toString: boom("message.toString") } })
  ],
  ["a 429 whose headers are a throwing Proxy", () => ({ status: 429, headers: throwingProxy() })],
  ["a 503 whose response is a throwing Proxy", () => ({ status: 503, response: throwingProxy() })],
  ["a 429 with 10,000 header keys", () => ({ status: 429, headers: manyHeaders(10_000) })],
  [
    "a fake RetryError whose category getter throws",
    () =>
      throwingGetters(["category", "retryAfter"], {
        [Symbol.for("@intelligent-retry/core/RetryError")]: Symbol.for("@intelligent-retry/core/RetryError")
      })
  ],
  ["a cyclic cause pair", () => cyclicCauses().pair],
  ["a self-causing error", () => cyclicCauses().self],
  ["10,000 nested causes", () => nestedCauses(10_000)],
  ["a string with lone surrogates", () => "\uD800\uDFFF\uD800 x \uDC00"],
  ["a 10 MB message", () => new Error(flatString(TEN_MB, "msg"))],
  ["a 10 MB string error", () => flatString(TEN_MB, "str")],
  ["a 10 MB _tag", () => ({ _tag: flatString(TEN_MB, "tag"), message: "big tag" })],
  ["a 10 MB rope message", () => new Error("prefix " + flatString(TEN_MB, "rope"))]
]
