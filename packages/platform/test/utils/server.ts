/**
 * A scripted HTTP server on 127.0.0.1 with an ephemeral port, for live tests. Each request takes
 * the next behaviour of the script (a 200 once the script is used up) and is recorded with its
 * arrival time, method, URL and headers.
 */
import { Effect } from "effect"
import type { IncomingHttpHeaders } from "node:http"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export type Behaviour =
  | {
    readonly status: number
    readonly headers?: Record<string, string> | ((arrival: Arrival) => Record<string, string>)
    readonly body?: string
    /** Milliseconds before the response head is sent. */
    readonly delay?: number
  }
  /** Destroys the socket after the request head arrived: the client sees a reset. */
  | { readonly destroy: true }

export interface Arrival {
  /** Epoch milliseconds. */
  readonly time: number
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
}

export interface TestServer {
  readonly url: (path: string) => string
  readonly arrivals: ReadonlyArray<Arrival>
}

const listen = (server: http.Server) =>
  Effect.async<number>((resume) => {
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
  })

const close = (server: http.Server) =>
  Effect.async<void>((resume) => {
    server.close(() => resume(Effect.void))
    server.closeAllConnections()
  })

/** A server that answers with `script`, closed with the scope. */
export const testServer = (script: ReadonlyArray<Behaviour>) =>
  Effect.gen(function*() {
    const arrivals: Array<Arrival> = []
    const timers = new Set<NodeJS.Timeout>()
    const server = http.createServer((req, res) => {
      const arrival: Arrival = { time: Date.now(), method: req.method ?? "", url: req.url ?? "", headers: req.headers }
      const behaviour = script[arrivals.length] ?? { status: 200, body: "ok" }
      arrivals.push(arrival)
      // Drain the request body, so the connection stays usable.
      req.resume()
      if ("destroy" in behaviour) {
        req.socket.destroy()
        return
      }
      const respond = () => {
        if (res.destroyed) return
        const headers = typeof behaviour.headers === "function" ? behaviour.headers(arrival) : behaviour.headers
        res.writeHead(behaviour.status, { "content-type": "text/plain", ...headers })
        res.end(behaviour.body ?? `status ${behaviour.status}`)
      }
      if (behaviour.delay === undefined) return respond()
      const timer = setTimeout(() => {
        timers.delete(timer)
        respond()
      }, behaviour.delay)
      timers.add(timer)
    })
    server.on("clientError", (_, socket) => socket.destroy())
    const port = yield* Effect.acquireRelease(listen(server), () =>
      Effect.suspend(() => {
        for (const timer of timers) clearTimeout(timer)
        return close(server)
      }))
    const result: TestServer = { url: (path) => `http://127.0.0.1:${port}${path}`, arrivals }
    return result
  })

/** A URL on a port that was open a moment ago and is closed now: connections are refused. */
export const refusedUrl = (path: string) =>
  Effect.gen(function*() {
    const server = http.createServer()
    const port = yield* listen(server)
    yield* close(server)
    return `http://127.0.0.1:${port}${path}`
  })
