/**
 * `pnpm demo`: a carrier-tracking worker against a flaky local carrier API, with intelligent
 * retry and with a naive retry, then a report. `pnpm demo -- --help` lists the flags.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Exit from "effect/Exit"
import { cli } from "./Demo.js"
import type { Sink } from "./Progress.js"

const sink = (stream: NodeJS.WriteStream): Sink => ({
  write: (text) => stream.write(text),
  isTTY: stream.isTTY === true,
  get columns() {
    return stream.columns
  }
})

NodeRuntime.runMain(cli(process.argv.slice(2), { stdout: sink(process.stdout), stderr: sink(process.stderr) }), {
  disablePrettyLogger: true,
  teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) && typeof exit.value === "number" ? exit.value : 1)
})
