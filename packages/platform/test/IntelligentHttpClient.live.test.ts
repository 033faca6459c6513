/**
 * The scenarios against a real server on 127.0.0.1, through both Effect HTTP clients. Waits are
 * real, so every policy here waits milliseconds; the long waits are in the TestClock tests.
 */
import { FetchHttpClient, HttpClient } from "@effect/platform"
import type { HttpClientError } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { RetryStats, type Strategies } from "@intelligent-retry/core"
import { IntelligentHttpClient } from "@intelligent-retry/platform"
import { Effect, Layer } from "effect"
import type { Scope } from "effect"
import type { Behaviour } from "./utils/server.js"
import { refusedUrl, testServer } from "./utils/server.js"

/** Millisecond policies: each live test stays well under 3 seconds. */
const fast: Strategies.StrategyTableInput = {
  network_error: { decision: "retry_with_delay", maxRetries: 3, baseDelay: 10, maxDelay: 100, backoffFactor: 1 },
  temporary_error: { decision: "retry_with_backoff", maxRetries: 3, baseDelay: 10, maxDelay: 100, backoffFactor: 2 },
  api_rate_limit: { decision: "retry_with_delay", maxRetries: 2, baseDelay: 10, maxDelay: "5 seconds" }
}

const clients: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["FetchHttpClient.layer", FetchHttpClient.layer],
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici]
]

/** The client under test, with the fast table unless told otherwise. */
const retrying = (options: IntelligentHttpClient.Options<HttpClientError.HttpClientError> = {}) =>
  Effect.map(HttpClient.HttpClient, IntelligentHttpClient.withIntelligentRetry({ strategies: fast, ...options }))

const statsOf = (task: string) => RetryStats.analyzeTaskErrors(task)

