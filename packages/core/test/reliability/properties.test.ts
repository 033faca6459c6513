/**
 * Properties of the real policies, 10,000 runs each. Every run drives the real combinator (or the
 * real compiled `Schedule`) under a synchronous virtual clock, so a run costs microseconds; one
 * property checks that this clock gives exactly the times `TestClock` gives.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type ErrorCategory,
  type IntelligentRetry,
  RetryBudget,
  RetryPolicy,
  RetryStats,
  Strategies,
  withIntelligentRetry
} from "@intelligent-retry/core"
import {
  Cause,
  Clock,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  Logger,
  Option,
  Random,
  TestClock,
  TestContext
} from "effect"
import * as fc from "fast-check"
import { ms, n, section, time } from "../../../../test/reliability/report.js"
import { VirtualClock } from "../../../../test/reliability/virtualClock.js"
import * as arb from "../arbitraries.js"

const RUNS = Math.max(10_000, Number(process.env.RELIABILITY_PROPERTY_RUNS ?? 10_000))
/** Fixed, so that the report's counts are the same on every run; set RELIABILITY_SEED to explore. */
const SEED = Number(process.env.RELIABILITY_SEED ?? 20_240_917)

const report = section({ id: "01-properties", order: 1, title: "Properties of the policies" })

/** Milliseconds per run of the first property, to compare the virtual clock with TestClock. */
let virtualPerRun = 0

// -----------------------------------------------------------------------------
// arbitraries: errors with the category and hint they must be read as
// -----------------------------------------------------------------------------

interface Scripted {
  readonly value: unknown
  readonly category: ErrorCategory
  /** Milliseconds the server asked for, if any. */
  readonly hint: number | undefined
  readonly kind: string
}

const own = arb.error.map((value): Scripted => ({
  value,
  category: value.category,
  hint: value._tag === "RateLimitError" && value.retryAfter !== undefined
    ? Duration.toMillis(value.retryAfter)
    : undefined,
  kind: value._tag
}))

const statuses: ReadonlyArray<readonly [number, ErrorCategory]> = [
  [400, "data_error"],
  [404, "permanent_error"],
  [408, "network_error"],
  [500, "temporary_error"],
  [507, "system_error"]
]

const foreign: fc.Arbitrary<Scripted> = fc.oneof(
  // a 429 or 503 response carrying Retry-After in delta-seconds
  fc.tuple(fc.constantFrom(429, 503), fc.integer({ min: 0, max: 40 })).map(([status, seconds]): Scripted => ({
    value: { status, headers: { "retry-after": String(seconds) } },
    category: status === 429 ? "api_rate_limit" : "temporary_error",
    hint: seconds * 1000,
    kind: `HTTP ${status} with Retry-After`
  })),
  fc.constantFrom(...statuses).map(([status, category]): Scripted => ({
    value: { status },
    category,
    hint: undefined,
    kind: `HTTP ${status}`
  })),
  fc.constantFrom(
    { value: { code: "ECONNRESET" }, category: "network_error" as const, kind: "code ECONNRESET" },
    { value: { code: "ENOMEM" }, category: "system_error" as const, kind: "code ENOMEM" },
    { value: null, category: "temporary_error" as const, kind: "null" },
    { value: "boom", category: "temporary_error" as const, kind: "a string" },
    { value: 42, category: "temporary_error" as const, kind: "a number" }
  ).map((e): Scripted => ({ ...e, hint: undefined }))
)

const scriptedError: fc.Arbitrary<Scripted> = fc.oneof({ arbitrary: own, weight: 3 }, { arbitrary: foreign, weight: 2 })

/** Policies that retry: 1–6 retries and non-zero delays, so that most runs wait. */
const retrying: fc.Arbitrary<RetryPolicy.RetryPolicyInput> = fc.record({
  decision: fc.constantFrom<RetryPolicy.RetryPolicyInput["decision"]>(
    "retry_immediately",
    "retry_with_delay",
    "retry_with_backoff"
  ),
  maxRetries: fc.integer({ min: 1, max: 6 }),
  baseDelay: fc.integer({ min: 1, max: 10_000 }),
  maxDelay: fc.integer({ min: 1, max: 60_000 }),
  backoffFactor: fc.oneof(fc.constant(1), fc.double({ min: 1, max: 4, noNaN: true })),
  jitter: fc.constantFrom<RetryPolicy.RetryPolicyInput["jitter"]>(false, true, "full", "equal", "decorrelated")
})

