// Round trips for a corpus schema: rows of every model (parents first) written by a session and read by PrismaClient, and the reverse, compared field by field.
import { isDeepStrictEqual } from 'node:util'
import type { DMMF } from '@prisma/generator-helper'
import type { Model, ModelClass, Session } from 'prismalchemy'
import type { ModelDefinition, ModelRegistry, RelationshipDefinition } from 'prismalchemy/internal'
import type { PrismaClientLike } from '../helpers/prisma-client.js'
import { comparable, shown } from './comparable.js'
import { assignedForUs, columnValue, requiredValue, type ColumnFacts } from './row-values.js'

/** What a round trip needs: the mapped models, Prisma's view of the same schema, and both clients. */
export interface RoundTripContext {
  readonly registry: ModelRegistry
  readonly datamodel: DMMF.Datamodel
  readonly provider: string
  /** A new session on the schema's database(s) that keeps values after commit. */
  session(): Session
  /** The PrismaClient on the database of a bind (null: the default one). */
  clientFor(bind: string | null): PrismaClientLike
}

/** The outcome of one direction: each problem names the model, the row and the field. */
export interface RoundTripReport {
  readonly problems: string[]
  /** Models whose rows made the trip with every field equal. */
  readonly passed: string[]
}

/** Rows of one model as plain column values, by model name: the parents of later models. */
type WrittenRows = Map<string, Record<string, unknown>[]>

/** Everything the corpus knows about one model. */
interface ModelPlan {
  readonly definition: ModelDefinition
  readonly modelClass: ModelClass
  readonly facts: ReadonlyMap<string, ColumnFacts>
  /** To-one relations whose foreign key this model holds. */
  readonly owned: readonly RelationshipDefinition[]
  /** Those of `owned` whose foreign key columns are all NOT NULL. */
  readonly required: ReadonlySet<string>
  readonly foreignKeyColumns: ReadonlySet<string>
  /** PrismaClient's delegate: the model name with a lower-case first letter. */
  readonly delegate: string
}

/** Rows per model: row 0 gives every column a value, row 1 only what is required (defaults fill the rest). */
const ROWS = [0, 1] as const

/** Names the error: class, stable code when there is one, and the first line of the message. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  const firstLine = error.message.trim().split('\n').filter((line) => line.trim() !== '').slice(0, 3).join(' / ')
  return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${firstLine.slice(0, 400)}`
}

/** A required parent row is missing because its own model failed first. */
class MissingParent extends Error {}

/**
 * Plans every mapped model, in an order where each comes after the models its required foreign keys
 * reference; models the corpus cannot write are reported in `problems` and left out.
 */
function planModels(context: RoundTripContext, problems: string[]): ModelPlan[] {
  const plans = new Map<string, ModelPlan>()
  for (const [name, mapper] of context.registry.mappers) {
    // A view's rows come from the tables it reads, and the session refuses to write them (test/integration/views.test.ts reads them).
    if (mapper.definition.view === true) continue
    const model = context.datamodel.models.find((candidate) => candidate.name === name)
    if (model === undefined) {
      problems.push(`${name}: mapped by the generator, but PrismaClient has no such model`)
      continue
    }
    const definition = mapper.definition
    const facts = new Map<string, ColumnFacts>()
    for (const column of definition.columns) {
      const field = model.fields.find((candidate) => candidate.name === column.name)
      if (field === undefined) {
        problems.push(`${name}.${column.name}: mapped by the generator, but PrismaClient has no such field`)
        continue
      }
      const enumValues = field.kind === 'enum' ? context.datamodel.enums.find((e) => e.name === field.type)?.values.map((value) => value.name) : undefined
      facts.set(column.name, { column, field, ...(enumValues === undefined ? {} : { enumValues }) })
    }
    const owned = definition.relationships.filter((relationship) => relationship.ownsForeignKey && !relationship.uselist && relationship.secondary === undefined)
    const nullable = new Set(definition.columns.filter((column) => column.nullable).map((column) => column.name))
    plans.set(name, {
      definition,
      modelClass: context.registry.classes[name]!,
      facts,
      owned,
      required: new Set(owned.filter((relationship) => relationship.localColumns.every((column) => !nullable.has(column))).map((relationship) => relationship.name)),
      foreignKeyColumns: new Set(owned.flatMap((relationship) => relationship.localColumns)),
      delegate: name.charAt(0).toLowerCase() + name.slice(1),
    })
  }
  // Parents first: Kahn's algorithm over required foreign keys (a model's references to itself aside).
  const ordered: ModelPlan[] = []
  const remaining = new Map(plans)
  while (remaining.size > 0) {
    const ready = [...remaining.values()].filter((plan) =>
      plan.owned.every((relationship) => !plan.required.has(relationship.name) || relationship.target === plan.definition.name || !remaining.has(relationship.target)),
    )
    if (ready.length === 0) {
      for (const name of remaining.keys()) problems.push(`${name}: left out, its required foreign keys form a cycle with ${[...remaining.keys()].join(', ')}`)
      break
    }
    for (const plan of ready) {
      ordered.push(plan)
      remaining.delete(plan.definition.name)
    }
  }
  for (const plan of ordered) {
    const selfRequired = plan.owned.find((relationship) => relationship.target === plan.definition.name && plan.required.has(relationship.name))
    if (selfRequired !== undefined) problems.push(`${plan.definition.name}: left out, its required relation ${selfRequired.name} references its own model`)
  }
  return ordered.filter((plan) => !plan.owned.some((relationship) => relationship.target === plan.definition.name && plan.required.has(relationship.name)))
}

