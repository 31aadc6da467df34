// Bun 1.4 (the npm package `bun`): the scenario matrix over real HTTP, through hallpass/fetch and hallpass/hono on Bun.serve.
import { describeRuntime } from './scenarios.ts'

describeRuntime('bun')
