/**
 * The real services a test needs, as started by `scripts/services.sh` (which `pnpm test` runs).
 *
 * A test that needs Redis, PostgreSQL or Chromium asks here for its address. When the variable is
 * missing the test fails with a message naming the service, unless the contributor set
 * `INTELLIGENT_RETRY_SKIP_SERVICES=1`, in which case the suite is skipped and says why.
 */
import { describe } from "vitest"

/** The variables `scripts/services.sh` sets, by service. */
export const services = {
  redis: { variable: "REDIS_URL", what: "Redis (Debian redis-server)" },
  postgres: { variable: "DATABASE_URL", what: "PostgreSQL (Debian postgresql)" },
  chromium: { variable: "CHROMIUM_PATH", what: "Chromium (Debian chromium)" }
} as const

export type Service = keyof typeof services

const skipping = process.env.INTELLIGENT_RETRY_SKIP_SERVICES === "1"

/** The address of a service, or a thrown error naming what is missing and how to get it. */
export const serviceUrl = (service: Service): string => {
  const { variable, what } = services[service]
  const value = process.env[variable]
  if (value !== undefined && value !== "") return value
  throw new Error(
    `${what} is needed: ${variable} is not set. Run the tests through scripts/services.sh ` +
      `(\`pnpm test\` does), or set INTELLIGENT_RETRY_SKIP_SERVICES=1 to skip the tests that need it.`
  )
}

/**
 * `describe` for a block that needs real services: skipped, with the reason in its name, only when
 * `INTELLIGENT_RETRY_SKIP_SERVICES=1`; otherwise a missing service fails the block.
 */
export const describeWithServices = (
  name: string,
  needs: ReadonlyArray<Service>,
  body: () => void
): void => {
  if (skipping) {
    describe.skip(`${name} (skipped: INTELLIGENT_RETRY_SKIP_SERVICES=1, needs ${needs.join(", ")})`, body)
    return
  }
  for (const service of needs) serviceUrl(service)
  describe(name, body)
}
