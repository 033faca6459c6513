/**
 * Bad configuration: every invalid policy field, option and configuration variable gives an
 * error naming the field and the value; the policy decoders, fuzzed with arbitrary values,
 * never throw.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  Classifier,
  type InvalidPolicyError,
  RetryBudget,
  RetryConfig,
  RetryMonitor,
  RetryPolicy,
  RetryStats,
  Strategies,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Cause, ConfigProvider, Effect, Either, Exit, Layer, Option } from "effect"
import * as fc from "fast-check"
import { hostileValues } from "../../../../test/reliability/hostile.js"
import { ms, n, section, time } from "../../../../test/reliability/report.js"

const report = section({ id: "06-configuration", order: 6, title: "Bad configuration" })

/** The error a thunk reports, however it reports it: a thrown error, a Left, a failed or dead Exit. */
const errorOf = (thunk: () => unknown): unknown => {
  let result: unknown
  try {
    result = thunk()
  } catch (e) {
    return e
  }
  if (Either.isEither(result)) return Either.isLeft(result) ? result.left : undefined
  if (Exit.isExit(result)) {
    if (Exit.isSuccess(result)) return undefined
    return Option.getOrUndefined(Cause.failureOption(result.cause)) ??
      Option.getOrUndefined(Cause.dieOption(result.cause))
  }
  if (Effect.isEffect(result)) return errorOf(() => Effect.runSyncExit(result as Effect.Effect<unknown, unknown>))
  if (Layer.isLayer(result)) {
    return errorOf(() =>
      Effect.runSyncExit(Effect.provide(Effect.void, result as unknown as Layer.Layer<never, unknown>))
    )
  }
  return undefined
}

interface Case {
  /** The surface: which function or layer. */
  readonly where: string
  /** The field the error must name, exactly as the user wrote it. */
  readonly field: string
  readonly value: unknown
  /** How the value must be shown in the message. */
  readonly shown: string
  readonly error: () => unknown
}

const shownOf = (u: unknown): string => RetryPolicy.describe(u)

// -----------------------------------------------------------------------------
// the table
// -----------------------------------------------------------------------------

const badPolicyFields: ReadonlyArray<readonly [string, unknown]> = [
  ["decision", "retry_sometimes"],
  ["decision", 1],
  ["decision", null],
  ["maxRetries", -1],
  ["maxRetries", 1.5],
  ["maxRetries", Number.NaN],
  ["maxRetries", Infinity],
  ["maxRetries", "3"],
  ["maxRetries", 10n],
  ["baseDelay", -1],
  ["baseDelay", Number.NaN],
  ["baseDelay", "soon"],
  ["baseDelay", "-5 seconds"],
  ["baseDelay", -1n],
  ["baseDelay", [1]],
  ["baseDelay", true],
  ["baseDelay", {}],
  ["maxDelay", -0.5],
  ["maxDelay", "5 fortnights"],
  ["maxDelay", null],
  ["backoffFactor", 0.5],
  ["backoffFactor", 0],
  ["backoffFactor", -2],
  ["backoffFactor", Number.NaN],
  ["backoffFactor", Infinity],
  ["backoffFactor", "2"],
  ["jitter", "partial"],
  ["jitter", 1],
  ["jitter", null],
  ["maxRetry", 3]
]

const policyCases: ReadonlyArray<Case> = badPolicyFields.flatMap(([field, value]): ReadonlyArray<Case> => {
  const input = { decision: "retry_with_backoff", ...{ [field]: value } }
  return [
    {
      where: "RetryPolicy.decodeUnknown",
      field: `policy.${field}`,
      value,
      shown: shownOf(value),
      error: () => RetryPolicy.decodeUnknown(input)
    },
    {
      where: "Strategies.decodeTable",
      field: `strategies.temporary_error.${field}`,
      value,
      shown: shownOf(value),
      error: () => Strategies.decodeTable({ temporary_error: input } as any)
    },
    {
      where: "withIntelligentRetry({ strategies })",
      field: `strategies.temporary_error.${field}`,
      value,
      shown: shownOf(value),
      error: () =>
        Effect.runSyncExit(withIntelligentRetry(Effect.void, { strategies: { temporary_error: input } } as any))
    },
    {
      where: "Strategies.layer",
      field: `strategies.temporary_error.${field}`,
      value,
      shown: shownOf(value),
      error: () =>
        Layer.isLayer(Layer.empty) &&
        Effect.runSyncExit(
          Effect.provide(Effect.void, Strategies.layer({ temporary_error: input } as any))
        )
    }
  ]
})

