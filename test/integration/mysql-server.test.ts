// The MySQL test infrastructure itself: the run's MariaDB server (test/setup/mariadb-server.ts) and the scratch databases test/helpers/database.ts makes on it.
import mariadb, { type Connection } from 'mariadb'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { scratchDatabase, type ScratchDatabase } from '../helpers/database.js'
import { beginOf, describeOn, MYSQL_TEMPLATE, normalizeSql, sqlOn, statementsOn } from '../helpers/dialects.js'

/** A raw connection to the test server as `user` (the URL's own unless given), with the server's default session settings. */
function connect(options: { password?: string } = {}): Promise<Connection> {
  const url = new URL(inject('mysqlUrl'))
  return mariadb.createConnection({ host: url.hostname, port: Number(url.port), user: url.username, password: options.password ?? url.password })
}

/** The databases on the server whose name is one of `names`. */
async function existing(names: readonly string[]): Promise<string[]> {
  const raw = await connect()
  try {
    const rows: { name: string }[] = await raw.query('SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name IN (?) ORDER BY schema_name', [names])
    return rows.map((row) => row.name)
  } finally {
    await raw.end()
  }
}

describeOn('mysql', 'the MySQL test server', () => {
  const made: ScratchDatabase[] = []
  const scratch = async (fromTemplate = false) => {
    const database = await scratchDatabase('mysql', { fromTemplate })
    made.push(database)
    return database
  }

  afterEach(async () => {
    for (const database of made.splice(0)) await database.drop()
  })

  it('takes the password user over TCP on loopback, with UTC, utf8mb4_unicode_ci and the default sql_mode', async () => {
    const raw = await connect()
    try {
      const [row] = await raw.query('SELECT CURRENT_USER() AS user, VERSION() AS version, @@bind_address AS bind, @@time_zone AS zone, @@collation_server AS collation, @@global.sql_mode AS mode')
      expect(row).toMatchObject({ user: 'prismalchemy@%', bind: '127.0.0.1', zone: '+00:00', collation: 'utf8mb4_unicode_ci' })
      expect(row.version).toMatch(/MariaDB/)
      // The runtime must work with a server as it comes: no ANSI_QUOTES there, only on the helpers' own connections.
      expect(row.mode).not.toMatch(/ANSI_QUOTES/)
    } finally {
      await raw.end()
    }
    await expect(connect({ password: 'wrong' })).rejects.toMatchObject({ errno: 1045 })
  })

  it('gives each test its own database, with raw access in "-quoted SQL, and drops it', async () => {
    const [one, two] = [await scratch(), await scratch()]
    expect(one.url).not.toBe(two.url)
    await one.execute('CREATE TABLE "note" ("id" INTEGER PRIMARY KEY AUTO_INCREMENT, "text" VARCHAR(20)); INSERT INTO "note" ("text") VALUES (\'it\'\'s "one"\')')
    expect(await one.readRows('SELECT "id", "text" FROM "note"')).toEqual([{ id: 1, text: 'it\'s "one"' }])
    await expect(two.readRows('SELECT "id" FROM "note"')).rejects.toMatchObject({ errno: 1146 })
    const names = [one, two].map((database) => new URL(database.url).pathname.slice(1))
    expect(await existing(names)).toEqual([...names].sort())
    for (const database of made.splice(0)) await database.drop()
    expect(await existing(names)).toEqual([])
  })

  it('drops a database a leaked connection still holds a lock in', async () => {
    const database = await scratch()
    await database.execute('CREATE TABLE "note" ("id" INTEGER PRIMARY KEY)')
    const url = new URL(database.url)
    const leaked = await mariadb.createConnection({ host: url.hostname, port: Number(url.port), user: url.username, password: url.password, database: url.pathname.slice(1) })
    leaked.on('error', () => undefined)
    await leaked.query('BEGIN')
    await leaked.query('INSERT INTO note VALUES (1)')
    await made.splice(0)[0].drop()
    expect(await existing([url.pathname.slice(1)])).toEqual([])
    await leaked.end().catch(() => undefined)
  })

  it("copies the template: the example schema's tables with their keys, empty, ids from 1", async () => {
    const [copy, other] = [await scratch(true), await scratch(true)]
    const tables = await copy.readRows<{ name: string }>(
      'SELECT table_name AS "name" FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name',
    )
    expect(tables.map((table) => table.name)).toEqual(['comments', 'posts', 'Role', 'users'])
    const foreignKeys = await copy.readRows<{ name: string; parent: string }>(
      'SELECT constraint_name AS "name", referenced_table_name AS "parent" FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE() ORDER BY constraint_name',
    )
    expect(foreignKeys).toEqual([
      { name: 'comments_post_id_fkey', parent: 'posts' },
      { name: 'posts_author_id_fkey', parent: 'users' },
      { name: 'users_roleId_fkey', parent: 'Role' },
    ])
    await copy.execute('INSERT INTO "Role" ("name") VALUES (\'admin\')')
    expect(await copy.readRows('SELECT "id", "name" FROM "Role"')).toEqual([{ id: 1, name: 'admin' }])
    expect(await other.readRows('SELECT "id" FROM "Role"')).toEqual([])
    await expect(copy.execute('INSERT INTO "posts" ("title", "author_id") VALUES (\'orphan\', 99)')).rejects.toMatchObject({ errno: 1452 })
    // The template itself stays empty.
    const raw = await connect()
    try {
      expect(await raw.query(`SELECT COUNT(*) AS n FROM ${MYSQL_TEMPLATE}.Role`)).toEqual([{ n: 0n }])
    } finally {
      await raw.end()
    }
  })
})

