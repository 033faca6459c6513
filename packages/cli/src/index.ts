/**
 * @intelligent-retry/cli: the operator's command and dashboard.
 *
 * @since 0.1.0
 */
export {}
