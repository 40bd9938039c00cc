/**
 * Settings are sent per statement, only where a statement needs them, and each exists in the minimum server version
 * (test/analytics/sql-compat.test.ts checks every one against ClickHouse's own system.settings_changes).
 * Nothing is set client-wide: a ClickHouse server rejects a whole request that names a setting it does not know.
 */
/** The oldest ClickHouse server the warehouse supports: an LTS release. */
export const MIN_CLICKHOUSE_VERSION = "25.8";

/** Dashboard and check queries (JSONEachRow): 64-bit counts as JSON numbers, as the metric rows declare them. */
export const QUERY_SETTINGS = { output_format_json_quote_64bit_integers: 0 } as const;

/** Event inserts: ISO timestamps from the worker; ReplacingMergeTree would otherwise sort-collapse each block. */
export const INSERT_SETTINGS = { date_time_input_format: "best_effort", optimize_on_insert: 0 } as const;

/**
 * On a server, inserts are buffered by the server (several warehouse processes may ingest at once) and a retried
 * batch is dropped by its deduplication token (the hash of its event ids), for replicated and plain tables alike.
 */
export function serverInsertSettings(token: string) {
  return {
    ...INSERT_SETTINGS,
    async_insert: 1,
    wait_for_async_insert: 1,
    async_insert_deduplicate: 1,
    insert_deduplicate: 1,
    insert_deduplication_token: token,
  } as const;
}