const optionCases: ReadonlyArray<Case> = (
  [
    ["task", 42],
    ["task", null],
    ["budgetKey", {}],
    ["maxAttempts", 0],
    ["maxAttempts", 1.5],
    ["maxAttempts", "3"],
    ["maxAttempts", Number.NaN],
    ["maxElapsed", -1],
    ["maxElapsed", "whenever"],
    ["classify", "network_error"],
    ["onRetry", 1],
    ["onFailure", {}],
    ["retryable", true],
    ["byTag", null],
    ["byTag.Boom", "nope"],
    ["strategies", "tracking"],
    ["strategies.networkerror", {}],
    ["options.retries", 3]
  ] as const
).map(([field, value]): Case => {
  // for a misspelt key, the value to show is the key itself
  const shown = field === "strategies.networkerror"
    ? `"networkerror"`
    : field === "options.retries"
    ? "retries"
    : shownOf(value)
  const options = field === "byTag.Boom"
    ? { byTag: { Boom: value } }
    : field === "strategies.networkerror"
    ? { strategies: { networkerror: value } }
    : field === "options.retries"
    ? { retries: value }
    : { [field]: value }
  return {
    where: "withIntelligentRetry options",
    field,
    value,
    shown,
    error: () => Effect.runSyncExit(withIntelligentRetry(Effect.void, options as any))
  }
})

const withVars = (vars: Record<string, string>) => <A, E>(self: Effect.Effect<A, E>) =>
  Effect.withConfigProvider(self, ConfigProvider.fromMap(new Map(Object.entries(vars))))

const variableCases: ReadonlyArray<Case> = (
  [
    ["INTELLIGENT_RETRY_ENABLED", "maybe"],
    ["INTELLIGENT_RETRY_ENABLED", ""],
    ["RETRY_DEFAULT_MAX_RETRIES", "three"],
    ["RETRY_DEFAULT_MAX_RETRIES", "-1"],
    ["RETRY_DEFAULT_MAX_RETRIES", "1.5"],
    ["RETRY_DEFAULT_MAX_RETRIES", "99999999999999999999"],
    ["RETRY_DEFAULT_BASE_DELAY", "-5"],
    ["RETRY_DEFAULT_BASE_DELAY", "NaN"],
    ["RETRY_DEFAULT_BASE_DELAY", "1e3"],
    ["RETRY_NETWORK_MAX_RETRIES", "5x"],
    ["RETRY_API_RATE_LIMIT_DELAY", "5 minutes"],
    ["RETRY_API_RATE_LIMIT_DELAY", "Infinity"],
    ["INTELLIGENT_RETRY_CONFIG.DEFAULT_STRATEGY", "fast"],
    ["INTELLIGENT_RETRY_CONFIG.ERROR_THRESHOLD", "-3"],
    ["INTELLIGENT_RETRY_CONFIG.API_RATE_LIMIT_DELAY", "soon"],
    ["INTELLIGENT_RETRY_CONFIG.MONITORING_ENABLED", "perhaps"]
  ] as const
).map(([name, value]): Case => ({
  where: "RetryConfig.layer (ConfigProvider)",
  field: name,
  value,
  shown: shownOf(value),
  error: () => Effect.runSyncExit(Effect.provide(Effect.void, RetryConfig.layer).pipe(withVars({ [name]: value })))
}))

