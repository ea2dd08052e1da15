// `/// @bind(...)` above an enum was dropped without a word (README: @bind anywhere but above a model stops generation).
import { expect, it } from 'vitest'
import { located, schemaErrorOf } from '../helpers/schema-errors.js'

const FILE = 'schema/enum-bind.prisma'

it('refuses @bind above an enum, at its line', async () => {
  const content = [
    'datasource db {', //        1
    '  provider = "postgresql"', // 2
    '}', //                      3
    '', //                       4
    '/// Kinds of users.', //    5
    '/// @bind(analytics)', //   6
    'enum Kind {', //            7
    '  A', //                    8
    '}', //                      9
    '', //                       10
    'model User {', //           11
    '  id   Int  @id', //        12
    '  kind Kind', //            13
    '}', //                      14
    '',
  ].join('\n')
  const error = await schemaErrorOf([{ path: FILE, content }])
  expect(error.code).toBe('annotation_invalid')
  expect(located(error)).toEqual([{ file: FILE, line: 6, column: 5, severity: 'error' }])
  expect(error.diagnostics[0].message).toBe('"@bind" is only allowed on models (a /// line above `model Name {`), not on enum "Kind".')
})
