/**
 * The per-host circuit breaker of the transform, in virtual time with a fake client.
 */
import { HttpClientError } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { CircuitBreaker, CircuitOpenError, classify, InvalidPolicyError } from "@intelligent-retry/core"
import { IntelligentHttpClient } from "@intelligent-retry/platform"
import { Cause, Duration, Effect, Exit, TestClock } from "effect"
import { fakeClient } from "./utils/fake.js"

const noRetry = { temporary_error: { decision: "no_retry" } } as const

const failureOf = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined

describe("IntelligentHttpClient: circuitBreaker", () => {
  it.effect("5 failed requests open the host's breaker; the next fails at once with an HttpClientError", () =>
    Effect.gen(function*() {
      const fake = fakeClient(Array.from({ length: 5 }, () => ({ status: 503 })))
      const client = fake.client.pipe(
        IntelligentHttpClient.withIntelligentRetry({ strategies: noRetry, circuitBreaker: true })
      )
      for (let i = 0; i < 5; i++) {
        yield* TestClock.adjust("100 millis")
        yield* Effect.exit(client.get("https://carrier.example/track/1"))
      }
      expect(fake.times).toEqual([100, 200, 300, 400, 500])
      expect(yield* CircuitBreaker.state("carrier.example")).toBe("open")

      yield* TestClock.adjust("1500 millis")
      const error = failureOf(yield* Effect.exit(client.get("https://carrier.example/track/2")))
      expect(fake.times.length).toBe(5)
      expect(HttpClientError.isHttpClientError(error)).toBe(true)
      const requestError = error as HttpClientError.RequestError
      expect(requestError._tag).toBe("RequestError")
      expect(requestError.message).toContain("circuit breaker open for carrier.example")
      expect(requestError.message).toContain("3s 500ms")
      expect(requestError.cause).toBeInstanceOf(CircuitOpenError)
      expect(Duration.toMillis((requestError.cause as CircuitOpenError).retryAfter)).toBe(3_500)
      // never retried, by this library or any retry that classifies with it
      expect(classify(requestError)).toBe("permanent_error")

      // after the break, one probe reaches the server and closes the breaker
      yield* TestClock.adjust("3500 millis")
      const ok = yield* client.get("https://carrier.example/track/3")
      expect(ok.status).toBe(200)
      expect(fake.times.length).toBe(6)
      expect(yield* CircuitBreaker.state("carrier.example")).toBe("closed")
    }))

  it.effect("only the hosts that opt in; other hosts are untouched", () =>
    Effect.gen(function*() {
      const fake = fakeClient(Array.from({ length: 10 }, () => ({ status: 503 })))
      const client = fake.client.pipe(
        IntelligentHttpClient.withIntelligentRetry({
          strategies: noRetry,
          circuitBreaker: { hosts: ["carrier.example:8443"], consecutiveFailures: 2 }
        })
      )
      for (let i = 0; i < 5; i++) yield* Effect.exit(client.get("https://other.example/x"))
      expect(yield* CircuitBreaker.state("other.example")).toBe("closed")
      expect(fake.times.length).toBe(5)
      for (let i = 0; i < 2; i++) yield* Effect.exit(client.get("https://carrier.example:8443/x"))
      expect(yield* CircuitBreaker.state("carrier.example:8443")).toBe("open")
      yield* Effect.exit(client.get("https://carrier.example:8443/x"))
      expect(fake.times.length).toBe(7)
    }))

  it.effect("429s never open it", () =>
    Effect.gen(function*() {
      const fake = fakeClient(Array.from({ length: 20 }, () => ({ status: 429 })))
      const client = fake.client.pipe(
        IntelligentHttpClient.withIntelligentRetry({
          strategies: { api_rate_limit: { decision: "no_retry" } },
          circuitBreaker: true
        })
      )
      for (let i = 0; i < 20; i++) yield* Effect.exit(client.get("https://carrier.example/x"))
      expect(yield* CircuitBreaker.state("carrier.example")).toBe("closed")
      expect(fake.times.length).toBe(20)
    }))

  it("invalid breaker options make every request die with an InvalidPolicyError naming the field", () => {
    const { client } = fakeClient([])
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      ["yes", "circuitBreaker"],
      [{ breakDuration: -1 }, "circuitBreaker.breakDuration"],
      [{ consecutiveFailures: 0 }, "circuitBreaker.consecutiveFailures"],
      [{ hosts: "a.example" }, "circuitBreaker.hosts"],
      [{ key: "x" }, "circuitBreaker.key"]
    ]
    for (const [circuitBreaker, field] of cases) {
      // applying never throws
      const transformed = client.pipe(
        IntelligentHttpClient.withIntelligentRetry({ circuitBreaker: circuitBreaker as any })
      )
      const exit = Effect.runSyncExit(transformed.get("https://a.example/x"))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause), `accepted ${JSON.stringify(circuitBreaker)}`).toBe(true)
      const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      expect(error).toBeInstanceOf(InvalidPolicyError)
      expect((error as InvalidPolicyError).field).toBe(field)
    }
  })
})
