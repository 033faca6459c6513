/**
 * Regressions of issue 13 through the HTTP transform: a 3xx is never retried (defect 2);
 * deterministic fetch failures (a redirect loop, a URL with credentials, a certificate) are
 * permanent (defect 7); a 429 with a server hint on a POST is retried. Each failed before its fix.
 */
import { FetchHttpClient, HttpClient, HttpClientError, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { classify, RetryStats } from "@intelligent-retry/core"
import { IntelligentHttpClient } from "@intelligent-retry/platform"
import { Effect, Exit, Layer } from "effect"
import { n, section } from "../../../test/reliability/report.js"
import { fakeClient, runVirtual } from "./utils/fake.js"
import { testServer } from "./utils/server.js"

const report = section({
  id: "11-defects-http",
  order: 11,
  title: "Defects found by probing from outside: HTTP (issue 13)"
})

const retrying = {
  network_error: { decision: "retry_with_delay", maxRetries: 3, baseDelay: 10, maxDelay: 100 },
  temporary_error: { decision: "retry_with_delay", maxRetries: 3, baseDelay: 10, maxDelay: 100 },
  permanent_error: { decision: "no_retry" },
  api_rate_limit: { decision: "retry_with_delay", maxRetries: 3, baseDelay: 10, maxDelay: "1 hour" }
} as const

describe("defect 2: a 3xx is never retried", () => {
  it("core's classify: every 3xx, as a number or a numeric string, is permanent_error", () => {
    for (let status = 300; status < 400; status++) {
      expect(classify({ status }), String(status)).toBe("permanent_error")
      expect(classify({ status: String(status) }), String(status)).toBe("permanent_error")
    }
    expect(classify({ status: "404" })).toBe("permanent_error")
    expect(classify({ statusCode: " 503 " })).toBe("temporary_error")
    expect(classify({ status: 200 })).toBe("temporary_error")
  })

  for (const status of [301, 302, 304, 307, 308]) {
    it.effect(`through the transform, a ${status} costs one request, not four`, () =>
      Effect.gen(function*() {
        const fake = fakeClient([{ status, headers: { location: "/elsewhere", "retry-after": "1" } }])
        const client = fake.client.pipe(IntelligentHttpClient.withIntelligentRetry({ strategies: retrying }))
        const store = yield* RetryStats.make({ metrics: false })
        const exit = yield* runVirtual(
          client.get("https://carrier.example/track/1").pipe(Effect.provideService(RetryStats.RetryStats, store))
        )
        expect(Exit.isFailure(exit)).toBe(true)
        expect(fake.times).toEqual([0])
        const analysis = yield* store.analyzeTaskErrors()
        expect(analysis.categoryDistribution.permanent_error).toBe(1)
        expect(analysis.outcomes.not_retryable).toBe(1)
        report.add({
          tried: `defect 2: a ${status} through IntelligentHttpClient (fake client, TestClock)`,
          inputs: `GET answered ${status} with Location and Retry-After`,
          faults: "a redirect or Not Modified answer",
          load: "—",
          measured: `before: temporary_error, 4 requests; now: permanent_error, ${n(fake.times.length)} request, ` +
            "outcome not_retryable (internal/http.ts statusCategory)"
        })
      }))
  }
})

describe("RFC 6585: a 429 with a hint on a POST is retried", () => {
  it.effect("429 + Retry-After on a POST: retried after the hint; 429 without a hint: not retried", () =>
    Effect.gen(function*() {
      const hinted = fakeClient([{ status: 429, headers: { "retry-after": "30" } }, { status: 201 }])
      const post = HttpClientRequest.post("https://carrier.example/labels")
      const ok = yield* runVirtual(
        hinted.client.pipe(IntelligentHttpClient.withIntelligentRetry({ strategies: retrying })).execute(post)
      )
      expect(Exit.isSuccess(ok)).toBe(true)
      expect(hinted.times).toEqual([0, 30_000])

      const bare = fakeClient([{ status: 429 }, { status: 201 }])
      const refused = yield* runVirtual(
        bare.client.pipe(IntelligentHttpClient.withIntelligentRetry({ strategies: retrying })).execute(post)
      )
      expect(Exit.isFailure(refused)).toBe(true)
      expect(bare.times).toHaveLength(1)

      // a 503 with a hint on a POST may have been processed: not retried
      const unavailable = fakeClient([{ status: 503, headers: { "retry-after": "30" } }, { status: 201 }])
      const not = yield* runVirtual(
        unavailable.client.pipe(IntelligentHttpClient.withIntelligentRetry({ strategies: retrying })).execute(post)
      )
      expect(Exit.isFailure(not)).toBe(true)
      expect(unavailable.times).toHaveLength(1)
      report.add({
        tried: "RFC 6585: a 429 with a server hint on a POST",
        inputs: "POST answered 429 + Retry-After: 30, then 201; 429 without a hint; 503 + Retry-After: 30",
        faults: "throttling of a non-idempotent request",
        load: "—",
        measured: `429 with a hint: retried at t = ${n(hinted.times[1])} ms (before: not retried); 429 without a ` +
          "hint and 503 with one: 1 request each, not retried (platform internal/idempotency.ts mayResend)"
      })
    }))
})

describe("defect 7: deterministic fetch failures are permanent_error", () => {
  const transport = (cause: unknown) =>
    new HttpClientError.RequestError({
      request: HttpClientRequest.get("https://carrier.example/"),
      reason: "Transport",
      cause
    })
  const fetchFailed = (cause: unknown) => new TypeError("fetch failed", { cause })
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code })

  it("classify reads the cause of a transport failure before calling it a network error", () => {
    const cases: ReadonlyArray<readonly [string, unknown, string]> = [
      ["redirect loop", fetchFailed(new Error("redirect count exceeded")), "permanent_error"],
      ["redirect under redirect: error", fetchFailed(new Error("unexpected redirect")), "permanent_error"],
      ["a port fetch refuses", fetchFailed(new Error("bad port")), "permanent_error"],
      [
        "URL credentials",
        new TypeError("Request cannot be constructed from a URL that includes credentials: http://u:p@h/"),
        "permanent_error"
      ],
      [
        "self-signed certificate",
        fetchFailed(withCode("self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT")),
        "permanent_error"
      ],
      ["expired certificate", fetchFailed(withCode("certificate has expired", "CERT_HAS_EXPIRED")), "permanent_error"],
      [
        "wrong host name",
        fetchFailed(withCode("Hostname/IP does not match", "ERR_TLS_CERT_ALTNAME_INVALID")),
        "permanent_error"
      ],
      [
        "invalid URL",
        new TypeError("Failed to parse URL from x", { cause: withCode("Invalid URL", "ERR_INVALID_URL") }),
        "permanent_error"
      ],
      ["connection refused", fetchFailed(withCode("connect ECONNREFUSED", "ECONNREFUSED")), "network_error"],
      ["socket closed, no code", fetchFailed(new Error("other side closed")), "network_error"],
      ["fetch failed, no cause", new TypeError("fetch failed"), "network_error"]
    ]
    for (const [name, error, category] of cases) {
      expect(classify(error), name).toBe(category)
      expect(classify(transport(error)), `Transport: ${name}`).toBe(category)
    }
    report.add({
      tried: "defect 7: classify of deterministic fetch failures, bare and as the cause of a Transport RequestError",
      inputs: cases.map(([name]) => name).join("; "),
      faults: "failures the same request meets again",
      load: "—",
      measured: `${n(cases.filter(([, , c]) => c === "permanent_error").length)} permanent_error (before: ` +
        `network_error, retried), ${n(cases.filter(([, , c]) => c === "network_error").length)} still network_error`
    })
  })

  const clients: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>, number]> = [
    // fetch follows 20 redirects, then fails with "redirect count exceeded": 21 requests, once
    ["FetchHttpClient.layer", FetchHttpClient.layer, 21],
    // undici's request does not follow redirects: the 302 itself, once
    ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici, 1]
  ]
  for (const [name, layer, requests] of clients) {
    it.live(
      `a redirect loop through ${name}: ${requests} request(s), not four times as many`,
      () =>
        Effect.gen(function*() {
          const server = yield* testServer(
            Array.from({ length: 100 }, () => ({ status: 302, headers: { location: "/loop" } }))
          )
          const store = yield* RetryStats.make({ metrics: false })
          const client = (yield* HttpClient.HttpClient).pipe(
            IntelligentHttpClient.withIntelligentRetry({ strategies: retrying })
          )
          const exit = yield* client.get(server.url("/loop")).pipe(
            Effect.provideService(RetryStats.RetryStats, store),
            Effect.exit
          )
          expect(Exit.isFailure(exit)).toBe(true)
          expect(server.arrivals).toHaveLength(requests)
          const analysis = yield* store.analyzeTaskErrors()
          expect(analysis.retries).toBe(0)
          expect(analysis.categoryDistribution.permanent_error).toBe(1)
          report.add({
            tried: `defect 7: a redirect loop (302 to itself) through ${name}`,
            inputs: "a real server on 127.0.0.1 answering 302 Location: /loop",
            faults: "a redirect loop",
            load: "—",
            measured: `before: ${n(requests * 4)} requests (every attempt retried as network_error or ` +
              `temporary_error); now: ${n(server.arrivals.length)}, no retry, permanent_error`
          })
        }).pipe(Effect.scoped, Effect.provide(layer)),
      5_000
    )
  }

  it.live(
    "a URL with credentials through FetchHttpClient: refused before sending, and not retried",
    () =>
      Effect.gen(function*() {
        const server = yield* testServer([])
        const store = yield* RetryStats.make({ metrics: false })
        const client = (yield* HttpClient.HttpClient).pipe(
          IntelligentHttpClient.withIntelligentRetry({ strategies: retrying })
        )
        const url = server.url("/track").replace("http://", "http://user:pass@")
        const exit = yield* client.get(url).pipe(Effect.provideService(RetryStats.RetryStats, store), Effect.exit)
        expect(Exit.isFailure(exit)).toBe(true)
        expect(server.arrivals).toHaveLength(0)
        const analysis = yield* store.analyzeTaskErrors()
        expect(analysis.totalErrors).toBe(1)
        expect(analysis.retries).toBe(0)
        expect(analysis.categoryDistribution.permanent_error).toBe(1)
        report.add({
          tried: "defect 7: a URL with credentials through FetchHttpClient",
          inputs: "http://user:pass@127.0.0.1:<port>/track",
          faults: "a request fetch refuses to construct",
          load: "—",
          measured: `before: refused, then retried 3 times with backoff; now: ${
            n(server.arrivals.length)
          } requests sent, 1 failed attempt, no retry, permanent_error`
        })
      }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)),
    5_000
  )
})
