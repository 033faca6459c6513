import { HttpClient, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { RetryStats, Strategies } from "@intelligent-retry/core"
import { IntelligentHttpClient } from "@intelligent-retry/platform"
import { Effect, Schema } from "effect"

class Tracking extends Schema.Class<Tracking>("Tracking")({
  tracking_number: Schema.String,
  status: Schema.String
}) {}

// The guide's `query_express_api`, decorated with `tracking_intelligent_retry`.
export class CarrierApi extends Effect.Service<CarrierApi>()("CarrierApi", {
  effect: Effect.gen(function*() {
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest(HttpClientRequest.prependUrl("https://api.carrier.example")),
      IntelligentHttpClient.withIntelligentRetry({
        // requests.get(api_url, timeout=30)
        timeout: "30 seconds",
        // TRACKING_QUERY: network 5 s → 10 s → 20 s → 40 s; 429 5 → 10 → 20 min (or the
        // server's Retry-After, up to 30 min); data errors never; 5xx backoff from 30 s.
        strategies: Strategies.tracking,
        // The task in statistics: "GET /track/:number", never the tracking number.
        route: () => "/track/:number",
        onRetry: (info) => Effect.logWarning(`${info.task}: ${info.category}, retry ${info.attempt} in ${info.wait}`)
      })
    )
    const queryExpressApi = (trackingNumber: string) =>
      client.get(`/track/${encodeURIComponent(trackingNumber)}`).pipe(
        // Decoding is not retried: a malformed body is a data error.
        Effect.flatMap(HttpClientResponse.schemaBodyJson(Tracking))
      )
    return { queryExpressApi } as const
  })
}) {}

// The guide's `analyze_task_errors('update_tracking_info')`.
export const report = Effect.gen(function*() {
  const analysis = yield* RetryStats.analyzeTaskErrors("GET /track/:number")
  yield* Effect.log(`total errors: ${analysis.totalErrors}`, analysis.categoryDistribution)
  for (const s of analysis.suggestions) yield* Effect.log(`${s.severity} ${s.code}: ${s.message}`)
})