const settingsCases: ReadonlyArray<Case> = (
  [
    ["ENABLED", "maybe"],
    ["ENABLED", null],
    ["DEFAULT_STRATEGY", "aggressive"],
    ["DEFAULT_STRATEGY", 3],
    ["NETWORK_IMMEDIATE_RETRY", 2],
    ["API_RATE_LIMIT_DELAY", -1],
    ["API_RATE_LIMIT_DELAY", Infinity],
    ["DATA_ERROR_NO_RETRY", "sometimes"],
    ["MONITORING_ENABLED", []],
    ["ERROR_THRESHOLD", 2.5],
    ["ERROR_THRESHOLD", -1],
    ["NETWORK_IMMEDIATE_RETRIES", true]
  ] as const
).map(([key, value]): Case => ({
  where: "RetryConfig.layerFromSettings",
  field: key,
  value,
  shown: shownOf(value),
  error: () =>
    Effect.runSyncExit(
      Effect.provide(Effect.void, RetryConfig.layerFromSettings({ [key]: value } as any)).pipe(withVars({}))
    )
}))

const budgetCases: ReadonlyArray<Case> = (
  [
    ["budget.maxTokens", { maxTokens: 0 }, 0, "0"],
    ["budget.maxTokens", { maxTokens: Infinity }, Infinity, "Infinity"],
    ["budget.tokenRatio", { tokenRatio: -0.1 }, -0.1, "-0.1"],
    ["budget.hintedCost", { hintedCost: Number.NaN }, Number.NaN, "NaN"],
    ["budget.maxKeys", { maxKeys: 0.5 }, 0.5, "0.5"],
    ["budget.costs.network_error", { costs: { network_error: -1 } }, -1, "-1"],
    // a key that may not be given at all: the key is what is shown
    ["budget.costs.data_error", { costs: { data_error: 1 } }, 1, "data_error"],
    ["budget.costs.netwrk_error", { costs: { netwrk_error: 1 } }, 1, `"netwrk_error"`],
    ["budget", null, null, "null"],
    ["budget", "lots", "lots", `"lots"`]
  ] as const
).map(([field, options, value, shown]): Case => ({
  where: "RetryBudget.make",
  field,
  value,
  shown,
  error: () => RetryBudget.make(options as any)
}))

/** Options of stores, monitors and reads: layers and constructors fail, reads and checks die, pure functions throw. */
const thrownCases: ReadonlyArray<Case> = [
  ...(
    [
      ["bucketWidth", { bucketWidth: 0 }, 0, "0"],
      ["bucketWidth", { bucketWidth: 1.5 }, 1.5, "1.5"],
      ["bucketWidth", { bucketWidth: "-1 minute" }, "-1 minute", `"-1 minute"`],
      ["sampleSize", { sampleSize: -1 }, -1, "-1"],
      ["sampleSize", { sampleSize: 1e9 }, 1e9, "1000000000"],
      ["maxTasks", { maxTasks: 0 }, 0, "0"],
      ["maxMetricTasks", { maxMetricTasks: 2.5 }, 2.5, "2.5"],
      ["retention", { retention: "1 second" }, "1 second", `"1 second"`],
      ["metrics", { metrics: "yes" }, "yes", `"yes"`],
      ["options", "small", "small", `"small"`]
    ] as const
  ).map(([field, options, value, shown]): Case => ({
    where: "RetryStats.make",
    field,
    value,
    shown,
    error: () => RetryStats.make(options as any)
  })),
  ...(
    [
      ["window", { window: 0 }, 0, "0"],
      ["window", { window: "forever" }, "forever", `"forever"`],
      ["errorThreshold", { errorThreshold: -1 }, -1, "-1"],
      ["errorThreshold", { errorThreshold: Number.NaN }, Number.NaN, "NaN"],
      ["categoryThresholds.dataerror", { categoryThresholds: { dataerror: 1 } }, 1, `"dataerror" is not a category`],
      ["categoryThresholds.data_error", { categoryThresholds: { data_error: -5 } }, -5, "-5"],
      ["taskName", { taskName: 7 }, 7, "7"]
    ] as const
  ).map(([field, options, value, shown]): Case => ({
    where: "RetryMonitor.check",
    field,
    value,
    shown,
    error: () => RetryMonitor.check(options as any)
  })),
  {
    where: "RetryStats.cleanupOldErrors",
    field: "olderThan",
    value: -1,
    shown: "-1",
    error: () => RetryStats.cleanupOldErrors(-1)
  },
  {
    where: "RetryStats.errorsInWindow",
    field: "window",
    value: 0,
    shown: "0",
    error: () => RetryStats.errorsInWindow(0)
  },
  {
    where: "RetryPolicy.scale",
    field: "timeScale",
    value: 0,
    shown: "0",
    error: () => RetryPolicy.scale(Strategies.noRetry, 0)
  },
  {
    where: "Strategies.toSchedule",
    field: "maxElapsed",
    value: -1,
    shown: "-1",
    error: () => Strategies.toSchedule(Strategies.defaults, { maxElapsed: -1 })
  },
  ...([["permanent", `"permanent"`], [Number.NaN, "NaN"], [10n, "10n"], [Symbol.for("x"), "Symbol(x)"]] as const).map((
    [value, shown]
  ): Case => ({
    where: "Classifier.layer",
    field: "fallback",
    value,
    shown,
    error: () => Classifier.layer({ fallback: value as any })
  }))
]