/**
 * The shared edge-heavy arbitrary (0 retries, factor 1, factor 1e300, base > max, maxDelay 0),
 * the same with an unbounded `maxDelay` or sub-millisecond delays, and policies that retry.
 */
const policy: fc.Arbitrary<RetryPolicy.RetryPolicyInput> = fc.oneof(
  { arbitrary: arb.policy, weight: 3 },
  { arbitrary: arb.policy.map(({ maxDelay: _, ...rest }) => rest), weight: 1 },
  {
    arbitrary: arb.policy.chain((p) =>
      fc.double({ min: 0, max: 5, noNaN: true }).map((baseDelay) => ({ ...p, baseDelay }))
    ),
    weight: 1
  },
  { arbitrary: retrying, weight: 5 }
)

const table = fc.record({
  network_error: policy,
  api_rate_limit: policy,
  data_error: policy,
  system_error: policy,
  temporary_error: policy,
  permanent_error: policy
})

const caps = fc.record({
  maxAttempts: fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
  maxElapsed: fc.option(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 120_000 })), { nil: undefined })
})

// -----------------------------------------------------------------------------
// running the combinator under the virtual clock, with a spy store
// -----------------------------------------------------------------------------

interface Recorded {
  failures: number
  retries: number
  outcomes: Array<string>
}

/** A statistics store that counts what one run records, then forwards it to the real store. */
const spy = (store: RetryStats.RetryStatsService, recorded: Recorded): RetryStats.RetryStatsService => ({
  ...store,
  unsafeRecordFailure: (task, category, error, attempt, now) => {
    recorded.failures++
    store.unsafeRecordFailure(task, category, error, attempt, now)
  },
  unsafeRecordRetry: (task, category, wait, now) => {
    recorded.retries++
    store.unsafeRecordRetry(task, category, wait, now)
  },
  unsafeRecordOutcome: (task, outcome, category, retries, now) => {
    recorded.outcomes.push(outcome)
    store.unsafeRecordOutcome(task, outcome, category, retries, now)
  }
})

interface Observed {
  readonly times: ReadonlyArray<number>
  readonly infos: ReadonlyArray<IntelligentRetry.RetryInfo<unknown>>
  readonly sleeps: ReadonlyArray<number>
  readonly failureOutcome: string | undefined
  readonly exit: Exit.Exit<string, unknown>
  readonly recorded: Recorded
  /** The run began an infinite wait (unbounded maxDelay, astronomic backoff) and never woke. */
  readonly hung: boolean
}

/** An effect failing with `errors[i]` on attempt i, then succeeding; attempt times from `Clock`. */
const script = (errors: ReadonlyArray<Scripted>, times: Array<number>) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    times.push(now)
    const i = times.length - 1
    return i < errors.length ? Effect.failCause(Cause.fail(errors[i].value)) : Effect.succeed("ok")
  })

const runOnce = (
  strategies: arb.Table,
  errors: ReadonlyArray<Scripted>,
  seed: number,
  options: { readonly maxAttempts?: number | undefined; readonly maxElapsed?: number | undefined },
  store: RetryStats.RetryStatsService,
  start = 0
): Observed => {
  const clock = new VirtualClock(start)
  const times: Array<number> = []
  const infos: Array<IntelligentRetry.RetryInfo<unknown>> = []
  const recorded: Recorded = { failures: 0, retries: 0, outcomes: [] }
  let failureOutcome: string | undefined
  const exit = Effect.runSyncExit(
    script(errors, times).pipe(
      withIntelligentRetry({
        task: "property",
        strategies,
        ...options,
        onRetry: (info) => Effect.sync(() => infos.push(info)),
        onFailure: (info) => Effect.sync(() => (failureOutcome = info.outcome))
      }),
      Effect.provideService(RetryStats.RetryStats, spy(store, recorded)),
      // a fresh default budget per run: an isolated run is exactly as its policy says
      Effect.provideServiceEffect(RetryBudget.RetryBudget, RetryBudget.make()),
      // 10,000 runs would print a line per retry; the log itself is tested in IntelligentRetry.test.ts
      Effect.provide(Logger.remove(Logger.defaultLogger)),
      Effect.withRandom(Random.make(seed)),
      Effect.withClock(clock)
    )
  )
  return { times, infos, sleeps: clock.sleeps, failureOutcome, exit, recorded, hung: clock.hung }
}

