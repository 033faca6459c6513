/**
 * `intelligent-retry serve`: the dashboard's HTTP server, on `@effect/platform`'s `HttpServer`
 * (Node's through `@effect/platform-node`).
 *
 * Routes: `/` the page, `/api/state` the state as JSON, `/events` the state as server-sent
 * events (one `state` event at once, then one each time a read differs from the last), `/health`.
 * One fiber reads the store every `refresh` and publishes the state; every open page shares it,
 * so the database sees one reader whatever the number of pages.
 *
 * @internal
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as http from "node:http"
import * as DashboardState from "./dashboardState.js"
import { CliError } from "./errors.js"
import type { Fleet } from "./fleet.js"
import { html } from "./page.js"

/**
 * Options of the server.
 *
 * @internal
 */
export interface DashboardOptions {
  readonly fleet: Fleet
  /** Port; 0 picks a free one. */
  readonly port: number
  /** Interface to listen on. Default: 127.0.0.1 (this machine only). */
  readonly host: string
  /** How often the store is read. */
  readonly refresh: Duration.Duration
}

/** What the last read gave: the state's JSON, or why it could not be read. */
type Published =
  | { readonly _tag: "State"; readonly json: string }
  | { readonly _tag: "Problem"; readonly json: string }

const encoder = new TextEncoder()

const event = (published: Published): Uint8Array =>
  encoder.encode(`event: ${published._tag === "State" ? "state" : "problem"}\ndata: ${published.json}\n\n`)

/** A comment line every 15 seconds keeps proxies from closing an idle stream. */
const HEARTBEAT = encoder.encode(": keep-alive\n\n")

const readOnce = (fleet: Fleet): Effect.Effect<Published> =>
  Clock.currentTimeMillis.pipe(
    Effect.flatMap((now) => DashboardState.read(fleet, now)),
    Effect.map((state): Published => ({ _tag: "State", json: JSON.stringify(state) })),
    Effect.catchAll((error: CliError) =>
      Effect.succeed<Published>({ _tag: "Problem", json: JSON.stringify({ message: error.message }) })
    )
  )

/** Equal states but for the time they were read are not news. */
const sameData = (a: Published, b: Published): boolean =>
  a._tag === b._tag && a.json.replace(/"generatedAt":\d+,/, "") === b.json.replace(/"generatedAt":\d+,/, "")

const router = (published: SubscriptionRef.SubscriptionRef<Published>) =>
  HttpRouter.empty.pipe(
    HttpRouter.get(
      "/",
      Effect.succeed(HttpServerResponse.text(html, {
        contentType: "text/html; charset=utf-8",
        headers: { "cache-control": "no-store" }
      }))
    ),
    HttpRouter.get(
      "/api/state",
      Effect.map(SubscriptionRef.get(published), (p) =>
        HttpServerResponse.text(p.json, {
          status: p._tag === "State" ? 200 : 503,
          contentType: "application/json",
          headers: { "cache-control": "no-store" }
        }))
    ),
    HttpRouter.get(
      "/events",
      Effect.succeed(HttpServerResponse.stream(
        Stream.merge(
          published.changes.pipe(Stream.changesWith(sameData), Stream.map(event)),
          Stream.repeatEffectWithSchedule(Effect.succeed(HEARTBEAT), Schedule.spaced("15 seconds")).pipe(
            Stream.drop(1)
          ),
          { haltStrategy: "left" }
        ),
        { contentType: "text/event-stream", headers: { "cache-control": "no-store", "x-accel-buffering": "no" } }
      ))
    ),
    HttpRouter.get("/health", Effect.succeed(HttpServerResponse.text("ok")))
  )

/**
 * Starts the server in the current scope and returns its URL. The first read of the store is
 * done before listening, so that a database that cannot be read fails the command at once.
 *
 * @internal
 */
export const start = (options: DashboardOptions): Effect.Effect<string, CliError, Scope.Scope> =>
  Effect.gen(function*() {
    const first = yield* Clock.currentTimeMillis.pipe(Effect.flatMap((now) => DashboardState.read(options.fleet, now)))
    const published = yield* SubscriptionRef.make<Published>({ _tag: "State", json: JSON.stringify(first) })
    yield* readOnce(options.fleet).pipe(
      Effect.flatMap((p) => SubscriptionRef.set(published, p)),
      Effect.repeat(Schedule.spaced(options.refresh)),
      Effect.delay(options.refresh),
      Effect.forkScoped
    )
    let raw: http.Server | undefined
    const context = yield* Layer.build(NodeHttpServer.layer(() => {
      raw = http.createServer()
      return raw
    }, { port: options.port, host: options.host })).pipe(
      Effect.mapError((error) =>
        new CliError({
          message: `Cannot listen on ${options.host}:${options.port} (--port): ${
            Option.getOrElse(Option.fromNullable((error.cause as Error | undefined)?.message), () => String(error))
          }`,
          exitCode: 1
        })
      )
    )
    // Open event streams never end by themselves: close them before the server's own close, which
    // would wait for them.
    yield* Effect.addFinalizer(() => Effect.sync(() => raw?.closeAllConnections()))
    yield* HttpServer.serveEffect(router(published)).pipe(Effect.provide(context))
    const address = Context.get(context, HttpServer.HttpServer).address
    const port = address._tag === "TcpAddress" ? address.port : options.port
    const host = options.host.includes(":") ? `[${options.host}]` : options.host
    return `http://${host}:${port}/`
  })

/**
 * The default refresh: the store is read every 2 seconds.
 *
 * @internal
 */
export const DEFAULT_REFRESH = Duration.seconds(2)
