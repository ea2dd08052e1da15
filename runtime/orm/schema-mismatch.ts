/** Names the model and field behind a statement's failure when the database's tables differ from the generated models (error path only). */
import { NotNullViolationError, SchemaMismatchError } from '../errors.js'
import type { Mapper } from './mapper.js'

/** `mapper` first, then every model its relationships reach: the tables a statement on `mapper` can name (joins, join tables). */
function reachableMappers(mapper: Mapper): Mapper[] {
  const found = [mapper]
  for (let i = 0; i < found.length; i++) {
    for (const relationship of found[i].relationships.values()) if (!found.includes(relationship.mapper)) found.push(relationship.mapper)
  }
  return found
}

/** The missing table as the models know it: a model's table, or the join table of a many-to-many relationship. */
function explainMissingTable(error: SchemaMismatchError, table: string, mappers: readonly Mapper[]): SchemaMismatchError {
  const owner = mappers.find((candidate) => candidate.table === table)
  if (owner !== undefined) return SchemaMismatchError.modelTable(owner.name, table, error.cause, error.sql)
  for (const mapper of mappers) {
    for (const relationship of mapper.relationships.values()) {
      if (relationship.secondary?.table === table) return SchemaMismatchError.joinTable(mapper.name, relationship.name, table, error.cause, error.sql)
    }
  }
  return error
}

/** The table an alias stands for in our own SQL (`"Author" AS "t1"`, or MySQL's `` `Author` AS `t1` ``, as the compiler writes joins), if `name` is one. */
function aliasedTable(sql: string | undefined, name: string): string | undefined {
  if (sql === undefined) return undefined
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const match = new RegExp(`"((?:[^"]|"")+)" AS "${escaped}"|\`((?:[^\`]|\`\`)+)\` AS \`${escaped}\``).exec(sql)
  return match?.[1]?.replaceAll('""', '"') ?? match?.[2]?.replaceAll('``', '`')
}

/**
 * The missing column as a model's field. The database may name the column's table (`table`), or an
 * alias, or nothing; the statement's own model is tried first, then the models a join may bring in.
 */
function explainMissingColumn(error: SchemaMismatchError, column: string, table: string | undefined, mappers: readonly Mapper[]): SchemaMismatchError {
  const named = table === undefined ? [] : mappers.filter((candidate) => candidate.table === (aliasedTable(error.sql, table) ?? table))
  if (named.length > 0) {
    // The database named the table (or its alias): only that model can lack the column, even where another has one of that name.
    const info = named[0].columns.find((candidate) => candidate.column === column)
    return info === undefined ? error : SchemaMismatchError.modelField(named[0].name, info.name, named[0].table, column, error.cause, error.sql)
  }
  for (const mapper of mappers) {
    const info = mapper.columns.find((candidate) => candidate.column === column)
    if (info !== undefined) return SchemaMismatchError.modelField(mapper.name, info.name, mapper.table, column, error.cause, error.sql)
  }
  return error
}

/**
 * A NOT NULL violation of an INSERT or UPDATE on `mapper`'s table, on a column no field maps: the table
 * has a required column the generated model does not know. Drivers name it `table.column` or `column`.
 */
function explainUnmappedColumn(error: NotNullViolationError, mapper: Mapper): NotNullViolationError | SchemaMismatchError {
  const named = error.column
  if (named === undefined) return error
  const dot = named.lastIndexOf('.')
  if (dot >= 0 && named.slice(0, dot) !== mapper.table) return error
  const column = named.slice(dot + 1)
  if (mapper.columns.some((candidate) => candidate.column === column)) return error
  return SchemaMismatchError.unmappedRequiredColumn(mapper.name, mapper.table, column, error.cause, error.sql)
}

/**
 * The error a statement on `mapper`'s table should raise: a {@link SchemaMismatchError} that names the
 * model and field when the database lacks a table or column the models use, or has a required column
 * they lack; any other error unchanged. Called only when a statement failed.
 * @internal
 */
export function explainSchemaMismatch(error: unknown, mapper: Mapper): unknown {
  if (error instanceof SchemaMismatchError && error.model === undefined) {
    const mappers = reachableMappers(mapper)
    if (error.column !== undefined) return explainMissingColumn(error, error.column, error.table, mappers)
    if (error.table !== undefined) return explainMissingTable(error, error.table, mappers)
    return error
  }
  if (error instanceof NotNullViolationError) return explainUnmappedColumn(error, mapper)
  return error
}
