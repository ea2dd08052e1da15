// Prisma's MySQL DDL rendered without its schema engine: the exact text prisma-engines' golden migration tests expect, and
// every rule of its MySQL renderer and schema calculator (native types, defaults, index and foreign key names cut to
// 64 bytes, implicit many-to-many join tables) pinned on one schema that uses them all.
import { describe, expect, it } from 'vitest'
import { createScript } from '../../runtime/databases/mysql/mysql-ddl.js'
import { mysqlTables } from '../../runtime/databases/mysql/mysql-tables.js'
import { parseSchema } from '../../runtime/engine/schema-syntax.js'
import { MYSQL_FEATURES_SCHEMA } from '../helpers/mysql-feature-schema.js'

/** The statements createAll() runs on an empty database for `schema`. */
function script(schema: string): string[] {
  return createScript(mysqlTables(parseSchema([{ path: 'schema.prisma', content: schema }])))
}

/** Prisma's migration text: `-- CreateTable` comments and `;` ends dropped, split into statements. */
function migration(text: string): string[] {
  return text
    .split(/;\n*/)
    .map((statement) => statement.replace(/^-- \w+\n/, '').trim())
    .filter((statement) => statement !== '')
}

// prisma-engines schema-engine/sql-migration-tests/tests/single_migration_tests/mysql/*.prisma: each schema with the migration it expects.
describe("prisma-engines' golden MySQL migrations", () => {
  it('renders default constraint names (create_constraint_name_tests_w_implicit_names)', () => {
    const schema = `datasource mydb {
    provider = "mysql"
    relationMode = "prisma"
}

model A {
    id   Int    @id
    name String @unique
    a    String
    b    String
    B    B[]    @relation("AtoB")
    @@unique([a, b], name: "compound")
    @@index([a])
}

model B {
    a   String
    b   String
    aId Int
    A   A      @relation("AtoB", fields: [aId], references: [id])
    @@index([a,b])
    @@id([a, b])
}
`
    expect(script(schema)).toEqual(
      migration(`-- CreateTable
CREATE TABLE \`A\` (
    \`id\` INTEGER NOT NULL,
    \`name\` VARCHAR(191) NOT NULL,
    \`a\` VARCHAR(191) NOT NULL,
    \`b\` VARCHAR(191) NOT NULL,

    UNIQUE INDEX \`A_name_key\`(\`name\`),
    INDEX \`A_a_idx\`(\`a\`),
    UNIQUE INDEX \`A_a_b_key\`(\`a\`, \`b\`),
    PRIMARY KEY (\`id\`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE \`B\` (
    \`a\` VARCHAR(191) NOT NULL,
    \`b\` VARCHAR(191) NOT NULL,
    \`aId\` INTEGER NOT NULL,

    INDEX \`B_a_b_idx\`(\`a\`, \`b\`),
    PRIMARY KEY (\`a\`, \`b\`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
`),
    )
  })

  it('renders mapped constraint names (create_constraint_name_tests_w_explicit_names)', () => {
    const schema = `datasource mydb {
    provider = "mysql"
    relationMode = "prisma"
}

model A {
    id   Int    @id
    name String @unique(map: "SingleUnique")
    a    String
    b    String
    B    B[]    @relation("AtoB")
    @@unique([a, b], name: "compound", map:"NamedCompoundUnique")
    @@unique([a, b], map:"UnNamedCompoundUnique")
    @@index([a], map: "SingleIndex")
}

model B {
    a   String
    b   String
    aId Int
    A   A      @relation("AtoB", fields: [aId], references: [id], map: "ForeignKey")
    @@index([a,b], map: "CompoundIndex")
    @@id([a, b])
}
`
    expect(script(schema)).toEqual(
      migration(`-- CreateTable
CREATE TABLE \`A\` (
    \`id\` INTEGER NOT NULL,
    \`name\` VARCHAR(191) NOT NULL,
    \`a\` VARCHAR(191) NOT NULL,
    \`b\` VARCHAR(191) NOT NULL,

    UNIQUE INDEX \`SingleUnique\`(\`name\`),
    INDEX \`SingleIndex\`(\`a\`),
    UNIQUE INDEX \`NamedCompoundUnique\`(\`a\`, \`b\`),
    UNIQUE INDEX \`UnNamedCompoundUnique\`(\`a\`, \`b\`),
    PRIMARY KEY (\`id\`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE \`B\` (
    \`a\` VARCHAR(191) NOT NULL,
    \`b\` VARCHAR(191) NOT NULL,
    \`aId\` INTEGER NOT NULL,

    INDEX \`CompoundIndex\`(\`a\`, \`b\`),
    PRIMARY KEY (\`a\`, \`b\`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
`),
    )
  })

  it('renders enum columns inline with their defaults (enums/enum_fields)', () => {
    const schema = `datasource mydb {
    provider = "mysql"
}

model MyTable {
    id Int @id
    k Kind? @default(error)
    r Result @default(succeeded)
}

enum Result {
  succeeded
  failed
}

enum Kind {
  info
  warning
  error
}
`
    expect(script(schema)).toEqual(
      migration(`-- CreateTable
CREATE TABLE \`MyTable\` (
    \`id\` INTEGER NOT NULL,
    \`k\` ENUM('info', 'warning', 'error') NULL DEFAULT 'error',
    \`r\` ENUM('succeeded', 'failed') NOT NULL DEFAULT 'succeeded',

    PRIMARY KEY (\`id\`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
`),
    )
  })
})