/** The column values a row gets, in one client's spelling; foreign keys and database-assigned columns are left out. */
function rowValues(plan: ModelPlan, row: number, provider: string, spelling: 'forSession' | 'forPrisma'): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const [name, facts] of plan.facts) {
    if (plan.foreignKeyColumns.has(name) || assignedForUs(facts.column)) continue
    if (row > 0 && !requiredValue(facts.column, facts.field)) continue
    values[name] = columnValue(facts, row, provider)[spelling]
  }
  return values
}

/** A plain object's `{ pk: value }` key in PrismaClient's spelling (decimals as text). */
function keyWhere(plan: ModelPlan, values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(plan.definition.primaryKey.map((name) => {
    const value = values[name]
    const isDecimal = plan.facts.get(name)?.column.type === 'Decimal'
    return [name, isDecimal && value !== null && value !== undefined ? String(value) : value]
  }))
}

/** Compares every mapped column of two readings of one row; pushes one problem per differing field. */
function compareRow(plan: ModelPlan, row: number, expected: Record<string, unknown>, actual: Record<string, unknown>, labels: [string, string], problems: string[]): boolean {
  let same = true
  for (const name of plan.facts.keys()) {
    const a = comparable(expected[name])
    const b = comparable(actual[name])
    if (!isDeepStrictEqual(a, b)) {
      same = false
      problems.push(`${plan.definition.name} row ${row} .${name}: ${labels[0]} ${shown(expected[name])}, ${labels[1]} ${shown(actual[name])}`)
    }
  }
  return same
}

/** An implicit many-to-many relation, taken once: from the model whose join-table column is `A`. */
interface ManyToMany {
  readonly plan: ModelPlan
  readonly relationship: RelationshipDefinition
  readonly target: ModelPlan
}

/** Every implicit many-to-many relation between planned models. */
function manyToManyOf(plans: readonly ModelPlan[]): ManyToMany[] {
  return plans.flatMap((plan) =>
    plan.definition.relationships
      .filter((relationship) => relationship.secondary?.localColumn === 'A')
      .flatMap((relationship) => {
        const target = plans.find((candidate) => candidate.definition.name === relationship.target)
        return target === undefined ? [] : [{ plan, relationship, target }]
      }),
  )
}

/** The keys of related rows as sorted comparable text, to compare two readings of a collection. */
function keysOf(plan: ModelPlan, rows: readonly Record<string, unknown>[]): string[] {
  return rows.map((row) => JSON.stringify(comparable(keyWhere(plan, row)))).sort()
}

/** A collection relationship's members, whatever its loading strategy (a dynamic one is a query). */
async function membersOf(obj: Model, name: string): Promise<Model[]> {
  const collection = (obj as unknown as Record<string, unknown>)[name] as { all?: () => Promise<Model[]> } | Promise<Model[]>
  return 'all' in collection && typeof collection.all === 'function' ? collection.all() : (collection as Promise<Model[]>)
}

/** The column values of a mapped object (what the session holds after commit). */
function snapshot(plan: ModelPlan, obj: Model): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const name of plan.facts.keys()) values[name] = (obj as unknown as Record<string, unknown>)[name]
  return values
}

