// Sends anonymous visitors of the signed-in pages to the sign-in page before anything renders.
import type { NextRequest } from 'next/server'
import { gate } from '@/lib/session'

const signedIn = gate({ signIn: '/login' })

export async function proxy(request: NextRequest) {
  return signedIn(request)
}

export const config = {
  matcher: ['/account/:path*', '/admin/:path*'],
}
