// Every request (pages, server functions, server routes) goes through the session middleware.
import { createMiddleware, createStart } from '@tanstack/react-start'
import { sessionHandler } from './lib/session.server'

const sessionMiddleware = createMiddleware().server(sessionHandler)

export const startInstance = createStart(() => ({
  requestMiddleware: [sessionMiddleware],
}))
