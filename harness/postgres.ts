// The PostgreSQL server's side of tests and the bench: databases created and dropped next to the
// one a URL names.
import pg from 'pg';

/** Waiting longer than this to connect to a local server means it is down. */
const CONNECT_TIMEOUT_MS = 10_000;

/** The URL of database `name` on the server `serverUrl` names. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one statement (CREATE or DROP DATABASE, say) on the database `serverUrl` names, then disconnects. */
export async function adminQuery(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