/**
 * Writes two rows of every model through sessions (one session and one commit per model, parents
 * loaded with `session.get` and assigned to the relations), then reads each row with PrismaClient and
 * compares every field with what the session holds; then sets, by an UPDATE, the optional foreign
 * keys to models written later, and links implicit many-to-many rows through a collection, checking
 * both through PrismaClient.
 */
export async function sessionToPrisma(context: RoundTripContext): Promise<RoundTripReport> {
  const problems: string[] = []
  const passed: string[] = []
  const plans = planModels(context, problems)
  const written: WrittenRows = new Map()
  for (const plan of plans) {
    const name = plan.definition.name
    const session = context.session()
    try {
      const objects: Model[] = []
      for (const row of ROWS) {
        const init = rowValues(plan, row, context.provider, 'forSession')
        for (const relationship of plan.owned) {
          let parent: Model | null | undefined
          if (relationship.target === name) parent = objects[row - 1]
          else {
            const parentRow = written.get(relationship.target)?.[row]
            const target = context.registry.classes[relationship.target]!
            if (parentRow !== undefined) parent = await session.get(target, keyWhere(plans.find((p) => p.definition.name === relationship.target)!, parentRow) as never)
          }
          if (parent) init[relationship.name] = parent
          else if (plan.required.has(relationship.name)) throw new MissingParent(`needs a ${relationship.target} row, which was not written`)
        }
        const obj = new (plan.modelClass as unknown as new (init: Record<string, unknown>) => Model)(init)
        session.add(obj)
        objects.push(obj)
      }
      await session.commit()
      written.set(name, objects.map((obj) => snapshot(plan, obj)))
    } catch (error) {
      problems.push(`${name}: ${error instanceof MissingParent ? error.message : `the session could not write its rows: ${describeError(error)}`}`)
    } finally {
      await session.close()
    }
  }
  for (const plan of plans) {
    const rows = written.get(plan.definition.name)
    if (rows === undefined) continue
    let same = true
    for (const [row, values] of rows.entries()) {
      try {
        const found = await context.clientFor(plan.definition.bind ?? null)[plan.delegate].findFirst({ where: keyWhere(plan, values) })
        if (found === null) {
          problems.push(`${plan.definition.name} row ${row}: PrismaClient finds no row with key ${shown(keyWhere(plan, values))}`)
          same = false
        } else same = compareRow(plan, row, values, found, ['session wrote', 'PrismaClient read'], problems) && same
      } catch (error) {
        problems.push(`${plan.definition.name} row ${row}: PrismaClient could not read it: ${describeError(error)}`)
        same = false
      }
    }
    if (same) passed.push(plan.definition.name)
  }
  // Optional foreign keys to models written later (the second of two tables referencing each other): set by an UPDATE.
  for (const [index, plan] of plans.entries()) {
    const rows = written.get(plan.definition.name)
    if (rows === undefined) continue
    const later = plan.owned.filter((relationship) => plans.findIndex((p) => p.definition.name === relationship.target) > index && written.has(relationship.target))
    if (later.length === 0) continue
    const session = context.session()
    try {
      const obj = (await session.get(plan.modelClass, keyWhere(plan, rows[0]!) as never)) as Model
      for (const relationship of later) {
        const target = plans.find((p) => p.definition.name === relationship.target)!
        ;(obj as unknown as Record<string, unknown>)[relationship.name] = await session.get(target.modelClass, keyWhere(target, written.get(target.definition.name)![0]!) as never)
      }
      await session.commit()
      const found = await context.clientFor(plan.definition.bind ?? null)[plan.delegate].findFirst({ where: keyWhere(plan, rows[0]!) })
      compareRow(plan, 0, snapshot(plan, obj), found ?? {}, ['session updated to', 'PrismaClient read'], problems)
    } catch (error) {
      problems.push(`${plan.definition.name}: the session could not set ${later.map((r) => r.name).join(', ')} on a written row: ${describeError(error)}`)
    } finally {
      await session.close()
    }
  }
  // Implicit many-to-many: row 0 of one side linked to both rows of the other through a loaded collection.
  for (const { plan, relationship, target } of manyToManyOf(plans)) {
    const owners = written.get(plan.definition.name)
    const members = written.get(target.definition.name)
    if (owners === undefined || members === undefined) continue
    const link = `${plan.definition.name}.${relationship.name}`
    const session = context.session()
    try {
      const owner = (await session.get(plan.modelClass, keyWhere(plan, owners[0]!) as never)) as Model
      const related = await Promise.all(members.map((member) => session.get(target.modelClass, keyWhere(target, member) as never)))
      const collection = (owner as unknown as Record<string, unknown>)[relationship.name] as { append?: (obj: Model) => void } | Promise<Model[]>
      if ('append' in collection && typeof collection.append === 'function') for (const member of related) collection.append(member as Model)
      else (await (collection as Promise<Model[]>)).push(...(related as Model[]))
      await session.commit()
      const found = await context.clientFor(plan.definition.bind ?? null)[plan.delegate].findFirst({ where: keyWhere(plan, owners[0]!), include: { [relationship.name]: true } })
      const read = keysOf(target, found?.[relationship.name] ?? [])
      if (!isDeepStrictEqual(read, keysOf(target, members))) problems.push(`${link}: the session linked ${keysOf(target, members).join(' ')}, PrismaClient reads ${read.join(' ') || 'none'}`)
    } catch (error) {
      problems.push(`${link}: the session could not link rows: ${describeError(error)}`)
    } finally {
      await session.close()
    }
  }
  return { problems, passed }
}

