// Inline schemas shared by tests (SQLAlchemy's _fixtures.py): the datasource block and the small model sets several files use unchanged.

/** The datasource block of an inline schema: SQLite, which createAll() swaps for PostgreSQL when the URL says so. */
export const SQLITE_DATASOURCE = 'datasource db {\n  provider = "sqlite"\n}\n'

/** A whole inline schema: {@link SQLITE_DATASOURCE}, then the model blocks. */
export function sqliteSchema(...models: readonly string[]): string {
  return [SQLITE_DATASOURCE, ...models].join('\n')
}

/** Role has many User through the nullable `User.roleId` (both sides `select`, the default). */
export const ROLE_USER_MODELS = `model Role {
  id    Int    @id @default(autoincrement())
  name  String
  users User[]
}

model User {
  id     Int    @id @default(autoincrement())
  name   String
  roleId Int?
  role   Role?  @relation(fields: [roleId], references: [id])
}
`

/** Post and Tag through Prisma's implicit join table `_PostToTag` (A = Post, the model that sorts first); `Tag.posts` is dynamic (a query). */
export const POST_TAG_MODELS = `model Post {
  id    Int    @id @default(autoincrement())
  title String
  tags  Tag[]
}

model Tag {
  id    Int    @id @default(autoincrement())
  name  String
  /// @lazy(dynamic)
  posts Post[]
}
`

/** Author has many Book through the nullable `Book.authorId`. */
export const AUTHOR_BOOK_MODELS = `model Author {
  id    Int    @id @default(autoincrement())
  name  String
  books Book[]
}

model Book {
  id       Int     @id @default(autoincrement())
  authorId Int?
  author   Author? @relation(fields: [authorId], references: [id])
}
`

/**
 * Tables named as statements alias related rows (`t1`, `s1` in subqueries, `j1` in joins): Node is a
 * tree (`parent`/`children`) in "t1", Label in "s1" holds Nodes through the join table `_LabelToNode`,
 * Jar in "j1" belongs to a Node. An alias must never take the name of a table the statement reads by name.
 */
export const ALIAS_NAMED_MODELS = `model Node {
  id       Int     @id @default(autoincrement())
  name     String
  parentId Int?
  parent   Node?   @relation("Tree", fields: [parentId], references: [id])
  children Node[]  @relation("Tree")
  labels   Label[]
  jars     Jar[]

  @@map("t1")
}

model Label {
  id    Int    @id @default(autoincrement())
  name  String
  nodes Node[]

  @@map("s1")
}

model Jar {
  id     Int  @id @default(autoincrement())
  nodeId Int
  node   Node @relation(fields: [nodeId], references: [id])

  @@map("j1")
}
`