const all: ReadonlyArray<Case> = [
  ...policyCases,
  ...optionCases,
  ...variableCases,
  ...settingsCases,
  ...budgetCases,
  ...thrownCases
]

const messageOf = (e: unknown): string => e instanceof Error ? e.message : String((e as any)?.message)

describe("every invalid field names the field and the value", () => {
  it("the table: policies, options, variables, settings, budgets, stores, monitors, classifiers", () => {
    const surfaces = new Set<string>()
    const [, elapsed] = time(() => {
      for (const c of all) {
        const error = errorOf(c.error)
        const label = `${c.where} ${c.field}=${c.shown}`
        expect(error, label).toBeDefined()
        const message = messageOf(error)
        // the field, as the user wrote it: `strategies.temporary_error.maxRetries`, `RETRY_DEFAULT_BASE_DELAY`
        expect(message, label).toContain(c.field)
        expect(message, label).toContain(c.shown)
        if ((error as any)?._tag === "InvalidPolicyError") {
          expect((error as any).field, label).toBe(c.field)
          expect(Object.is((error as any).value, c.value), label).toBe(true)
        }
        surfaces.add(c.where)
      }
    })
    report.add({
      tried: "a table of invalid values for every field of every configuration surface",
      inputs: `${n(all.length)} cases over ${surfaces.size} surfaces: ${[...surfaces].join(", ")}`,
      faults: "negative, fractional, NaN, infinite, wrongly typed (string, bigint, boolean, array, object, null), " +
        "misspelt keys and category names, unknown settings",
      load: "—",
      measured: `${n(all.length)} of ${n(all.length)} errors name the field as written and show the value; every ` +
        "InvalidPolicyError carries the exact field and value",
      timing: ms(elapsed)
    })
  })

  it("regression: Classifier.layer shows a bigint, a symbol or NaN fallback as it is", () => {
    expect(messageOf(errorOf(() => Classifier.layer({ fallback: 10n as any })))).toContain("got 10n")
    expect(messageOf(errorOf(() => Classifier.layer({ fallback: Symbol.for("x") as any })))).toContain(
      "got Symbol(x)"
    )
    expect(messageOf(errorOf(() => Classifier.layer({ fallback: Number.NaN as any })))).toContain("got NaN")
    report.add({
      tried: "regression: Classifier.layer with a bigint, symbol or NaN fallback",
      inputs: "fallback 10n, Symbol.for(\"x\"), NaN",
      faults: "invalid fallback values JSON cannot print",
      load: "—",
      measured:
        "fixed (Classifier.ts): the message showed `null`/`undefined`, and a bigint threw \"Do not know how to " +
        "serialize a BigInt\" instead of naming `fallback`; now `got 10n`, `got Symbol(x)`, `got NaN`"
    })
  })

  it("regression: RetryBudget.make(null) fails with an InvalidPolicyError naming the options, instead of throwing", () => {
    const error = errorOf(() => RetryBudget.make(null as any)) as any
    expect(error?._tag).toBe("InvalidPolicyError")
    expect(error.field).toBe("budget")
    expect(error.message).toContain("got null")
    report.add({
      tried: "regression: RetryBudget.make(null)",
      inputs: "options null",
      faults: "options not an object",
      load: "—",
      measured:
        "fixed (internal/budget.ts): threw a TypeError (\"Cannot read properties of null\"); now fails with an " +
        "InvalidPolicyError, field `budget`, value null"
    })
  })
})