const fullTable = (strategies: arb.Table): Strategies.StrategyTable =>
  Either.getOrThrow(Strategies.merge(Strategies.defaults, strategies))

const categoryOrder: ReadonlyArray<ErrorCategory> = [
  "network_error",
  "api_rate_limit",
  "data_error",
  "system_error",
  "temporary_error",
  "permanent_error"
]

/** The default wait ceiling: 24 hours (`RetryConfig.Settings.maxWait`). */
const CEILING = 86_400_000

/**
 * The policy as a run reads it (`RetryPolicy`'s docs, "The wait ceiling"): `maxDelay` lowered to the
 * ceiling and to whole milliseconds, `baseDelay` to `maxDelay` (which changes no wait).
 */
const bound = (p: RetryPolicy.RetryPolicy): RetryPolicy.RetryPolicy => {
  const max = Math.floor(Math.min(Duration.toMillis(p.maxDelay), CEILING))
  return {
    ...p,
    maxDelay: Duration.millis(max),
    baseDelay: Duration.millis(Math.min(Duration.toMillis(p.baseDelay), max))
  }
}

/** The wait before retry n, before jitter and hints, from the table in `RetryDecision`'s docs. */
const nominal = (p: RetryPolicy.RetryPolicy, k: number): number => {
  const exponent = p.decision === "retry_immediately" ? k - 1 : k
  const base = Duration.toMillis(p.baseDelay)
  if (exponent < 0 || base === 0) return 0
  return Math.min(Duration.toMillis(p.maxDelay), Math.round(base * Math.pow(p.backoffFactor, exponent)))
}

/** The range a drawn wait may take, by jitter kind. */
const drawRange = (p: RetryPolicy.RetryPolicy, k: number): readonly [number, number] => {
  const nom = nominal(p, k)
  const max = Duration.toMillis(p.maxDelay)
  switch (p.jitter) {
    case false:
      return [nom, nom]
    case true:
    case "full":
      return [0, nom]
    case "equal":
      return [Math.floor(nom / 2), nom]
    case "decorrelated":
      return p.decision === "retry_immediately" && k === 0
        ? [0, 0]
        : [Math.floor(Math.min(max, Duration.toMillis(p.baseDelay))), max]
  }
}

/**
 * The longest wait a hint above the drawn wait may give: the hint itself without jitter; with
 * jitter, spread above it by up to min(10% of the hint, 1 s), within maxDelay.
 */
const aboveHintMax = (p: RetryPolicy.RetryPolicy, hint: number): number =>
  p.jitter === false ? hint : Math.min(Duration.toMillis(p.maxDelay), hint + Math.floor(Math.min(hint / 10, 1000)))

/**
 * Checks one observed run against the documented decision order: no_retry, the category's
 * maxRetries, maxAttempts, a hint above maxDelay, then the wait (jitter range, raised to the
 * hint) against maxElapsed. Returns the outcome it derived.
 */
