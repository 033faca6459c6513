/**
 * The local carrier API: `@effect/platform-node`'s HTTP server on 127.0.0.1 with an ephemeral
 * port, failing the way real carrier APIs do, as the seeded fault injector decides. It keeps a
 * {@link Ledger} of every request it receives: the server's own count, independent of the client.
 *
 * | endpoint | answer | faults |
 * | --- | --- | --- |
 * | `GET /track/:number` | 200 tracking record; 404 unknown number; 200 malformed record | reset, slow, 429 + Retry-After, 503 |
 * | `POST /screenshots` (Idempotency-Key) | 201 | reset, slow, 503, 507 |
 * | `POST /documents` (Idempotency-Key) | 201; 422 without a tracking number | reset, slow, 503, 507 |
 *
 * A 429 is a promise: the first request for that key after its `Retry-After` expires is not
 * throttled again. A request for the key that arrives before then is "early": the ledger counts
 * it and the server answers 429 again with the time that is left.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { Endpoint, FaultRates } from "./Faults.js"
import { requestFault, retryAfterSeconds, trackingRecord } from "./Faults.js"

/** How the server answered one request. */
export type Answer = "reset" | "slow" | number

/** One request, as the server saw it. */
export interface ServerRequestRecord {
  /** Arrival, epoch milliseconds. */
  readonly time: number
  readonly endpoint: Endpoint
  readonly key: string
  readonly answer: Answer
  /** Arrived before a `Retry-After` the server had announced for this key expired. */
  readonly early: boolean
  /** Arrived after the server had given this key a data or permanent answer (404, 422, malformed). */
  readonly afterFinal: boolean
}

interface KeyState {
  /** Index of the next fault draw for this key. */
  next: number
  /** Until when a Retry-After announced for this key holds, epoch milliseconds; 0 if none. */
  deadline: number
  /** The first request after a Retry-After expired is not throttled again. */
  exempt: boolean
  /** The server gave this key a data or permanent answer. */
  final: boolean
}

/** The server's record of every request, in arrival order. */
export class Ledger {
  readonly requests: Array<ServerRequestRecord> = []
  private readonly keys = new Map<string, KeyState>()

  state(key: string): KeyState {
    let state = this.keys.get(key)
    if (state === undefined) {
      state = { next: 0, deadline: 0, exempt: false, final: false }
      this.keys.set(key, state)
    }
    return state
  }

  get early(): number {
    return this.requests.reduce((n, r) => n + (r.early ? 1 : 0), 0)
  }

  get afterFinal(): number {
    return this.requests.reduce((n, r) => n + (r.afterFinal ? 1 : 0), 0)
  }
}

/** What the server needs to know. */
export interface CarrierApiConfig {
  readonly seed: number
  readonly rates: FaultRates
  readonly timeScale: number
  /** How long a slow response takes, milliseconds: longer than the client's timeout. */
  readonly slowResponseMillis: number
}

/** A running server. */
export interface CarrierApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly ledger: Ledger
}

type Content = Effect.Effect<
  { readonly response: HttpServerResponse.HttpServerResponse; readonly final: boolean },
  never,
  HttpServerRequest.HttpServerRequest
>

const STATUSES = ["label_created", "in_transit", "out_for_delivery", "delivered"] as const

const trackingContent = (config: CarrierApiConfig, trackingNumber: string): Content =>
  Effect.sync(() => {
    const record = trackingRecord(config.seed, config.rates, trackingNumber)
    const status = STATUSES[trackingNumber.charCodeAt(trackingNumber.length - 1) % STATUSES.length]
    const body = {
      tracking_number: trackingNumber,
      status,
      events: [{ time: "2026-11-28T09:12:00Z", location: "Louisville, KY", description: "Departed facility" }]
    }
    switch (record) {
      case "unknown":
        return {
          response: HttpServerResponse.unsafeJson({ error: "unknown tracking number" }, { status: 404 }),
          final: true
        }
      case "malformed_json":
        // A truncated body, as from a carrier's proxy cutting the response short.
        return {
          response: HttpServerResponse.text(JSON.stringify(body).slice(0, 40), { contentType: "application/json" }),
          final: true
        }
      case "invalid_record":
        return { response: HttpServerResponse.unsafeJson({ ...body, status: 3, events: "n/a" }), final: true }
      case "ok":
        return { response: HttpServerResponse.unsafeJson(body), final: false }
    }
  })

const DocumentRequest = Schema.Struct({
  kind: Schema.Literal("receipt"),
  tracking_number: Schema.String.pipe(Schema.pattern(/^1Z[0-9A-Z]{16}$/))
})

const documentContent = (key: string): Content =>
  HttpServerRequest.schemaBodyJson(DocumentRequest).pipe(
    Effect.map(({ tracking_number }) => ({
      response: HttpServerResponse.unsafeJson({ id: key, tracking_number, pages: 1 }, { status: 201 }),
      final: false
    })),
    Effect.orElseSucceed(() => ({
      response: HttpServerResponse.unsafeJson({ error: "tracking_number is required" }, { status: 422 }),
      final: true
    }))
  )

