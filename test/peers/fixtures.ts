// SQLAlchemy's ORM test fixtures (users, addresses, orders, items, keywords, dingalings, nodes) as a Prisma schema, with per-test strategies and cascades.
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import type { TestDialect } from '../helpers/dialects.js'

/** Per relationship (`Model.field`): the `@lazy(...)` strategy, the `@cascade(...)` list and the `@orderBy(...)` keys to declare on it. */
export interface PeerSchemaOptions {
  readonly lazy?: Readonly<Record<string, string>>
  readonly cascade?: Readonly<Record<string, string>>
  readonly orderBy?: Readonly<Record<string, string>>
}

/** The `///` lines for one relationship field, from the options. */
function annotations(options: PeerSchemaOptions, field: string): string {
  const lines: string[] = []
  const lazy = options.lazy?.[field]
  if (lazy !== undefined) lines.push(`  /// @lazy(${lazy})`)
  const cascade = options.cascade?.[field]
  if (cascade !== undefined) lines.push(`  /// @cascade(${cascade})`)
  const orderBy = options.orderBy?.[field]
  if (orderBy !== undefined) lines.push(`  /// @orderBy(${orderBy})`)
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

/** The fixture schema: SQLAlchemy's `_fixtures.FixtureTest` tables, named as there, every relationship `select` unless told. */
export function peerSchema(options: PeerSchemaOptions = {}): string {
  const a = (field: string) => annotations(options, field)
  return `datasource db {
  provider = "sqlite"
}

model User {
  id        Int       @id @default(autoincrement())
  name      String
${a('User.addresses')}  addresses Address[]
${a('User.orders')}  orders    Order[]
  @@map("users")
}

model Address {
  id           Int        @id @default(autoincrement())
  userId       Int?       @map("user_id")
  emailAddress String     @map("email_address")
${a('Address.user')}  user         User?      @relation(fields: [userId], references: [id])
${a('Address.orders')}  orders       Order[]
${a('Address.dingalings')}  dingalings   Dingaling[]
  @@map("addresses")
}

model Order {
  id          Int      @id @default(autoincrement())
  userId      Int?     @map("user_id")
  addressId   Int?     @map("address_id")
  description String?
  isopen      Int      @default(0)
${a('Order.user')}  user        User?    @relation(fields: [userId], references: [id])
${a('Order.address')}  address     Address? @relation(fields: [addressId], references: [id])
${a('Order.items')}  items       Item[]
  @@map("orders")
}

model Item {
  id          Int       @id @default(autoincrement())
  description String
${a('Item.orders')}  orders      Order[]
${a('Item.keywords')}  keywords    Keyword[]
  @@map("items")
}

model Keyword {
  id    Int    @id @default(autoincrement())
  name  String
${a('Keyword.items')}  items Item[]
  @@map("keywords")
}

model Dingaling {
  id        Int      @id @default(autoincrement())
  addressId Int?     @map("address_id")
  data      String?
${a('Dingaling.address')}  address   Address? @relation(fields: [addressId], references: [id])
  @@map("dingalings")
}

model Node {
  id       Int     @id @default(autoincrement())
  parentId Int?    @map("parent_id")
  data     String?
${a('Node.parent')}  parent   Node?   @relation("tree", fields: [parentId], references: [id])
${a('Node.children')}  children Node[]  @relation("tree")
  @@map("nodes")
}
`
}

/**
 * SQLAlchemy's fixture rows (`_fixtures.FixtureTest.static`): users 7 jack, 8 ed, 9 fred, 10 chuck; addresses 1-5;
 * orders 1-5; items 1-5 with their orders and keywords; dingalings 1-2. Prisma's implicit join tables are
 * `_ItemToOrder` (A = item, B = order) and `_ItemToKeyword` (A = item, B = keyword).
 */
export const FIXTURE_ROWS_SQL = `
INSERT INTO "users" ("id", "name") VALUES (7, 'jack'), (8, 'ed'), (9, 'fred'), (10, 'chuck');
INSERT INTO "addresses" ("id", "user_id", "email_address") VALUES
  (1, 7, 'jack@bean.com'), (2, 8, 'ed@wood.com'), (3, 8, 'ed@bettyboop.com'), (4, 8, 'ed@lala.com'), (5, 9, 'fred@fred.com');
INSERT INTO "orders" ("id", "user_id", "address_id", "description", "isopen") VALUES
  (1, 7, 1, 'order 1', 0), (2, 9, 4, 'order 2', 0), (3, 7, 1, 'order 3', 1), (4, 9, 4, 'order 4', 1), (5, 7, NULL, 'order 5', 0);
INSERT INTO "items" ("id", "description") VALUES (1, 'item 1'), (2, 'item 2'), (3, 'item 3'), (4, 'item 4'), (5, 'item 5');
INSERT INTO "_ItemToOrder" ("A", "B") VALUES (1, 1), (2, 1), (3, 1), (1, 2), (2, 2), (3, 2), (3, 3), (4, 3), (5, 3), (1, 4), (5, 4), (5, 5);
INSERT INTO "keywords" ("id", "name") VALUES (1, 'blue'), (2, 'red'), (3, 'green'), (4, 'big'), (5, 'small'), (6, 'round'), (7, 'square');
INSERT INTO "_ItemToKeyword" ("A", "B") VALUES (1, 2), (2, 2), (1, 4), (1, 6), (2, 5), (3, 3), (3, 4), (2, 7), (3, 6);
INSERT INTO "dingalings" ("id", "address_id", "data") VALUES (1, 2, 'ding 1/2'), (2, 5, 'ding 2/5');
`

/** On PostgreSQL, explicit ids leave the sequences behind: move them past the fixture rows. */
const RESET_SEQUENCES_SQL = ['users', 'addresses', 'orders', 'items', 'keywords', 'dingalings', 'nodes']
  .map((table) => `SELECT setval(pg_get_serial_sequence('"${table}"', 'id'), 100);`)
  .join('\n')

/** The fixture models on a fresh database of `dialect`, empty, with `seed()` to insert the fixture rows. */
export interface PeerModels extends InlineModels {
  /** Inserts SQLAlchemy's fixture rows (with the plain driver, bypassing every session). */
  seed(): Promise<void>
  /** Deletes every row of every table (with the plain driver). */
  clear(): Promise<void>
}

/** Generates the fixture models with `options`' strategies, cascades and orders, and creates their tables on `dialect`. */
export async function peerModels(name: string, dialect: TestDialect, options: PeerSchemaOptions = {}): Promise<PeerModels> {
  const models = await inlineModels(name, peerSchema(options), dialect)
  return {
    ...models,
    seed: async () => {
      await models.database.execute(FIXTURE_ROWS_SQL)
      if (dialect === 'postgresql') await models.database.execute(RESET_SEQUENCES_SQL)
    },
    clear: () =>
      models.database.execute(
        ['_ItemToOrder', '_ItemToKeyword', 'dingalings', 'orders', 'addresses', 'users', 'keywords', 'items', 'nodes'].map((t) => `DELETE FROM "${t}";`).join('\n'),
      ),
  }
}
