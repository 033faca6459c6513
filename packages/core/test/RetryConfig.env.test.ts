import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const fixture = path.join(import.meta.dirname, "fixtures", "envDefault.ts")

/** Runs the fixture in a fresh process (the environment is read once per process) with `env`. */
const runWith = (env: Record<string, string>) => {
  const output = execFileSync(process.execPath, ["--import", "tsx", "--conditions", "source", fixture], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000
  })
  const lines = output.trim().split("\n")
  return { result: JSON.parse(lines[lines.length - 1]), logs: lines.slice(0, -1) }
}

describe("the guide's environment variables apply by default, with no layer", () => {
  it("RETRY_NETWORK_MAX_RETRIES=2: 3 attempts; INTELLIGENT_RETRY_ENABLED=false: 1 attempt", () => {
    const two = runWith({ RETRY_NETWORK_MAX_RETRIES: "2", INTELLIGENT_RETRY_LOG_LEVEL: "none" })
    expect(two.result).toEqual({ attempts: 3, exit: "Failure", died: false })
    expect(two.logs).toEqual([])
    const off = runWith({ INTELLIGENT_RETRY_ENABLED: "false" })
    expect(off.result).toEqual({ attempts: 1, exit: "Failure", died: false })
  })

  it("each scheduled retry is logged at INFO by default", () => {
    const { logs, result } = runWith({ RETRY_NETWORK_MAX_RETRIES: "1" })
    expect(result.attempts).toBe(2)
    expect(logs.length).toBe(1)
    expect(logs[0]).toMatch(/level=INFO .*message="Retry in 0: env_default attempt 1 failed with network_error/)
  })

  it("a malformed variable is reported once, naming it, and every run dies with it", () => {
    const { logs, result } = runWith({ RETRY_NETWORK_MAX_RETRIES: "many" })
    expect(result).toEqual({ attempts: 1, exit: "Failure", died: true })
    const errors = logs.filter((line) => line.includes("level=ERROR"))
    expect(errors.length).toBe(1)
    expect(errors[0]).toContain("Invalid RETRY_NETWORK_MAX_RETRIES: must be an integer ≥ 0, got \\\"many\\\"")
  })
})
