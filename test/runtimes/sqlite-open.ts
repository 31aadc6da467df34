// Entry file (Deno, or another Node through tsx): sqliteStore({ database: <file> }) and the error it throws, as one JSON line.
import process from 'node:process'
import { sqliteStore } from 'hallpass/stores/sqlite'

try {
  await sqliteStore({ database: process.env.HALLPASS_SQLITE_FILE ?? '' }).close()
  console.log(JSON.stringify({ opened: true }))
} catch (error) {
  const { code, message } = error as { code?: unknown; message?: unknown }
  console.log(JSON.stringify({ code, message }))
}
