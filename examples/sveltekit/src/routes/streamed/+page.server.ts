// The streaming trap: a promise returned unawaited from load streams after the handle hook committed the
// session, so a session change inside it throws SESSION_COMMITTED instead of being lost.
import type { Session } from 'hallpass'
import type { Data } from '#lib/server/sessions.ts'
import type { PageServerLoad } from './$types'

async function lateWrite(session: Session<Data>): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 5))
  session.set('theme', 'dark')
  return 'The theme is now dark.'
}

export const load: PageServerLoad = ({ locals }) => ({ late: lateWrite(locals.session) })
