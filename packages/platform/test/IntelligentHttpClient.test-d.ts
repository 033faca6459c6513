import type { HttpClient, HttpClientError } from "@effect/platform"
import { IntelligentHttpClient } from "@intelligent-retry/platform"
import type { Scope } from "effect"
import { Data, Effect } from "effect"
import { describe, expectTypeOf, it } from "vitest"

declare const client: HttpClient.HttpClient
declare const custom: HttpClient.HttpClient.With<Boom, Scope.Scope>
class Boom extends Data.TaggedError("Boom")<{}> {}

describe("withIntelligentRetry", () => {
  it("keeps an HttpClient an HttpClient, data-first and data-last", () => {
    expectTypeOf(client.pipe(IntelligentHttpClient.withIntelligentRetry())).toEqualTypeOf<
      HttpClient.HttpClient.With<HttpClientError.HttpClientError, never>
    >()
    expectTypeOf(IntelligentHttpClient.withIntelligentRetry(client, { timeout: "1 second" })).toEqualTypeOf<
      HttpClient.HttpClient.With<HttpClientError.HttpClientError, never>
    >()
  })

  it("adds HttpClientError to another client's errors and keeps its requirements", () => {
    expectTypeOf(custom.pipe(IntelligentHttpClient.withIntelligentRetry())).toEqualTypeOf<
      HttpClient.HttpClient.With<Boom | HttpClientError.HttpClientError, Scope.Scope>
    >()
  })

  it("types the callbacks' errors from the client", () => {
    custom.pipe(IntelligentHttpClient.withIntelligentRetry({
      classify: (error) => {
        expectTypeOf(error).toEqualTypeOf<Boom | HttpClientError.HttpClientError>()
        return undefined
      },
      onRetry: (info, request) => {
        expectTypeOf(info.error).toEqualTypeOf<Boom | HttpClientError.HttpClientError>()
        return Effect.log(request.url)
      }
    }))
  })

  it("rejects options of the wrong type", () => {
    // @ts-expect-error a route is a function
    IntelligentHttpClient.withIntelligentRetry(client, { route: "/track/:id" })
    // @ts-expect-error a timeout is a duration
    IntelligentHttpClient.withIntelligentRetry(client, { timeout: true })
  })
})
