// Compile-only: with no manager registered, req.session and request.session hold plain SessionData.
import express from 'express'
import Fastify from 'fastify'
import { createSessions, type Session, type SessionData } from 'hallpass'
import { session as expressSession } from 'hallpass/express'
import { session as fastifySession } from 'hallpass/fastify'
import { expectTypeOf } from 'vitest'

const sessions = createSessions({ secret: 'x'.repeat(40) })

const app = express()
app.use(expressSession(sessions))
app.get('/', (req, res) => {
  expectTypeOf(req.session).toEqualTypeOf<Session<SessionData>>()
  expectTypeOf(req.session.get('anything')).toEqualTypeOf<unknown>()
  res.end()
})

const server = Fastify()
await server.register(fastifySession(sessions))
server.get('/', async (request) => {
  expectTypeOf(request.session).toEqualTypeOf<Session<SessionData>>()
})