const check = (
  t: Strategies.StrategyTable,
  errors: ReadonlyArray<Scripted>,
  options: { readonly maxAttempts?: number | undefined; readonly maxElapsed?: number | undefined },
  o: Observed,
  tally: Tally
): string => {
  const retries = new Map<ErrorCategory, number>(categoryOrder.map((c) => [c, 0]))
  const start = o.times[0]
  for (let i = 0;; i++) {
    if (i >= errors.length) {
      expect(o.exit).toEqual(Exit.succeed("ok"))
      expect(o.times.length).toBe(errors.length + 1)
      expect(o.recorded.failures).toBe(errors.length)
      expect(o.recorded.outcomes).toEqual([errors.length === 0 ? "succeeded_first_try" : "recovered"])
      return errors.length === 0 ? "succeeded_first_try" : "recovered"
    }
    const e = errors[i]
    const p = bound(t[e.category])
    const k = retries.get(e.category)!
    const attempts = i + 1
    const maxDelay = Duration.toMillis(p.maxDelay)
    let stop: string | undefined
    if (p.decision === "no_retry" || p.maxRetries === 0) stop = "not_retryable"
    else if (k >= p.maxRetries) stop = "exhausted"
    // the category's schedule speaks first (its hint check), then the run-wide cap
    else if (e.hint !== undefined && e.hint > maxDelay) stop = "hint_exceeds_max_delay"
    else if (options.maxAttempts !== undefined && attempts >= options.maxAttempts) stop = "stopped_by_cap"
    const info = o.infos[i]
    if (stop === undefined) {
      const [low, high] = drawRange(p, k)
      const lo = e.hint === undefined ? low : Math.max(low, e.hint)
      const hi = e.hint === undefined ? high : Math.max(high, aboveHintMax(p, e.hint))
      const elapsed = o.times[i] - start
      if (info === undefined) {
        // the only other way to stop here: the wait would end past maxElapsed
        stop = "stopped_by_cap"
        expect(options.maxElapsed).toBeDefined()
        expect(elapsed + hi).toBeGreaterThan(options.maxElapsed!)
        tally.elapsedStops++
      } else {
        const wait = Duration.toMillis(info.wait)
        expect(info.category).toBe(e.category)
        expect(info.categoryAttempt).toBe(k + 1)
        expect(info.attempt).toBe(attempts)
        expect(wait).toBeGreaterThanOrEqual(lo)
        expect(wait).toBeLessThanOrEqual(hi)
        // every wait a whole number within [0, min(maxDelay, ceiling)]: a hint above it was refused
        // above; an unbounded maxDelay with an overflowing factor waits the ceiling, not forever
        expect(Number.isInteger(wait)).toBe(true)
        expect(wait).toBeGreaterThanOrEqual(0)
        expect(wait).toBeLessThanOrEqual(maxDelay)
        expect(wait).toBeLessThanOrEqual(CEILING)
        expect(o.hung).toBe(false)
        if (options.maxElapsed !== undefined) expect(elapsed + wait).toBeLessThanOrEqual(options.maxElapsed)
        if (wait === CEILING) tally.ceilingWaits++
        // past 2^53 ms virtual time is no longer exact in floating point (nor under TestClock)
        if (Number.isSafeInteger(o.times[i + 1])) expect(o.times[i + 1] - o.times[i]).toBe(wait)
        if (p.jitter === false) tally.exactWaits++
        else tally.jitteredWaits++
        if (e.hint !== undefined) tally.hintedWaits++
        retries.set(e.category, k + 1)
        continue
      }
    }
    expect(info).toBeUndefined()
    expect(o.failureOutcome).toBe(stop)
    expect(o.recorded.outcomes).toEqual([stop])
    expect(o.times.length).toBe(attempts)
    expect(o.recorded.failures).toBe(attempts)
    expect(o.recorded.retries).toBe(o.infos.length)
    expect(Exit.isFailure(o.exit) && Option.getOrUndefined(Cause.failureOption(o.exit.cause))).toBe(e.value)
    if (stop === "not_retryable") tally.noRetryOnce += p.decision === "no_retry" ? 1 : 0
    return stop
  }
}

interface Tally {
  runs: number
  attempts: number
  exactWaits: number
  jitteredWaits: number
  hintedWaits: number
  elapsedStops: number
  ceilingWaits: number
  noRetryOnce: number
  outcomes: Record<string, number>
  edges: Record<string, number>
}

const newTally = (): Tally => ({
  runs: 0,
  attempts: 0,
  exactWaits: 0,
  jitteredWaits: 0,
  hintedWaits: 0,
  elapsedStops: 0,
  ceilingWaits: 0,
  noRetryOnce: 0,
  outcomes: {},
  edges: {
    "maxRetries 0": 0,
    "factor 1": 0,
    "factor 1e300": 0,
    "base > max": 0,
    "maxDelay 0": 0,
    "maxDelay unbounded": 0
  }
})

const countEdges = (tally: Tally, t: Strategies.StrategyTable, errors: ReadonlyArray<Scripted>) => {
  // count a run for an edge when a policy with it was actually consulted
  const used = new Set(errors.map((e) => e.category))
  const seen = new Set<string>()
  for (const c of used) {
    const p = t[c]
    const base = Duration.toMillis(p.baseDelay)
    const max = Duration.toMillis(p.maxDelay)
    if (p.maxRetries === 0) seen.add("maxRetries 0")
    if (p.backoffFactor === 1) seen.add("factor 1")
    if (p.backoffFactor >= 1e300) seen.add("factor 1e300")
    if (base > max) seen.add("base > max")
    if (max === 0) seen.add("maxDelay 0")
    if (max === Infinity) seen.add("maxDelay unbounded")
  }
  for (const edge of seen) tally.edges[edge]++
}

