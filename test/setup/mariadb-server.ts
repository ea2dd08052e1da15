// Vitest global setup: starts a throwaway MariaDB server (the 'mysql' dialect) on loopback for the whole run, with the example schema's template database.
import type { TestProject } from 'vitest/node'
import { registry } from '../../generated/models.js'
import { pushSchema } from '../../runtime/engine/schema-engine.js'
import { dialectsUnderTest, MYSQL_TEMPLATE } from '../helpers/dialects.js'
import { startMariaDb, type MariaDbServer } from '../helpers/mariadb-server.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The password user's URL of the MySQL test server's `mysql` database (every privilege); empty when MySQL is not under test. */
    mysqlUrl: string
    /**
     * Why the example schema could not be pushed into the MySQL template database, or empty when it was: the
     * MySQL tests that copy the template fail with it, the rest of the run goes on.
     */
    mysqlTemplateError: string
  }
}

let server: MariaDbServer | undefined

/** Starts the server, creates the example schema's template database, and hands the URL to the tests. */
export async function setup(project: TestProject): Promise<void> {
  project.provide('mysqlUrl', '')
  project.provide('mysqlTemplateError', '')
  if (!dialectsUnderTest().includes('mysql')) return
  server = await startMariaDb()
  await server.rootSql(`CREATE DATABASE ${MYSQL_TEMPLATE}`)
  try {
    await pushSchema({ url: server.urlFor(MYSQL_TEMPLATE), sources: registry.schema.sources })
  } catch (error) {
    project.provide('mysqlTemplateError', error instanceof Error ? error.message : String(error))
  }
  project.provide('mysqlUrl', server.urlFor('mysql'))
}

/** Stops the server and deletes its data directory. */
export async function teardown(): Promise<void> {
  await server?.stop()
}
