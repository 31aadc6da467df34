// Deno 2.9 (the npm package `deno`): the scenario matrix over real HTTP, through hallpass/fetch and hallpass/hono on Deno.serve.
import { describeRuntime } from './scenarios.ts'

describeRuntime('deno')
