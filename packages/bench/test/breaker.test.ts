/**
 * The circuit breaker in the simulator: the targets of the breaker issue, on the default seed.
 */
import { describe, expect, it } from "vitest"
import {
  breakerFaultMix,
  breakerRateLimit,
  runShedding,
  shedding,
  sheddingScenarios,
  withBreaker
} from "../src/sim/breaker.js"
import { breakerLoads, breakerPolicies, DEFAULT_SEED, faultMixPolicies, rateLimitPolicies } from "../src/sim/index.js"
import { outage, outageDefaults } from "../src/sim/outage.js"
import { aws, noRetry } from "../src/sim/policies.js"
import { Rng } from "../src/sim/random.js"

const BUDGET = "intelligent-retry tuned + budget"
const BREAKER = `${BUDGET} + breaker`

const rows = (scenario: keyof typeof sheddingScenarios) =>
  shedding(scenario, breakerPolicies(), breakerLoads[scenario], DEFAULT_SEED)

const find = (all: ReturnType<typeof rows>, policy: string, load: number) => {
  const found = all.find((r) => r.policy === policy && r.load === load)
  if (found === undefined) throw new Error(`no row ${policy} at ${load}`)
  return found
}

describe("the breaker in the simulator", () => {
  it("sheds at once while open, and lets one probe through after the break", () => {
    const policy = withBreaker(noRetry)
    const { counts, next } = policy.gated(new Rng(1))
    const timeout = { _tag: "TimeoutException", message: "timed out" }
    for (let i = 0; i < 5; i++) {
      const r = next()
      expect(r.admit(i)).toBe(true)
      expect(r.failure(i + 1000, timeout)).toBeUndefined()
    }
    expect(counts.opens).toBe(1)
    expect(next().admit(1004)).toBe(false)
    expect(next().admit(6003)).toBe(false)
    const probe = next()
    expect(probe.admit(6004)).toBe(true)
    expect(next().admit(6005)).toBe(false)
    probe.success(6100)
    expect(counts).toEqual({ opens: 1, halfOpens: 1, closes: 1, shed: 3 })
    expect(next().admit(6101)).toBe(true)
  })

  it("its runner reproduces (d) for policies without a breaker", () => {
    // policies that hold no library state: the library's own now draw on the process-wide default budget
    const policies = [noRetry, aws("full", { base: 100, cap: 10_000, maxRetries: 1 })]
    const d = outage(policies, [140, 280], DEFAULT_SEED)
    const mine = shedding("outage", policies, [140, 280], DEFAULT_SEED)
    expect(mine.map((r) => r.recoveryMs)).toEqual(d.map((r) => r.recoveryMs))
  })

  it("(d): recovery within 3 s at 140, 160 and 280 requests/s", () => {
    const all = rows("outage")
    for (const load of breakerLoads.outage) {
      expect(find(all, BREAKER, load).recoveryMs).toBeLessThanOrEqual(3000)
      expect(find(all, BUDGET, load).recoveryMs).toBeGreaterThan(3000)
    }
  })

  it("a 60 s hard-down: attempts that waited for the timeout ≤ 2% of the budget-only count; failed calls ≤ 100 ms", () => {
    const all = rows("hard-down")
    for (const load of breakerLoads["hard-down"]) {
      const withBreaker = find(all, BREAKER, load)
      const budgetOnly = find(all, BUDGET, load)
      expect(withBreaker.timedOut).toBeLessThanOrEqual(0.02 * budgetOnly.timedOut)
      expect(withBreaker.failedLatencyMs).toBeLessThanOrEqual(100)
      expect(budgetOnly.failedLatencyMs).toBeGreaterThanOrEqual(outageDefaults.timeout)
    }
  })

  it("a server that drops abandoned requests: recovery ≤ no retry + break + timeout", () => {
    const all = rows("drop-abandoned")
    for (const load of breakerLoads["drop-abandoned"]) {
      const bound = find(all, "no retry", load).recoveryMs! + 5_000 + outageDefaults.timeout
      expect(find(all, BREAKER, load).recoveryMs).toBeLessThanOrEqual(bound)
    }
  })

  it("(b): no hint variant ever opens it", () => {
    const b = breakerRateLimit(rateLimitPolicies().filter((p) => p.family === "library"), 10, DEFAULT_SEED)
    expect(b.length).toBe(16)
    expect(b.every((r) => r.opens === 0)).toBe(true)
  })

  it("(c): healthy requests shed stay rare (the measured trade-off, docs/benchmarks.md (e)); no open, no loss", () => {
    const c = breakerFaultMix(faultMixPolicies().filter((p) => p.family === "library"), 20, DEFAULT_SEED)
    expect(c.length).toBe(6)
    for (const r of c) {
      expect(r.healthyShed).toBeLessThan(0.005 * 20 * 1000)
      expect(r.healthyShed).toBeLessThanOrEqual(r.shed)
      if (r.opens === 0) expect(r.shed).toBe(0)
    }
  })

  it("is deterministic", () => {
    const run = () =>
      runShedding(withBreaker(noRetry), new Rng(3), new Rng(4), { ...sheddingScenarios.outage, load: 200 })
    expect(run()).toEqual(run())
  })
})