/**
 * Writes two rows of every model with PrismaClient (`create` with the foreign key columns set to the
 * parents' keys), then reads each row by key through a new session and compares every field with
 * what `create` returned; connects implicit many-to-many rows and checks the collection the session loads.
 */
export async function prismaToSession(context: RoundTripContext): Promise<RoundTripReport> {
  const problems: string[] = []
  const passed: string[] = []
  const plans = planModels(context, problems)
  const written: WrittenRows = new Map()
  for (const plan of plans) {
    const name = plan.definition.name
    const client = context.clientFor(plan.definition.bind ?? null)
    const created: Record<string, unknown>[] = []
    try {
      for (const row of ROWS) {
        const data = rowValues(plan, row, context.provider, 'forPrisma')
        for (const relationship of plan.owned) {
          const parentRow = relationship.target === name ? created[row - 1] : written.get(relationship.target)?.[row]
          if (parentRow !== undefined) relationship.localColumns.forEach((column, i) => (data[column] = parentRow[relationship.remoteColumns[i]!]))
          else if (plan.required.has(relationship.name)) throw new MissingParent(`needs a ${relationship.target} row, which was not written`)
        }
        created.push(await client[plan.delegate].create({ data }))
      }
      written.set(name, created)
    } catch (error) {
      problems.push(`${name}: ${error instanceof MissingParent ? error.message : `PrismaClient could not write its rows: ${describeError(error)}`}`)
      continue
    }
    const session = context.session()
    let same = true
    try {
      for (const [row, values] of created.entries()) {
        try {
          const obj = await session.get(plan.modelClass, keyWhere(plan, values) as never)
          if (obj === null) {
            problems.push(`${name} row ${row}: the session finds no row with key ${shown(keyWhere(plan, values))}`)
            same = false
          } else same = compareRow(plan, row, values, snapshot(plan, obj as Model), ['PrismaClient wrote', 'session read'], problems) && same
        } catch (error) {
          problems.push(`${name} row ${row}: the session could not read it: ${describeError(error)}`)
          same = false
        }
      }
    } finally {
      await session.close()
    }
    if (same) passed.push(name)
  }
  // Implicit many-to-many: PrismaClient connects row 0 of one side to both rows of the other; the session reads the collection.
  for (const { plan, relationship, target } of manyToManyOf(plans)) {
    const owners = written.get(plan.definition.name)
    const members = written.get(target.definition.name)
    if (owners === undefined || members === undefined) continue
    const link = `${plan.definition.name}.${relationship.name}`
    const session = context.session()
    try {
      const client = context.clientFor(plan.definition.bind ?? null)
      await client[plan.delegate].update({ where: keyWhere(plan, owners[0]!), data: { [relationship.name]: { connect: members.map((member) => keyWhere(target, member)) } } })
      const owner = (await session.get(plan.modelClass, keyWhere(plan, owners[0]!) as never)) as Model
      const read = keysOf(target, (await membersOf(owner, relationship.name)).map((member) => snapshot(target, member)))
      if (!isDeepStrictEqual(read, keysOf(target, members))) problems.push(`${link}: PrismaClient linked ${keysOf(target, members).join(' ')}, the session reads ${read.join(' ') || 'none'}`)
    } catch (error) {
      problems.push(`${link}: ${describeError(error)}`)
    } finally {
      await session.close()
    }
  }
  return { problems, passed }
}