describe.each(clients)("IntelligentHttpClient through %s", (_, clientLayer) => {
  /** Runs a test with a fresh statistics store, the client layer and a scope for the server. */
  const live = <A, E>(name: string, body: () => Effect.Effect<A, E, HttpClient.HttpClient | Scope.Scope>) =>
    it.live(name, () =>
      body().pipe(
        Effect.scoped,
        Effect.provide(Layer.merge(clientLayer, RetryStats.layer))
      ), 3_000)

  const serve = (...script: ReadonlyArray<Behaviour>) => testServer(script)

  live("429 with Retry-After: 1, then 200: the second request comes at least 1 s later", () =>
    Effect.gen(function*() {
      const server = yield* serve({ status: 429, headers: { "retry-after": "1" } }, { status: 200 })
      const client = yield* retrying()
      const response = yield* client.get(server.url("/track/1Z999AA10123456784?apiKey=s3cret"))
      expect(response.status).toBe(200)
      expect(server.arrivals).toHaveLength(2)
      expect(server.arrivals[1].time - server.arrivals[0].time).toBeGreaterThanOrEqual(1000)
      const stats = yield* statsOf("GET /track/:id")
      expect(stats.categoryDistribution.api_rate_limit).toBe(1)
      expect(stats.outcomes.recovered).toBe(1)
      expect(stats.waitMillis).toBeGreaterThanOrEqual(1000)
    }))

  live("429 with an HTTP-date: the second request comes after that date", () =>
    Effect.gen(function*() {
      let date = 0
      const server = yield* serve({
        status: 429,
        headers: (arrival) => {
          // At least 1 s ahead, on a whole second (an HTTP-date has no fraction).
          date = Math.ceil((arrival.time + 1000) / 1000) * 1000
          return { "retry-after": new Date(date).toUTCString() }
        }
      }, { status: 200 })
      const client = yield* retrying()
      const response = yield* client.get(server.url("/track/42"))
      expect(response.status).toBe(200)
      expect(server.arrivals).toHaveLength(2)
      expect(server.arrivals[1].time).toBeGreaterThanOrEqual(date)
    }))

  live("503, 503, then 200", () =>
    Effect.gen(function*() {
      const server = yield* serve({ status: 503 }, { status: 503 }, { status: 200, body: "delivered" })
      const client = yield* retrying()
      const response = yield* client.get(server.url("/track/7"))
      expect(yield* response.text).toBe("delivered")
      expect(server.arrivals).toHaveLength(3)
      const stats = yield* statsOf("GET /track/:id")
      expect(stats.categoryDistribution.temporary_error).toBe(2)
      expect(stats.retries).toBe(2)
      expect(stats.outcomes.recovered).toBe(1)
    }))

  live("a connection destroyed mid-request is a network error, retried", () =>
    Effect.gen(function*() {
      const server = yield* serve({ destroy: true }, { status: 200 })
      const client = yield* retrying()
      const response = yield* client.get(server.url("/track/7"))
      expect(response.status).toBe(200)
      expect(server.arrivals).toHaveLength(2)
      const stats = yield* statsOf("GET /track/:id")
      expect(stats.categoryDistribution.network_error).toBe(1)
    }))

  live(
    "connection refused: retried per the network policy, then the RequestError surfaces",
    () =>
      Effect.gen(function*() {
        const url = yield* refusedUrl("/track/7")
        const client = yield* retrying()
        const error = yield* Effect.flip(client.get(url))
        expect(error._tag).toBe("RequestError")
        expect(error._tag === "RequestError" && error.reason).toBe("Transport")
        const stats = yield* statsOf("GET /track/:id")
        expect(stats.categoryDistribution.network_error).toBe(4)
        expect(stats.outcomes.exhausted).toBe(1)
      })
  )

  live("a POST refused at connect is retried: it cannot have reached the server", () =>
    Effect.gen(function*() {
      const url = yield* refusedUrl("/labels")
      const client = yield* retrying()
      yield* Effect.flip(client.post(url))
      const stats = yield* statsOf("POST /labels")
      expect(stats.categoryDistribution.network_error).toBe(4)
      expect(stats.retries).toBe(3)
    }))

  live("a response slower than the timeout is a network error, retried", () =>
    Effect.gen(function*() {
      const server = yield* serve({ status: 200, delay: 1500 }, { status: 200, body: "fast" })
      const client = yield* retrying({ timeout: "200 millis" })
      const start = Date.now()
      const response = yield* client.get(server.url("/track/7"))
      expect(yield* response.text).toBe("fast")
      expect(server.arrivals).toHaveLength(2)
      expect(Date.now() - start).toBeLessThan(1500)
      const stats = yield* statsOf("GET /track/:id")
      expect(stats.categoryDistribution.network_error).toBe(1)
    }))

  for (const status of [400, 404]) {
    live(`${status}: exactly one request, the ResponseError surfaces`, () =>
      Effect.gen(function*() {
        const server = yield* serve({ status }, { status: 200 })
        const client = yield* retrying()
        const error = yield* Effect.flip(client.get(server.url("/track/7")))
        expect(error._tag === "ResponseError" && error.response.status).toBe(status)
        expect(server.arrivals).toHaveLength(1)
        const stats = yield* statsOf("GET /track/:id")
        expect(stats.categoryDistribution[status === 400 ? "data_error" : "permanent_error"]).toBe(1)
        expect(stats.outcomes.not_retryable).toBe(1)
      }))
  }

  live("POST without an Idempotency-Key after a 503: exactly one request", () =>
    Effect.gen(function*() {
      const server = yield* serve({ status: 503 }, { status: 200 })
      const client = yield* retrying()
      const error = yield* Effect.flip(client.post(server.url("/labels")))
      expect(error._tag === "ResponseError" && error.response.status).toBe(503)
      expect(server.arrivals).toHaveLength(1)
      const stats = yield* statsOf("POST /labels")
      expect(stats.categoryDistribution.temporary_error).toBe(1)
      expect(stats.outcomes.not_retryable).toBe(1)
    }))

  live(
    "POST whose connection is reset: exactly one request (it may have been processed)",
    () =>
      Effect.gen(function*() {
        const server = yield* serve({ destroy: true }, { status: 200 })
        const client = yield* retrying()
        yield* Effect.flip(client.post(server.url("/labels")))
        expect(server.arrivals).toHaveLength(1)
        const stats = yield* statsOf("POST /labels")
        expect(stats.outcomes.not_retryable).toBe(1)
        expect(stats.categoryDistribution.network_error).toBe(1)
      })
  )

  live("POST with an Idempotency-Key header: retried, the key sent every time", () =>
    Effect.gen(function*() {
      const server = yield* serve({ status: 503 }, { status: 201 })
      const client = yield* retrying()
      const response = yield* client.post(server.url("/labels"), { headers: { "Idempotency-Key": "order-42" } })
      expect(response.status).toBe(201)
      expect(server.arrivals.map((a) => [a.method, a.headers["idempotency-key"]])).toEqual([
        ["POST", "order-42"],
        ["POST", "order-42"]
      ])
    }))

  live("PATCH with retryNonIdempotent: retried", () =>
    Effect.gen(function*() {
      const server = yield* serve({ status: 502 }, { status: 200 })
      const client = yield* retrying({ retryNonIdempotent: true })
      const response = yield* client.patch(server.url("/labels/9"))
      expect(response.status).toBe(200)
      expect(server.arrivals).toHaveLength(2)
    }))

  live("behind HttpClient.filterStatusOk: the same classification", () =>
    Effect.gen(function*() {
      const server = yield* serve({ status: 429, headers: { "retry-after": "0" } }, { status: 503 }, { status: 200 })
      const client = (yield* HttpClient.HttpClient).pipe(
        HttpClient.filterStatusOk,
        IntelligentHttpClient.withIntelligentRetry({ strategies: fast })
      )
      const response = yield* client.get(server.url("/track/7"))
      expect(response.status).toBe(200)
      expect(server.arrivals).toHaveLength(3)
      const stats = yield* statsOf("GET /track/:id")
      expect(stats.categoryDistribution.api_rate_limit).toBe(1)
      expect(stats.categoryDistribution.temporary_error).toBe(1)
    }))
})
