import { describe, expect, it } from "@effect/vitest"
import {
  DataError,
  NetworkError,
  RateLimitError,
  RetryBudget,
  TemporaryError,
  withIntelligentRetry
} from "@intelligent-retry/core"
import { Effect, Either, Exit, Layer, Ref } from "effect"
import { Duration } from "effect"

const alwaysFailing = <E>(error: E, attempts: Ref.Ref<number>) =>
  Ref.update(attempts, (n) => n + 1).pipe(Effect.zipRight(Effect.fail(error)))

const fiveImmediateRetries = {
  network_error: { decision: "retry_immediately", maxRetries: 5, baseDelay: 0 }
} as const

describe("RetryBudget", () => {
  it.effect("acceptance: 100 always-failing runs make at most 110 attempts with a budget, 600 with budgeting off", () =>
    Effect.gen(function*() {
      const run = (attempts: Ref.Ref<number>) =>
        Effect.forEach(
          Array.from({ length: 100 }),
          () =>
            Effect.exit(
              alwaysFailing(new NetworkError({ message: "down" }), attempts).pipe(
                withIntelligentRetry({ strategies: fiveImmediateRetries })
              )
            ),
          { discard: true }
        )
      // before issue 16 no layer meant no budget; now it is RetryBudget.layerNone
      const without = yield* Ref.make(0)
      yield* run(without).pipe(Effect.provide(RetryBudget.layerNone))
      const withBudget = yield* Ref.make(0)
      yield* run(withBudget).pipe(Effect.provide(RetryBudget.layer({ maxTokens: 10, tokenRatio: 0.1 })))
      expect(yield* Ref.get(without)).toBe(600)
      const spent = yield* Ref.get(withBudget)
      expect(spent).toBeLessThanOrEqual(110)
      // 10 → 5 takes 5 failures: the first run retries 4 times, every later run attempts once
      expect(spent).toBe(104)
    }))

  it.effect("a refused retry surfaces the original error at once and reports budget_exhausted", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const error = new NetworkError({ message: "down" })
      const outcomes: Array<string> = []
      const exit = yield* alwaysFailing(error, attempts).pipe(
        withIntelligentRetry({
          strategies: fiveImmediateRetries,
          onFailure: (info) => Effect.sync(() => outcomes.push(info.outcome))
        }),
        Effect.exit,
        Effect.provide(RetryBudget.layer({ maxTokens: 4, tokenRatio: 1 }))
      )
      // 4 → 3 (retry), 3 → 2 (not above 2: refused)
      expect(yield* Ref.get(attempts)).toBe(2)
      expect(exit).toEqual(Exit.fail(error))
      expect(outcomes).toEqual(["budget_exhausted"])
    }))

  it.effect("successes refill the balance and retries are allowed again", () =>
    Effect.gen(function*() {
      const layer = RetryBudget.layer({ maxTokens: 10, tokenRatio: 0.5 })
      yield* Effect.gen(function*() {
        const attempts = yield* Ref.make(0)
        const fail = alwaysFailing(new NetworkError({ message: "down" }), attempts).pipe(
          withIntelligentRetry({ strategies: fiveImmediateRetries }),
          Effect.exit
        )
        yield* fail
        expect(yield* RetryBudget.balance()).toBe(5)
        const succeed = Effect.succeed(1).pipe(withIntelligentRetry())
        for (let i = 0; i < 3; i++) yield* succeed
        expect(yield* RetryBudget.balance()).toBe(6.5)
        yield* Ref.set(attempts, 0)
        yield* fail
        // 6.5 → 5.5 (retry), 5.5 → 4.5 (refused)
        expect(yield* Ref.get(attempts)).toBe(2)
        for (let i = 0; i < 100; i++) yield* succeed
        expect(yield* RetryBudget.balance()).toBe(10)
      }).pipe(Effect.provide(layer))
    }))

  it.effect("keyed budgets separate dependencies", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const call = (host: string) =>
        alwaysFailing(new NetworkError({ message: "down" }), attempts).pipe(
          withIntelligentRetry({ strategies: fiveImmediateRetries, budgetKey: host }),
          Effect.exit
        )
      yield* Effect.gen(function*() {
        yield* call("carrier-a.example")
        yield* call("carrier-a.example")
        // 10 → 5 in the first run (5 attempts), 5 → 4 in the second (1 attempt)
        expect(yield* RetryBudget.balance("carrier-a.example")).toBe(4)
        expect(yield* RetryBudget.balance("carrier-b.example")).toBe(10)
        yield* Ref.set(attempts, 0)
        yield* call("carrier-b.example")
        expect(yield* Ref.get(attempts)).toBe(5)
      }).pipe(Effect.provide(RetryBudget.keyed({ maxTokens: 10 })))
    }))

  it.effect("category costs apply; data errors never touch the budget; hinted failures cost less", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      yield* Effect.gen(function*() {
        yield* alwaysFailing(new DataError({ message: "bad" }), attempts).pipe(withIntelligentRetry(), Effect.exit)
        expect(yield* RetryBudget.balance()).toBe(10)
        yield* alwaysFailing(new TemporaryError({ message: "503" }), attempts).pipe(
          withIntelligentRetry({ strategies: { temporary_error: { decision: "retry_with_delay", maxRetries: 0 } } }),
          Effect.exit
        )
        expect(yield* RetryBudget.balance()).toBe(7)
        yield* alwaysFailing(new RateLimitError({ message: "429", retryAfter: Duration.seconds(1) }), attempts).pipe(
          withIntelligentRetry({ strategies: { api_rate_limit: { decision: "retry_with_delay", maxRetries: 0 } } }),
          Effect.exit
        )
        expect(yield* RetryBudget.balance()).toBe(6.75)
        // a zero hint paces nothing: the category's cost (issue 13, defect 3; before, 0.25)
        yield* alwaysFailing(new RateLimitError({ message: "429", retryAfter: Duration.zero }), attempts).pipe(
          withIntelligentRetry({ strategies: { api_rate_limit: { decision: "retry_with_delay", maxRetries: 0 } } }),
          Effect.exit
        )
        expect(yield* RetryBudget.balance()).toBe(5.75)
      }).pipe(Effect.provide(RetryBudget.layer({ maxTokens: 10, costs: { temporary_error: 3 }, hintedCost: 0.25 })))
    }))

  it.effect("1,000 concurrent runs never overspend the balance", () =>
    Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      const balances: Array<number> = []
      yield* Effect.gen(function*() {
        yield* Effect.forEach(
          Array.from({ length: 1000 }),
          () =>
            alwaysFailing(new NetworkError({ message: "down" }), attempts).pipe(
              Effect.tap(() => Effect.yieldNow()),
              withIntelligentRetry({
                strategies: fiveImmediateRetries,
                onRetry: () => Effect.flatMap(RetryBudget.balance(), (b) => Effect.sync(() => balances.push(b!)))
              }),
              Effect.exit
            ),
          { concurrency: "unbounded", discard: true }
        )
        expect(yield* RetryBudget.balance()).toBe(0)
      }).pipe(Effect.provide(RetryBudget.layer({ maxTokens: 100, tokenRatio: 0.1 })))
      // 1,000 first attempts; a retry only for the withdrawals that left more than 50: at most 49
      // (fewer when a run that used up its own 5 retries takes one of those withdrawals)
      const total = yield* Ref.get(attempts)
      expect(total).toBeGreaterThan(1000)
      expect(total).toBeLessThanOrEqual(1049)
      expect(balances.every((b) => b >= 0 && b > 50)).toBe(true)
    }))

  it("invalid options name the field and the value", () => {
    const error = (options: Parameters<typeof RetryBudget.layer>[0]) =>
      Effect.runSync(Effect.flip(Effect.provide(Effect.void, RetryBudget.layer(options))))
    expect(error({ maxTokens: 0 }).message).toBe("Invalid budget.maxTokens: must be a finite number > 0, got 0")
    expect(error({ tokenRatio: Number.NaN }).message).toBe(
      "Invalid budget.tokenRatio: must be a finite number > 0, got NaN"
    )
    expect(error({ costs: { data_error: 1 } as any }).field).toBe("budget.costs.data_error")
    expect(error({ costs: { network: 1 } as any }).message).toMatch(/"network" is not a category/)
    expect(error({ costs: { network_error: -1 } }).value).toBe(-1)
    const misspelt = error({ maxToken: 10 } as any)
    expect(misspelt.field).toBe("budget.maxToken")
    expect(misspelt.message).toMatch(/^Invalid budget.maxToken: is not an option of RetryBudget \(.*\), got 10$/)
    expect(Either.isRight(Effect.runSync(Effect.either(Effect.provide(Effect.void, Layer.empty))))).toBe(true)
  })
})