describe("the decoders never throw", () => {
  const anything = fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withNullPrototype: true,
    withObjectString: true,
    withSet: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true
  })
  const policyLike = fc.record(
    {
      decision: fc.oneof(
        fc.constantFrom("no_retry", "retry_immediately", "retry_with_delay", "retry_with_backoff"),
        anything
      ),
      maxRetries: anything,
      baseDelay: fc.oneof(anything, fc.constantFrom("5 seconds", "-1 second", "1e309 millis", " 3 minutes ")),
      maxDelay: anything,
      backoffFactor: anything,
      jitter: anything
    },
    { requiredKeys: [] }
  )
  const inputs = fc.oneof(fc.jsonValue(), anything, policyLike)
  const RUNS = 10_000

  it("RetryPolicy.decodeUnknown and Strategies.decodeTable on fc.jsonValue() and fc.anything(): decode or fail, never throw", () => {
    let decoded = 0
    let failed = 0
    const [, elapsed] = time(() =>
      fc.assert(
        fc.property(inputs, inputs, (a, b) => {
          const results: ReadonlyArray<Either.Either<unknown, InvalidPolicyError>> = [
            RetryPolicy.decodeUnknown(a),
            Strategies.decodeTable(a as any),
            Strategies.decodeTable({ network_error: a, temporary_error: b } as any),
            Strategies.merge(Strategies.defaults, { api_rate_limit: a } as any)
          ]
          for (const result of results) {
            expect(Either.isEither(result)).toBe(true)
            if (Either.isRight(result)) decoded++
            else {
              failed++
              expect(result.left._tag).toBe("InvalidPolicyError")
              expect(typeof result.left.field).toBe("string")
              expect(result.left.message.startsWith(`Invalid ${result.left.field}: `)).toBe(true)
            }
          }
        }),
        { numRuns: RUNS, seed: 7 }
      )
    )
    report.add({
      tried: "fuzzing the policy and table decoders",
      inputs: `${n(RUNS)} pairs from fc.jsonValue(), fc.anything() (bigints, boxed values, dates, maps, sets, ` +
        "null-prototype objects, sparse and typed arrays, unicode) and policy-shaped records with arbitrary fields",
      faults: "arbitrary values",
      load: `${n(RUNS * 4)} decodes`,
      measured: `${n(decoded)} decoded, ${n(failed)} failed with an InvalidPolicyError naming a field; none threw`,
      timing: ms(elapsed)
    })
  })

  it("regression: the decoders fail, instead of throwing, on Proxies that throw and on revoked Proxies", () => {
    const hostile = hostileValues().filter(([name]) => !name.includes("10 MB"))
    for (const [name, make] of hostile) {
      const value = make()
      for (
        const decode of [
          () => RetryPolicy.decodeUnknown(value),
          () => RetryPolicy.decodeUnknown({ decision: "no_retry", maxRetries: value }),
          () => Strategies.decodeTable(value as any),
          () => Strategies.decodeTable({ network_error: value } as any)
        ]
      ) {
        let result: unknown
        expect(() => (result = decode()), name).not.toThrow()
        expect(Either.isEither(result), name).toBe(true)
      }
    }
    report.add({
      tried: "the decoders on hostile values",
      inputs:
        `${hostile.length} hostile values (see "Hostile error values") as a policy, a field, a table and a table entry`,
      faults: "Proxies throwing on every trap, revoked Proxies, throwing getters, cycles",
      load: "—",
      measured: `${hostile.length * 4} decodes, each a Right or a Left; none threw. Fixed (internal/policy.ts, ` +
        "Strategies.ts): RetryPolicy.decodeUnknown (documented \"never throws\") and Strategies.decodeTable threw " +
        "on a throwing or revoked Proxy"
    })
  })
})