describe('every rendered feature on one schema', () => {
  const statements = script(MYSQL_FEATURES_SCHEMA)

  it('renders each column type and default as the MySQL renderer does (a DateTime literal as the UTC wall clock, which MariaDB takes), and the indexes in psl order (@unique, @@index, @@unique, @@fulltext)', () => {
    expect(statements[0]).toBe(`CREATE TABLE \`accounts\` (
    \`id\` INTEGER NOT NULL AUTO_INCREMENT,
    \`email\` VARCHAR(191) NOT NULL,
    \`handle\` VARCHAR(32) NOT NULL,
    \`bio\` TEXT NULL,
    \`balance\` DECIMAL(10, 2) NOT NULL DEFAULT 0.50,
    \`ratio\` DOUBLE NOT NULL DEFAULT 1.5,
    \`visits\` BIGINT NOT NULL DEFAULT 0,
    \`small\` SMALLINT NOT NULL DEFAULT -1,
    \`tiny\` TINYINT NOT NULL,
    \`flag\` BOOLEAN NOT NULL DEFAULT false,
    \`bit\` BIT(1) NOT NULL,
    \`code\` CHAR(36) NOT NULL DEFAULT (uuid()),
    \`quote\` VARCHAR(191) NOT NULL DEFAULT 'it''s "quoted"',
    \`status\` ENUM('draft', 'LIVE') NOT NULL DEFAULT 'draft',
    \`meta\` JSON NULL,
    \`settings\` JSON NOT NULL,
    \`blob\` LONGBLOB NULL,
    \`token\` VARBINARY(16) NOT NULL,
    \`born\` DATE NOT NULL,
    \`seen\` TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    \`at\` DATETIME(3) NOT NULL DEFAULT '2024-01-02 01:04:05.678',
    \`updated_at\` DATETIME(3) NOT NULL,
    \`count\` INTEGER UNSIGNED NOT NULL,
    \`location\` point NULL,
    \`legacy\` VARCHAR(191) NULL,
    \`parent_id\` INTEGER NULL,

    UNIQUE INDEX \`account_email\`(\`email\`),
    INDEX \`account_bio_email\`(\`bio\`(20), \`email\` DESC),
    UNIQUE INDEX \`accounts_handle_status_key\`(\`handle\`, \`status\`),
    FULLTEXT INDEX \`accounts_bio_idx\`(\`bio\`),
    PRIMARY KEY (\`id\`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  })

  it('creates the tables of @@ignore models and the join tables after the models, then every foreign key', () => {
    expect(statements.map((statement) => /^(CREATE TABLE|ALTER TABLE) `[^`]+`(?: ADD CONSTRAINT `[^`]+`)?/.exec(statement)?.[0])).toEqual([
      'CREATE TABLE `accounts`',
      'CREATE TABLE `Post`',
      'CREATE TABLE `Tag`',
      'CREATE TABLE `Reviewer`',
      'CREATE TABLE `AVeryLongModelNameThatGoesOnAndOnAndOnForeverAndEverAndEver`',
      'CREATE TABLE `Legacy`',
      'CREATE TABLE `_friends`',
      'CREATE TABLE `_AccountToTag`',
      'CREATE TABLE `_a_relation_name_long_enough_to_make_its_join_table_name_longer_`',
      'ALTER TABLE `accounts` ADD CONSTRAINT `accounts_parent_id_fkey`',
      'ALTER TABLE `Post` ADD CONSTRAINT `post_account`',
      'ALTER TABLE `Post` ADD CONSTRAINT `Post_reviewerId_fkey`',
      'ALTER TABLE `AVeryLongModelNameThatGoesOnAndOnAndOnForeverAndEverAndEver` ADD CONSTRAINT `AVeryLongModelNameThatGoesOnAndOnAndOnForeverAndEverAndEver_fkey`',
      'ALTER TABLE `_friends` ADD CONSTRAINT `_friends_A_fkey`',
      'ALTER TABLE `_friends` ADD CONSTRAINT `_friends_B_fkey`',
      'ALTER TABLE `_AccountToTag` ADD CONSTRAINT `_AccountToTag_A_fkey`',
      'ALTER TABLE `_AccountToTag` ADD CONSTRAINT `_AccountToTag_B_fkey`',
      'ALTER TABLE `_a_relation_name_long_enough_to_make_its_join_table_name_longer_` ADD CONSTRAINT `_a_relation_name_long_enough_to_make_its_join_table_name__A_fkey`',
      'ALTER TABLE `_a_relation_name_long_enough_to_make_its_join_table_name_longer_` ADD CONSTRAINT `_a_relation_name_long_enough_to_make_its_join_table_name__B_fkey`',
    ])
  })

  it('gives foreign keys their actions: explicit ones, else RESTRICT when required and SET NULL when optional, ON UPDATE CASCADE', () => {
    expect(statements.filter((statement) => statement.startsWith('ALTER TABLE `Post`') || statement.startsWith('ALTER TABLE `accounts`'))).toEqual([
      'ALTER TABLE `accounts` ADD CONSTRAINT `accounts_parent_id_fkey` FOREIGN KEY (`parent_id`) REFERENCES `accounts`(`id`) ON DELETE SET NULL ON UPDATE CASCADE',
      'ALTER TABLE `Post` ADD CONSTRAINT `post_account` FOREIGN KEY (`accountId`) REFERENCES `accounts`(`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
      'ALTER TABLE `Post` ADD CONSTRAINT `Post_reviewerId_fkey` FOREIGN KEY (`reviewerId`) REFERENCES `Reviewer`(`id`) ON DELETE SET NULL ON UPDATE CASCADE',
    ])
    expect(statements).toContain(
      'ALTER TABLE `AVeryLongModelNameThatGoesOnAndOnAndOnForeverAndEverAndEver` ADD CONSTRAINT `AVeryLongModelNameThatGoesOnAndOnAndOnForeverAndEverAndEver_fkey` ' +
        'FOREIGN KEY (`ownerAccountIdentifierWithAVeryLongName`) REFERENCES `accounts`(`id`) ON DELETE RESTRICT ON UPDATE CASCADE',
    )
  })

  it('cuts default names to 64 bytes as psl does: `{table}_{columns}` to 60 before `_key`, to 59 before `_fkey`', () => {
    expect(statements[4]).toContain('UNIQUE INDEX `AVeryLongModelNameThatGoesOnAndOnAndOnForeverAndEverAndEver__key`(`aVeryLongColumnNameThatIsAlsoQuiteLongIndeed`)')
  })

  it("renders join tables as Prisma's `_name` with A and B typed as each side's key, a unique (A, B), an index on B and cascading keys; model A sorts first", () => {
    expect(statements[7]).toBe(`CREATE TABLE \`_AccountToTag\` (
    \`A\` INTEGER NOT NULL,
    \`B\` VARCHAR(30) NOT NULL,

    UNIQUE INDEX \`_AccountToTag_AB_unique\`(\`A\`, \`B\`),
    INDEX \`_AccountToTag_B_index\`(\`B\`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
    expect(statements.at(-1)).toBe(
      'ALTER TABLE `_a_relation_name_long_enough_to_make_its_join_table_name_longer_` ADD CONSTRAINT `_a_relation_name_long_enough_to_make_its_join_table_name__B_fkey` ' +
        'FOREIGN KEY (`B`) REFERENCES `accounts`(`id`) ON DELETE CASCADE ON UPDATE CASCADE',
    )
    expect(statements[8]).toContain('UNIQUE INDEX `_a_relation_name_long_enough_to_make_its_join_table_na_AB_unique`(`A`, `B`),\n    INDEX `_a_relation_name_long_enough_to_make_its_join_table_name_B_index`(`B`)')
  })
})
