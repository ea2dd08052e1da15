// Small schemas shared by generator tests.

/** Role/User where `Role.users` carries the unknown strategy `@lazy(eager)` at line 7, column 7. */
export const BAD_ANNOTATION_SCHEMA_LINES: readonly string[] = [
  'datasource db {',
  '  provider = "sqlite"',
  '}',
  '',
  'model Role {',
  '  id    Int    @id',
  '  /// @lazy(eager)',
  '  users User[]',
  '}',
  '',
  'model User {',
  '  id     Int   @id',
  '  roleId Int?',
  '  role   Role? @relation(fields: [roleId], references: [id])',
  '}',
]
