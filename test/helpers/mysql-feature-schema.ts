// A MySQL schema using every feature createAll() renders DDL for: native types, defaults of each kind, enums with mapped values,
// @@id, @@unique, @@index with sort and prefix length, @@fulltext, mapped names, self relations, implicit many-to-many
// (named, self, long), explicit referential actions and Prisma's defaults, names cut to MySQL's 64 bytes, @ignore, @@ignore, Unsupported.

/** The schema's text (provider mysql). */
export const MYSQL_FEATURES_SCHEMA = `datasource db {
  provider = "mysql"
}

enum Status {
  DRAFT @map("draft")
  LIVE

  @@map("status_enum")
}

model Account {
  id       Int       @id @default(autoincrement())
  email    String    @unique(map: "account_email")
  handle   String    @db.VarChar(32)
  bio      String?   @db.Text
  balance  Decimal   @default(0.50) @db.Decimal(10, 2)
  ratio    Float     @default(1.5)
  visits   BigInt    @default(0)
  small    Int       @default(-1) @db.SmallInt
  tiny     Int       @db.TinyInt
  flag     Boolean   @default(false)
  bit      Boolean   @db.Bit(1)
  code     String    @default(dbgenerated("(uuid())")) @db.Char(36)
  quote    String    @default("it's \\"quoted\\"")
  status   Status    @default(DRAFT)
  meta     Json?
  settings Json      @default("{}")
  blob     Bytes?
  token    Bytes     @default("AQID") @db.VarBinary(16)
  born     DateTime  @db.Date
  seen     DateTime  @default(now()) @db.Timestamp(6)
  at       DateTime  @default("2024-01-02T03:04:05.678+02:00")
  updated  DateTime  @updatedAt @map("updated_at")
  count    Int       @db.UnsignedInt
  location Unsupported("point")?
  legacy   String?   @ignore
  parentId Int?      @map("parent_id")
  parent   Account?  @relation("tree", fields: [parentId], references: [id])
  children Account[] @relation("tree")
  friends  Account[] @relation("friends")
  friendOf Account[] @relation("friends")
  posts    Post[]
  tags     Tag[]
  longs    AVeryLongModelNameThatGoesOnAndOnAndOnForeverAndEverAndEver[]
  longTags AVeryLongModelNameThatGoesOnAndOnAndOnForeverAndEverAndEver[] @relation("a_relation_name_long_enough_to_make_its_join_table_name_longer_than_64")

  @@unique([handle, status])
  @@index([bio(length: 20), email(sort: Desc)], map: "account_bio_email")
  @@fulltext([bio])
  @@map("accounts")
}

model Post {
  accountId  Int
  slug       String
  title      String
  account    Account   @relation(fields: [accountId], references: [id], onDelete: Cascade, onUpdate: NoAction, map: "post_account")
  reviewerId Int?
  reviewer   Reviewer? @relation(fields: [reviewerId], references: [id])

  @@id([accountId, slug])
}

model Tag {
  id       String    @id @default(cuid()) @db.VarChar(30)
  accounts Account[]
}

model Reviewer {
  id    Int    @id
  posts Post[]
}

model AVeryLongModelNameThatGoesOnAndOnAndOnForeverAndEverAndEver {
  id                                           Int       @id
  aVeryLongColumnNameThatIsAlsoQuiteLongIndeed String    @unique
  ownerAccountIdentifierWithAVeryLongName      Int
  owner                                        Account   @relation(fields: [ownerAccountIdentifierWithAVeryLongName], references: [id])
  taggedBy                                     Account[] @relation("a_relation_name_long_enough_to_make_its_join_table_name_longer_than_64")
}

model Legacy {
  id Int @id

  @@ignore
}
`