const summary = (tally: Tally): string =>
  `${n(tally.runs)} runs, ${n(tally.attempts)} attempts; waits checked: ${n(tally.exactWaits)} exact, ${
    n(tally.jitteredWaits)
  } jittered (in range), ${n(tally.hintedWaits)} raised to a hint, ${
    n(tally.ceilingWaits)
  } at the 24-hour ceiling (unbounded maxDelay with factor 1e300), none infinite; outcomes: ${
    Object.entries(tally.outcomes).sort().map(([k, v]) => `${k} ${n(v)}`).join(", ")
  }; runs using each edge policy: ${Object.entries(tally.edges).map(([k, v]) => `${k} ${n(v)}`).join(", ")}`

const INPUTS = "random 6-category tables (edge values: 0 retries, factor 1, factor 1e300, base > max, maxDelay 0 or " +
  "unbounded, sub-ms delays; all four decisions; every jitter) × 0–15 errors (the six classes, RateLimitError " +
  "hints 0–30 s, 429/503 with Retry-After 0–40 s, statuses 400–507, codes, null, strings, numbers) × random seeds"

describe("properties of withIntelligentRetry, 10,000 runs each", () => {
  it("per category: retries ≤ maxRetries, no_retry attempted once, waits in [0, maxDelay] (hints above it refused), and each outcome is the documented one", () => {
    // infinite retention: a run that waited 24 hours must not sweep the other runs away
    const store = Effect.runSync(RetryStats.make({ metrics: false, sampleSize: 0, retention: Duration.infinity }))
    const tally = newTally()
    const [, elapsed] = time(() =>
      fc.assert(
        fc.property(table, fc.array(scriptedError, { maxLength: 15 }), fc.integer(), (strategies, errors, seed) => {
          const t = fullTable(strategies)
          const o = runOnce(strategies, errors, seed, {}, store)
          const outcome = check(t, errors, {}, o, tally)
          for (const c of categoryOrder) {
            const mine = o.infos.filter((info) => info.category === c).length
            expect(mine).toBeLessThanOrEqual(t[c].decision === "no_retry" ? 0 : t[c].maxRetries)
          }
          tally.runs++
          tally.attempts += o.times.length
          tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + 1
          countEdges(tally, t, errors)
        }),
        { numRuns: RUNS, seed: SEED }
      )
    )
    // the store saw exactly what the runs did: every run ended with one outcome
    const statistics = Effect.runSync(store.getErrorStatistics)
    expect(statistics.totalRuns).toBe(tally.runs)
    expect(statistics.totalErrors).toBe(
      tally.attempts - (tally.outcomes.recovered ?? 0) -
        (tally.outcomes.succeeded_first_try ?? 0)
    )
    expect(statistics.totalRetries).toBe(tally.exactWaits + tally.jitteredWaits)
    expect(tally.runs).toBeGreaterThanOrEqual(10_000)
    virtualPerRun = elapsed / RUNS
    report.add({
      tried: "withIntelligentRetry against the documented decision order (model check per failure)",
      inputs: INPUTS,
      faults: "every category, server hints below and above maxDelay",
      load: `${n(RUNS)} runs, one shared RetryStats store`,
      measured: `${summary(tally)}; store totals equal the sum of the runs (runs ${n(statistics.totalRuns)}, ` +
        `failed attempts ${n(statistics.totalErrors)}, retries ${n(statistics.totalRetries)}); ` +
        `no_retry failures attempted once: ${n(tally.noRetryOnce)}`,
      timing: ms(elapsed)
    })
  })

  it("run-wide caps: total attempts ≤ maxAttempts, and no run waits past maxElapsed", () => {
    const store = Effect.runSync(RetryStats.make({ metrics: false, sampleSize: 0 }))
    const tally = newTally()
    let longest = 0
    let capped = 0
    const [, elapsed] = time(() =>
      fc.assert(
        fc.property(
          table,
          fc.array(scriptedError, { maxLength: 15 }),
          fc.integer(),
          caps,
          (strategies, errors, seed, options) => {
            const t = fullTable(strategies)
            const o = runOnce(strategies, errors, seed, options, store)
            const outcome = check(t, errors, options, o, tally)
            const waited = o.sleeps.reduce((a, b) => a + b, 0)
            if (options.maxAttempts !== undefined) expect(o.times.length).toBeLessThanOrEqual(options.maxAttempts)
            if (options.maxElapsed !== undefined) {
              expect(waited).toBeLessThanOrEqual(options.maxElapsed)
              expect(o.times[o.times.length - 1] - o.times[0]).toBeLessThanOrEqual(options.maxElapsed)
              if (options.maxElapsed > 0) longest = Math.max(longest, waited / options.maxElapsed)
            }
            if (outcome === "stopped_by_cap") capped++
            tally.runs++
            tally.attempts += o.times.length
            tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + 1
          }
        ),
        { numRuns: RUNS, seed: SEED + 1 }
      )
    )
    report.add({
      tried: "maxAttempts and maxElapsed caps of withIntelligentRetry",
      inputs: "the same generators; maxAttempts 1–8 or none, maxElapsed 0–120 s or none",
      faults: "long error sequences that would outlast the caps",
      load: `${n(RUNS)} runs`,
      measured: `${n(tally.runs)} runs; stopped by a cap: ${n(capped)} (of which by maxElapsed before a wait: ${
        n(tally.elapsedStops)
      }); attempts never above maxAttempts; total wait never above maxElapsed (largest share used: ${
        (longest * 100).toFixed(1)
      }%)`,
      timing: ms(elapsed)
    })
  })

  it("the same seed gives the same waits, whatever the start time", () => {
    const store = Effect.runSync(RetryStats.make({ metrics: false, sampleSize: 0 }))
    let compared = 0
    let jittered = 0
    const [, elapsed] = time(() =>
      fc.assert(
        fc.property(
          table,
          fc.array(scriptedError, { maxLength: 15 }),
          fc.integer(),
          caps,
          fc.integer({ min: 0, max: 4_000_000_000_000 }),
          (strategies, errors, seed, options, start) => {
            const a = runOnce(strategies, errors, seed, options, store)
            const b = runOnce(strategies, errors, seed, options, store, start)
            expect(b.sleeps).toEqual(a.sleeps)
            expect(b.times.map((x) => x - start)).toEqual(a.times)
            expect(b.failureOutcome).toBe(a.failureOutcome)
            compared += a.times.length - 1
            if (Object.values(fullTable(strategies)).some((p) => p.jitter !== false)) jittered++
          }
        ),
        { numRuns: RUNS, seed: SEED + 2 }
      )
    )
    report.add({
      tried: "determinism: the same Random seed twice, the second run at a random epoch",
      inputs: "the same generators, with the caps; start times 0 – 4·10¹² ms",
      faults: "—",
      load: `${n(RUNS)} pairs of runs`,
      measured: `${n(compared)} waits compared, all equal; ${n(jittered)} pairs had a jittered policy`,
      timing: ms(elapsed)
    })
  })
})

