/** Lints: warnings where a schema is legal but likely wrong for prismalchemy (never errors). */
import type { LoadedSchema } from '../dmmf/load-schema.js'
import type { Diagnostic } from '../errors.js'
import type { SchemaDescription } from './description.js'
import { SourceLocator } from './source-locations.js'

/** True when some index (id, unique or normal) of `model` starts with exactly `fields`, in any order. */
function indexed(schema: LoadedSchema, model: string, fields: readonly string[]): boolean {
  return schema.datamodel.indexes.some((index) => {
    if (index.model !== model || index.fields.length < fields.length) return false
    const prefix = index.fields.slice(0, fields.length).map((field) => field.name)
    return fields.every((field) => prefix.includes(field))
  })
}

/**
 * A `dynamic` relationship is a query filtered on the related table's foreign key: without an index
 * on it, every `count()`, `filterBy()` or `all()` scans the whole table.
 */
function dynamicWithoutIndex(schema: LoadedSchema, description: SchemaDescription, locator: SourceLocator): Diagnostic[] {
  const warnings: Diagnostic[] = []
  for (const model of description.models) {
    for (const relation of model.relations) {
      if (relation.strategy !== 'dynamic' || relation.ownsForeignKey) continue
      if (indexed(schema, relation.target, relation.remoteColumns)) continue
      const fields = relation.remoteColumns.join(', ')
      warnings.push({
        ...locator.field(model.name, relation.name),
        severity: 'warning',
        message: `${model.name}.${relation.name} is @lazy(dynamic), so its queries filter ${relation.target} on (${fields}), which has no index. Add @@index([${fields}]) to model ${relation.target}.`,
      })
    }
  }
  return warnings
}

/** Every lint, in a stable order. */
export function lintSchema(schema: LoadedSchema, description: SchemaDescription): Diagnostic[] {
  return dynamicWithoutIndex(schema, description, new SourceLocator(schema.files))
}
