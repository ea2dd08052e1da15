/** MySQL's side of createAll/dropAll: Prisma's wasm schema engine has no MySQL connector, so the schema's DDL is rendered here, as `prisma db push` creates it (loaded on first use). */
import type { RenderedSchemaPush } from '../database-definition.js'

/** The MySQL/MariaDB row's schema push: mysql-schema-apply.ts, imported when a schema is first pushed or dropped. */
export const mysqlSchemaPush: RenderedSchemaPush = {
  kind: 'rendered-ddl',
  provider: 'mysql',
  push: async (request) => (await import('./mysql-schema-apply.js')).pushMysqlSchema(request),
  drop: async (request) => (await import('./mysql-schema-apply.js')).dropMysqlSchema(request),
}