describe("properties of the compiled schedules, 10,000 runs each", () => {
  it("Strategies.toSchedule through plain Effect.retry waits exactly as withIntelligentRetry does", () => {
    const store = Effect.runSync(RetryStats.make({ metrics: false, sampleSize: 0 }))
    let waits = 0
    const [, elapsed] = time(() =>
      fc.assert(
        fc.property(
          table,
          fc.array(scriptedError, { maxLength: 15 }),
          fc.integer(),
          caps,
          (strategies, errors, seed, options) => {
            const t = fullTable(strategies)
            const combinator = runOnce(strategies, errors, seed, options, store)
            const clock = new VirtualClock()
            const times: Array<number> = []
            const exit = Effect.runSyncExit(
              script(errors, times).pipe(
                Effect.retry(Strategies.toSchedule(t, options)),
                Effect.provideServiceEffect(RetryBudget.RetryBudget, RetryBudget.make()),
                Effect.withRandom(Random.make(seed)),
                Effect.withClock(clock)
              )
            )
            expect(times).toEqual(combinator.times)
            expect(clock.sleeps.filter((x) => x > 0)).toEqual(combinator.sleeps)
            expect(Exit.isSuccess(exit)).toBe(Exit.isSuccess(combinator.exit))
            waits += times.length - 1
          }
        ),
        { numRuns: RUNS, seed: SEED + 3 }
      )
    )
    report.add({
      tried: "Strategies.toSchedule (plain Effect.retry) against withIntelligentRetry, same seed",
      inputs: "the same generators, with the caps",
      faults: "—",
      load: `${n(RUNS)} pairs of runs`,
      measured: `${n(waits)} waits, every attempt time equal to the millisecond`,
      timing: ms(elapsed)
    })
  })

  it("RetryPolicy.toSchedule: at most maxRetries retries, each wait in [0, maxDelay], a hint above maxDelay ends it", () => {
    let retried = 0
    let refused = 0
    const [, elapsed] = time(() =>
      fc.assert(
        fc.property(policy, fc.array(scriptedError, { maxLength: 15 }), fc.integer(), (input, errors, seed) => {
          // the model reads the policy as a run does, bounded by the 24-hour ceiling
          const made = RetryPolicy.make(input)
          const p = bound(made)
          const clock = new VirtualClock()
          const times: Array<number> = []
          const exit = Effect.runSyncExit(
            script(errors, times).pipe(
              Effect.retry(RetryPolicy.toSchedule(made)),
              Effect.withRandom(Random.make(seed)),
              Effect.withClock(clock)
            )
          )
          const max = Duration.toMillis(p.maxDelay)
          const retries = times.length - 1
          expect(retries).toBeLessThanOrEqual(p.decision === "no_retry" ? 0 : p.maxRetries)
          expect(clock.hung).toBe(false)
          for (let i = 0; i < retries; i++) {
            if (!Number.isSafeInteger(times[i + 1])) break
            const wait = times[i + 1] - times[i]
            const [low, high] = drawRange(p, i)
            const hint = errors[i].hint
            expect(wait).toBeGreaterThanOrEqual(0)
            expect(wait).toBeLessThanOrEqual(max)
            expect(wait).toBeGreaterThanOrEqual(hint === undefined ? low : Math.max(low, hint))
            expect(wait).toBeLessThanOrEqual(hint === undefined ? high : Math.max(high, aboveHintMax(p, hint)))
          }
          if (Exit.isFailure(exit)) {
            const last = errors[times.length - 1]
            if (last.hint !== undefined && last.hint > max && retries < p.maxRetries && p.decision !== "no_retry") {
              refused++
            }
          }
          retried += retries
        }),
        { numRuns: RUNS, seed: SEED + 4 }
      )
    )
    report.add({
      tried: "RetryPolicy.toSchedule (one policy for every error) through plain Effect.retry",
      inputs: "random single policies with the same edge values × 0–15 errors × random seeds",
      faults: "hints below and above maxDelay",
      load: `${n(RUNS)} runs`,
      measured: `${n(retried)} retries, none past maxRetries, every wait in [0, maxDelay] and in its jitter range; ${
        n(refused)
      } runs ended by a hint above maxDelay`,
      timing: ms(elapsed)
    })
  })

  it("the virtual clock of these properties gives exactly TestClock's times (harness check, 300 runs)", async () => {
    const store = Effect.runSync(RetryStats.make({ metrics: false, sampleSize: 0 }))
    const [, elapsed] = await (async () => {
      const start = performance.now()
      await fc.assert(
        fc.asyncProperty(
          table,
          fc.array(scriptedError, { maxLength: 10 }),
          fc.integer(),
          caps,
          async (strategies, errors, seed, options) => {
            const virtual = runOnce(strategies, errors, seed, options, store)
            const times: Array<number> = []
            await Effect.gen(function*() {
              const fiber = yield* Effect.fork(
                script(errors, times).pipe(
                  withIntelligentRetry({ strategies, ...options }),
                  Effect.provideService(RetryStats.RetryStats, store),
                  Effect.provideServiceEffect(RetryBudget.RetryBudget, RetryBudget.make()),
                  Effect.withRandom(Random.make(seed))
                )
              )
              yield* TestClock.adjust(Duration.infinity)
              yield* Fiber.await(fiber)
            }).pipe(Effect.provide(TestContext.TestContext), Effect.runPromise)
            expect(times).toEqual(virtual.times)
          }
        ),
        { numRuns: 300, seed: SEED + 5 }
      )
      return [undefined, performance.now() - start] as const
    })()
    report.add({
      tried: "harness: VirtualClock (synchronous sleeps) against TestClock",
      inputs: "300 random tables × error sequences × caps",
      faults: "—",
      load: "300 pairs of runs",
      measured: "every attempt time equal",
      timing: `${ms(elapsed)}: ${ms(elapsed / 300)} per run under TestClock (fork, adjust, await), ${
        ms(virtualPerRun)
      } per run under the virtual clock`
    })
  })
})
