// What the Flask-SQLAlchemy peer tests share: their `Todo` model as an inline schema, a `db` object on a fresh database, and an Express app on loopback.
import { rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Express } from 'express'
import { createDb, type Db, type DbOptions, type Model, type Query } from 'prismalchemy'
import { scratchDatabase, type ScratchDatabase } from '../helpers/database.js'
import type { TestDialect } from '../helpers/dialects.js'
import { importInlineModels, inlineModels, type InlineModels } from '../helpers/inline-models.js'

/** Flask-SQLAlchemy's `Todo` fixture (conftest.py): an integer key and a nullable title, in table `todo`. */
export const TODO_SCHEMA = `datasource db {
  provider = "sqlite"
}

model Todo {
  id    Int     @id @default(autoincrement())
  title String?
  @@map("todo")
}
`

/* eslint-disable @typescript-eslint/no-explicit-any */
/** An object of a model that exists only at test time: any column or relationship. */
export type LooseModel = Model<Record<string, any>, Record<string, any>, any> & Record<string, any>
/** A generated class of a schema that exists only at test time, with `Model.query`. */
export type LooseClass = { new (init?: Record<string, any>): LooseModel; readonly query: Query<LooseModel> }
/* eslint-enable @typescript-eslint/no-explicit-any */
/** The generated classes of a schema that exists only at test time, by name. */
export type LooseClasses = Record<string, LooseClass>

/** A `db` object over an inline schema on a fresh database of one dialect. */
export interface PeerApp {
  readonly db: Db
  readonly models: InlineModels
  /** The generated classes, typed loosely (the schema exists only at test time). */
  readonly classes: LooseClasses
  /** Empties `tables` and restarts their key sequences, so the next row gets id 1 again (Flask's fixture creates the tables per test). */
  reset(...tables: string[]): Promise<void>
  dispose(): Promise<void>
}

/** Generates `schema`'s models, creates their tables on a fresh `dialect` database and a `db` object on it. */
export async function peerApp(name: string, dialect: TestDialect, schema = TODO_SCHEMA, options: DbOptions = {}): Promise<PeerApp> {
  const models = await inlineModels(name, schema, dialect)
  const db = createDb(models.registry, { url: models.database.url, ...options })
  return {
    db,
    models,
    classes: models.classes as unknown as LooseClasses,
    reset: async (...tables) => {
      const sql =
        dialect === 'sqlite'
          ? tables.map((table) => `DELETE FROM "${table}"; DELETE FROM sqlite_sequence WHERE name = '${table}';`).join('\n')
          : dialect === 'mysql'
            ? // TRUNCATE takes one table and restarts AUTO_INCREMENT; foreign keys would refuse it, hence the checks off.
              `SET FOREIGN_KEY_CHECKS = 0; ${tables.map((table) => `TRUNCATE "${table}";`).join(' ')} SET FOREIGN_KEY_CHECKS = 1;`
            : `TRUNCATE ${tables.map((table) => `"${table}"`).join(', ')} RESTART IDENTITY CASCADE;`
      await models.database.execute(sql)
    },
    dispose: async () => {
      await db.dispose()
      await models.dispose()
    },
  }
}

/** An HTTP server listening on loopback. */
export interface Served {
  readonly url: string
  close(): Promise<void>
}

/** Serves an Express app on 127.0.0.1 on a free port. */
export function serve(app: Express): Promise<Served> {
  return new Promise((resolve) => {
    const server: http.Server = app.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}

/** A reply: its status and its body, parsed as JSON when it is JSON. */
export interface Reply {
  readonly status: number
  readonly body: any
}

/** Sends a request on a fresh connection and reads the whole reply. */
export function request(url: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.once('end', () => {
        let body: unknown = text
        if ((res.headers['content-type'] ?? '').includes('application/json')) body = JSON.parse(text)
        resolve({ status: res.statusCode ?? 0, body })
      })
      res.once('error', reject)
    })
    req.once('error', reject)
    req.end()
  })
}

/** A `db` object over an inline schema whose models use binds: a fresh database per bind key (null: the default), tables made by `db.createAll()`. */
export interface BoundApp {
  readonly db: Db
  readonly classes: LooseClasses
  /** The database of each bind. */
  readonly databases: ReadonlyMap<string | null, ScratchDatabase>
  dispose(): Promise<void>
}

/** Generates `schema`'s models and gives the default database and each of `bindKeys` an empty database of `dialect`; no tables unless `createAll`. */
export async function boundApp(name: string, dialect: TestDialect, schema: string, bindKeys: readonly string[], options: DbOptions & { createAll?: boolean } = {}): Promise<BoundApp> {
  const models = await importInlineModels(name, schema)
  const databases = new Map<string | null, ScratchDatabase>()
  for (const key of [null, ...bindKeys]) databases.set(key, await scratchDatabase(dialect))
  const { createAll = true, ...dbOptions } = options
  const db = createDb(models.registry, {
    url: databases.get(null)!.url,
    binds: Object.fromEntries(bindKeys.map((key) => [key, databases.get(key)!.url])),
    ...dbOptions,
  })
  if (createAll) await db.createAll()
  return {
    db,
    classes: models.classes as unknown as LooseClasses,
    databases,
    dispose: async () => {
      await db.dispose()
      for (const database of databases.values()) await database.drop()
      rmSync(models.dir, { recursive: true, force: true })
    },
  }
}
