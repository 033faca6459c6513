/**
 * One command regenerates every number: `main.ts all` (the root's `pnpm bench`).
 *
 * - `runtime`: runtime overhead (tinybench) and the statistics store (in a child process with
 *   `--expose-gc`, for clean heap numbers) → `bench/results/runtime.json`;
 * - `simulate`: the policy simulator, its parts in a pool of child processes →
 *   `bench/results/simulation.json`;
 * - `report`: `docs/benchmarks.md` and `docs/img/*.svg` from whatever results exist;
 * - `all`: the three, in that order.
 *
 * Progress goes to stderr.
 */
import { spawn } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { machine, resultsDir } from "./machine.js"
import { writeReport } from "./report/markdown.js"
import { runOverhead } from "./runtime/overhead.js"
import { runStore } from "./runtime/store.js"
import { assemble, parts, runPart, simulate } from "./sim/index.js"

const log = (line: string) => process.stderr.write(`${line}\n`)

// Every scheduled retry is logged at INFO by default: a benchmark of failing runs would time the
// console. The environment is read once per process, on first use, so this is set before any run.
process.env.INTELLIGENT_RETRY_LOG_LEVEL ??= "none"

const writeJson = (name: string, value: unknown) => {
  mkdirSync(resultsDir, { recursive: true })
  const file = path.join(resultsDir, name)
  writeFileSync(file, JSON.stringify(value, null, 2) + "\n")
  log(`wrote ${path.relative(process.cwd(), file)}`)
}

const runtime = async () => {
  const load = os.loadavg()[0]
  const t0 = performance.now()
  log("runtime overhead")
  const overhead = await runOverhead(log)
  log("statistics store (child process, --expose-gc)")
  const store = await child(["store-child"], ["--expose-gc"])
  const seconds = (performance.now() - t0) / 1000
  writeJson("runtime.json", { machine: machine(load), seconds, overhead, store })
}

/** Runs `main.ts <args>` in a child process (same loader flags) and parses its stdout as JSON. */
const child = (args: ReadonlyArray<string>, nodeFlags: ReadonlyArray<string> = []): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const self = fileURLToPath(import.meta.url)
    const proc = spawn(process.execPath, [...process.execArgv, ...nodeFlags, self, ...args], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    const chunks: Array<Buffer> = []
    proc.stdout.on("data", (chunk: Buffer) => chunks.push(chunk))
    proc.on("error", reject)
    proc.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${args.join(" ")} exited with ${code}`))
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")))
      } catch (error) {
        reject(error)
      }
    })
  })

/**
 * The simulator's parts, in a pool of child processes (one per core, largest part first): each
 * part's numbers depend only on the seed, so the results are the same as a serial run's
 * (`BENCH_SERIAL=1` runs them in this process).
 */
const simulation = async () => {
  const load = os.loadavg()[0]
  const t0 = performance.now()
  const workers = Math.max(1, Math.min(os.availableParallelism(), parts.length))
  log(`simulator: ${parts.length} parts, ${process.env.BENCH_SERIAL === "1" ? "serial" : `${workers} processes`}`)
  let results
  if (process.env.BENCH_SERIAL === "1") {
    results = simulate({ log })
  } else {
    const rows = new Map<string, ReadonlyArray<unknown>>()
    const timing: Record<string, number> = {}
    const queue = [...parts]
    const worker = async () => {
      for (let part = queue.shift(); part !== undefined; part = queue.shift()) {
        const out = (await child(["sim-part", part])) as { rows: ReadonlyArray<unknown>; seconds: number }
        rows.set(part, out.rows)
        timing[part] = out.seconds
        log(`  ${part}: ${out.seconds.toFixed(1)} s`)
      }
    }
    await Promise.all(Array.from({ length: workers }, worker))
    results = assemble(rows, timing)
  }
  const seconds = (performance.now() - t0) / 1000
  writeJson("simulation.json", { machine: machine(load), seconds, ...results })
}

const main = async (command: string) => {
  switch (command) {
    case "store-child": {
      const store = await runStore(log)
      process.stdout.write(JSON.stringify(store))
      return
    }
    case "sim-part": {
      const t0 = performance.now()
      const rows = runPart(process.argv[3])
      process.stdout.write(JSON.stringify({ rows, seconds: (performance.now() - t0) / 1000 }))
      return
    }
    case "runtime":
      await runtime()
      break
    case "simulate":
      await simulation()
      break
    case "report":
      break
    case "all":
      await runtime()
      await simulation()
      break
    default:
      throw new Error(`unknown command ${JSON.stringify(command)}: use all, runtime, simulate or report`)
  }
  writeReport(log)
}

const command = process.argv[2] ?? "all"
const t0 = performance.now()
await main(command)
if (command !== "store-child" && command !== "sim-part") {
  log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}
