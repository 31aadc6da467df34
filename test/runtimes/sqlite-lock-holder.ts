// Entry file (Bun): holds an exclusive lock on a new SQLite file until it is killed, as a server starting on it does.
const { Database } = (await import('bun:sqlite' as string)) as {
  Database: new (file: string) => { exec(sql: string): unknown }
}

declare const process: { env: Record<string, string | undefined> }

const db = new Database(process.env.HALLPASS_SQLITE_FILE ?? '')
db.exec('BEGIN EXCLUSIVE')
console.log(JSON.stringify({ locked: true }))
setInterval(() => db, 1 << 30) // keeps the process, and so the lock, until the test kills it