const screenshotContent = (key: string): Content =>
  Effect.succeed({
    response: HttpServerResponse.unsafeJson({ id: key, format: "png", bytes: 48_213 }, { status: 201 }),
    final: false
  })

const json = (status: number, body: unknown, headers?: Record<string, string>) =>
  HttpServerResponse.unsafeJson(body, { status, ...(headers === undefined ? {} : { headers }) })

/** Runs the fault injector for one request, then answers with `content` if no fault applies. */
const handle = (
  config: CarrierApiConfig,
  ledger: Ledger,
  endpoint: Endpoint,
  key: string,
  content: Content
) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const now = yield* Clock.currentTimeMillis
    const state = ledger.state(key)
    const early = now < state.deadline
    const afterFinal = state.final
    const log = (answer: Answer) => ledger.requests.push({ time: now, endpoint, key, answer, early, afterFinal })
    if (early) {
      log(429)
      const left = Math.ceil((state.deadline - now) / 1000)
      return json(429, { error: "rate limited" }, { "retry-after": String(left) })
    }
    let fault = requestFault(config.seed, config.rates, endpoint, key, state.next++)
    if (state.exempt) {
      state.exempt = false
      if (fault._tag === "RateLimited") fault = { _tag: "None" }
    }
    switch (fault._tag) {
      case "Reset": {
        log("reset")
        // The client sees the connection reset: platform-node gives us the raw Node request.
        NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
        return HttpServerResponse.empty()
      }
      case "RateLimited": {
        log(429)
        const seconds = retryAfterSeconds(fault.retryAfterSimulatedSeconds, config.timeScale)
        state.deadline = (yield* Clock.currentTimeMillis) + seconds * 1000
        state.exempt = true
        return json(429, { error: "rate limited" }, { "retry-after": String(seconds) })
      }
      case "Unavailable":
        log(503)
        return json(503, { error: "carrier backend unavailable" })
      case "InsufficientStorage":
        log(507)
        return json(507, { error: "renderer out of memory" })
      case "SlowResponse":
        log("slow")
        // Slower than the client's timeout: the client gives up and closes the connection, which
        // interrupts this handler.
        yield* Effect.sleep(config.slowResponseMillis)
        return (yield* content).response
      case "None": {
        const answer = yield* content
        if (answer.final) state.final = true
        log(answer.response.status)
        return answer.response
      }
    }
  })

const idempotencyKey = Effect.map(
  HttpServerRequest.HttpServerRequest,
  (request) => request.headers["idempotency-key"] ?? ""
)

const missingKey = json(400, { error: "Idempotency-Key is required" })

const router = (config: CarrierApiConfig, ledger: Ledger) =>
  HttpRouter.empty.pipe(
    // Not in the ledger, never faulted: the worker warms its connections up with it.
    HttpRouter.get("/health", Effect.succeed(HttpServerResponse.text("ok"))),
    HttpRouter.get(
      "/track/:number",
      Effect.flatMap(HttpRouter.params, ({ number = "" }) =>
        handle(config, ledger, "tracking", number, trackingContent(config, number)))
    ),
    HttpRouter.post(
      "/screenshots",
      Effect.flatMap(idempotencyKey, (key) =>
        key === "" ? Effect.succeed(missingKey) : handle(config, ledger, "screenshot", key, screenshotContent(key)))
    ),
    HttpRouter.post(
      "/documents",
      Effect.flatMap(idempotencyKey, (key) =>
        key === "" ? Effect.succeed(missingKey) : handle(config, ledger, "document", key, documentContent(key)))
    )
  )

/** Starts the carrier API on 127.0.0.1 with an ephemeral port; it stops with the scope. */
export const start = (config: CarrierApiConfig): Effect.Effect<CarrierApi, ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    const ledger = new Ledger()
    let raw: http.Server | undefined
    const context = yield* Layer.build(NodeHttpServer.layer(() => {
      raw = http.createServer()
      // Longer than any run: the server never closes an idle connection just as the client reuses
      // it, which the client would see as a reset the server never counted.
      raw.keepAliveTimeout = 65_000
      return raw
    }, { port: 0, host: "127.0.0.1" }))
    // Runs before the server's own close: when the jobs are done, any connection still open is
    // a leftover, such as a slow response the client gave up on whose socket the client kept. The
    // server's close would wait for it, up to the keep-alive timeout.
    yield* Effect.addFinalizer(() => Effect.sync(() => raw?.closeAllConnections()))
    const server = Context.get(context, HttpServer.HttpServer)
    yield* HttpServer.serveEffect(router(config, ledger)).pipe(Effect.provide(context))
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : 0
    return { url: `http://127.0.0.1:${port}`, ledger }
  })