describe('expected SQL on mysql', () => {
  it('backticks the identifiers of a text written for the others, leaving literals and placeholders alone', () => {
    const written = `SELECT "users"."id", 'it''s "quoted"' FROM "users" WHERE "na""me" = ? AND "id" IN (?, ?)`
    expect(sqlOn('mysql', written)).toBe("SELECT `users`.`id`, 'it''s \"quoted\"' FROM `users` WHERE `na\"me` = ? AND `id` IN (?, ?)")
    expect(sqlOn('sqlite', written)).toBe(written)
    expect(sqlOn('postgresql', written)).toBe(`SELECT "users"."id", 'it''s "quoted"' FROM "users" WHERE "na""me" = $1 AND "id" IN ($2, $3)`)
  })

  it("takes an object's mysql text, or converts its sqlite one", () => {
    const differs = { sqlite: 'SELECT "id" FROM "users" LIMIT ? OFFSET ?', postgresql: 'SELECT "id" FROM "users" OFFSET $1' }
    expect(statementsOn('mysql', differs, { ...differs, mysql: 'SELECT `id` FROM `users` LIMIT 9223372036854775807 OFFSET ?' })).toEqual([
      'SELECT `id` FROM `users` LIMIT ? OFFSET ?',
      'SELECT `id` FROM `users` LIMIT 9223372036854775807 OFFSET ?',
    ])
    expect(beginOf('mysql')).toBe('BEGIN')
  })

  it('normalises what MySQL ran to the text written for every dialect', () => {
    expect(normalizeSql("UPDATE `Role` SET `name` = ? WHERE `id` = ? AND `note` = 'a `b`'")).toBe(`UPDATE "Role" SET "name" = ? WHERE "id" = ? AND "note" = 'a \`b\`'`)
    expect(normalizeSql('SELECT `a``b`, `c"d` FROM `t`')).toBe('SELECT "a`b", "c""d" FROM "t"')
    expect(normalizeSql('SELECT "id" FROM "users" WHERE "id" = $1')).toBe('SELECT "id" FROM "users" WHERE "id" = ?')
  })
})
