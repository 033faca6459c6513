/**
 * The carrier-API example of docs/http.md, run in virtual time, and the docs page checked against
 * core's mapping table and the example file.
 */
import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Classifier, RetryStats } from "@intelligent-retry/core"
import { Effect, Exit, Layer, Random } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { CarrierApi, report } from "./examples/carrier.js"
import { fakeClient, runVirtual } from "./utils/fake.js"

const docsPath = fileURLToPath(new URL("../../../docs/http.md", import.meta.url))
const examplePath = fileURLToPath(new URL("./examples/carrier.ts", import.meta.url))

describe("the carrier API example", () => {
  it.effect("a 429 with Retry-After: 90, a response slower than the timeout, then the tracking record", () =>
    Effect.gen(function*() {
      const fake = fakeClient([
        { status: 429, headers: { "retry-after": "90" } },
        { status: 200, delay: "1 minute" },
        { status: 200, body: JSON.stringify({ tracking_number: "1Z999AA10123456784", status: "in_transit" }) }
      ])
      const exit = yield* runVirtual(
        CarrierApi.pipe(
          Effect.flatMap((api) => api.queryExpressApi("1Z999AA10123456784")),
          Effect.provide(CarrierApi.Default.pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client)))),
          Effect.withRandom(Random.fixed([0.5]))
        )
      )
      expect(Exit.isSuccess(exit) && exit.value.status).toBe("in_transit")
      // 429: the tracking preset follows the 90 s hint exactly, plus its spread (0.5 × 1 s), where
      // before issue 16 its 5 minutes beat the hint; the timeout after 30 s; then the first network
      // retry after 5 s.
      expect(fake.times).toEqual([0, 90_500, 125_500])
      expect(fake.requests.map((r) => r.url)).toEqual(
        Array(3).fill("https://api.carrier.example/track/1Z999AA10123456784")
      )
      yield* report
      const analysis = yield* RetryStats.analyzeTaskErrors("GET /track/:number")
      expect(analysis.categoryDistribution).toMatchObject({ api_rate_limit: 1, network_error: 1 })
      expect(analysis.outcomes.recovered).toBe(1)
    }).pipe(Effect.provide(RetryStats.layer)))
})

describe("docs/http.md", () => {
  const docs = readFileSync(docsPath, "utf8")

  it("its status table is core's table", () => {
    const section = docs.slice(docs.indexOf("<!-- status-table -->"), docs.indexOf("<!-- /status-table -->"))
    const rows = [...section.matchAll(/^\| (\d{3}) \| `(\w+)` \|/gm)].map(([, status, category]) => [
      Number(status),
      category
    ])
    expect(rows).toEqual(Object.entries(Classifier.statusTable).map(([status, category]) => [Number(status), category]))
    for (const [status, category] of rows) expect(Classifier.statusCategory(status as number)).toBe(category)
    // The rows for statuses without an entry.
    expect(section).toContain(`| other 4xx | \`${Classifier.statusCategory(499)}\` |`)
    expect(section).toContain(`| other 5xx | \`${Classifier.statusCategory(599)}\` |`)
  })

  it("its reason table is core's table", () => {
    const section = docs.slice(docs.indexOf("<!-- reason-table -->"), docs.indexOf("<!-- /reason-table -->"))
    const rows = [...section.matchAll(/^\| `(\w+)` \| `(\w+)` \|/gm)]
    expect(rows.length).toBe(5)
    for (const [, reason, category] of rows) {
      expect([reason, Classifier.reasonCategory(reason)]).toEqual([reason, category])
    }
  })

  it("its example is the tested example, verbatim", () => {
    const block = /<!-- example:carrier -->\n```ts\n([\s\S]*?)```/.exec(docs)
    expect(block?.[1]).toBe(readFileSync(examplePath, "utf8"))
  })
})
