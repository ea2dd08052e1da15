/** DMMF -> SchemaDescription: resolves columns, keys, defaults and both sides of each relation; validates annotations. */
import path from 'node:path'
import type { DMMF } from '@prisma/generator-helper'
import type { DefaultDefinition, ReferentialAction, ScalarType } from '../../runtime/internal.js'
import type { LoadedSchema } from '../dmmf/load-schema.js'
import { SchemaError, type Diagnostic, type SourceLocation } from '../errors.js'
import { checkCascade, checkLazy, checkModelAnnotations, checkOrderBy, FIELD_ANNOTATIONS_CHECKED_ELSEWHERE, KNOWN_ANNOTATIONS, parseDocumentation, type Annotation } from './annotations.js'
import type { EnumDescription, FieldDescription, ModelDescription, RelationDescription, SchemaDescription } from './description.js'
import { SourceLocator } from './source-locations.js'
import { SCALAR_TYPES } from './type-map.js'

type Problems = {
  annotation: Diagnostic[]
  unsupported: Diagnostic[]
  crossBind: Diagnostic[]
  /** Models whose model annotations are invalid: their bind is unknown, so no relation of theirs is checked against binds. */
  unknownBind: Set<string>
}

/** Whether the database enforces foreign keys, and so carries out `onDelete` itself. */
type ForeignKeys = { readonly provider: string; readonly enforced: boolean }

const REFERENTIAL_ACTIONS: readonly ReferentialAction[] = ['Cascade', 'SetNull', 'SetDefault', 'Restrict', 'NoAction']

/**
 * The action the database's constraint takes when the referenced row is deleted: `onDelete` as
 * written, else Prisma's default (SetNull for an optional relation; Restrict for a required one,
 * NoAction on SQL Server, which has no RESTRICT). Undefined when no constraint exists.
 */
function onDeleteOf(field: DMMF.Field, foreignKeys: ForeignKeys): ReferentialAction | undefined {
  if (!foreignKeys.enforced) return undefined
  const written = field.relationOnDelete
  if (written !== undefined && (REFERENTIAL_ACTIONS as readonly string[]).includes(written)) return written as ReferentialAction
  if (!field.isRequired) return 'SetNull'
  return foreignKeys.provider === 'sqlserver' ? 'NoAction' : 'Restrict'
}

/** `relationMode = "prisma"` (or MongoDB): no foreign keys in the database; Prisma Client emulates the actions, we do not. */
function foreignKeysOf(schema: LoadedSchema): ForeignKeys {
  const emulated = schema.files.some((file) => /^\s*relationMode\s*=\s*"prisma"/m.test(file.content))
  return { provider: schema.provider, enforced: !emulated && schema.provider !== 'mongodb' }
}

/** The annotation a @lazy or unknown-annotation problem is reported at: the first that is not @cascade or @orderBy. */
function lazyProblemAt(annotations: readonly Annotation[]): string {
  return (annotations.find((annotation) => !FIELD_ANNOTATIONS_CHECKED_ELSEWHERE.has(annotation.name)) ?? annotations[0])?.text ?? '@'
}

/** Where an `@orderBy` problem is: its annotation's line, moved right to the entry at fault. */
function orderByProblemAt(locator: SourceLocator, model: string, field: string, check: { annotation: Annotation; offset: number }): SourceLocation {
  const at = locator.docLine(model, field, check.annotation.text)
  return { ...at, column: at.column + check.offset }
}

/**
 * Names a model or enum cannot take, with the reason: generated models.ts exports `registry` and reaches globals through
 * `globalThis`. Runtime imports carry `$` aliases, so every other name Prisma accepts compiles.
 */
const RESERVED_TYPE_NAMES: ReadonlyMap<string, string> = new Map([
  ['registry', 'generated models.ts exports `registry` (the mapping db.ts is made from)'],
  ['globalThis', 'generated models.ts reaches Promise, Date and Uint8Array through `globalThis`'],
])
/** Property names the model base class uses or JavaScript forbids on a class body. */
const RESERVED_FIELD_NAMES = new Set(['constructor', '$columns', '$init', '$key', 'prototype'])

/** Refuses names that would clash in the generated code, with the schema location. */
function checkNames(datamodel: LoadedSchema['datamodel'], locator: SourceLocator, problems: Problems): void {
  const typeNames = new Set([...datamodel.models.map((m) => m.name), ...datamodel.enums.map((e) => e.name)])
  for (const model of datamodel.models) {
    const derived = [`${model.name}Columns`, `${model.name}Init`].filter((name) => typeNames.has(name))
    if (RESERVED_TYPE_NAMES.has(model.name) || derived.length > 0) {
      const clash = derived.length > 0 ? `its generated types would clash with ${derived.join(', ')}` : RESERVED_TYPE_NAMES.get(model.name)!
      problems.unsupported.push({ ...locator.model(model.name), message: `Model name "${model.name}" cannot be generated: ${clash}. Rename the model (keep the table with @@map).`, severity: 'error' })
    }
    for (const field of model.fields) {
      if (RESERVED_FIELD_NAMES.has(field.name)) {
        problems.unsupported.push({ ...locator.field(model.name, field.name), message: `Field name "${model.name}.${field.name}" is reserved. Rename the field (keep the column with @map).`, severity: 'error' })
      }
    }
  }
  for (const enumeration of datamodel.enums) {
    if (RESERVED_TYPE_NAMES.has(enumeration.name)) {
      problems.unsupported.push({ ...locator.model(enumeration.name), message: `Enum name "${enumeration.name}" cannot be generated: ${RESERVED_TYPE_NAMES.get(enumeration.name)!}. Rename the enum (keep the database name with @@map).`, severity: 'error' })
    }
  }
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

/** Function defaults the runtime fills in at flush (as Prisma Client does) or reads back from the database. */
const SUPPORTED_DEFAULTS = 'autoincrement(), now(), uuid(), uuid(7), cuid(), cuid(2), nanoid(), nanoid(<size>), ulid(), dbgenerated(...) or a constant'

/** The length of `nanoid()` without a size, in Prisma Client as in the nanoid library. */
const NANOID_DEFAULT_SIZE = 21

function describeDefault(field: DMMF.Field): DefaultDefinition | { unsupported: string } | undefined {
  if (!field.hasDefaultValue || field.default === undefined) return undefined
  const value = field.default as unknown
  if (typeof value === 'object' && value !== null && 'name' in value) {
    const fn = value as { name: string; args: readonly unknown[] }
    switch (fn.name) {
      case 'autoincrement':
        return { kind: 'autoincrement' }
      case 'now':
        return { kind: 'now' }
      case 'dbgenerated':
        return { kind: 'dbgenerated' }
      case 'uuid':
        return { kind: 'uuid', version: fn.args[0] === 7 ? 7 : 4 }
      case 'cuid':
        // DMMF always states the version Prisma resolved: `cuid()` is version 1 in Prisma 7, `cuid(2)` is cuid2.
        return { kind: 'cuid', version: fn.args[0] === 2 ? 2 : 1 }
      case 'nanoid':
        return { kind: 'nanoid', size: typeof fn.args[0] === 'number' ? fn.args[0] : NANOID_DEFAULT_SIZE }
      case 'ulid':
        return { kind: 'ulid' }
      default:
        return {
          unsupported: `@default(${fn.name}(${fn.args.map((arg) => JSON.stringify(arg)).join(', ')})) is not supported yet. Use ${SUPPORTED_DEFAULTS}, or set the value in application code before the object is flushed.`,
        }
    }
  }
  // A list's constant (`@default([])`, `@default(["a"])`, `@default([ADMIN])`) comes as an array of constants, as a scalar's.
  return { kind: 'value', value }
}

/** Native types whose argument is the number of fractional-second digits the database keeps. */
const FRACTIONAL_SECONDS_TYPES: ReadonlySet<string> = new Set(['Timestamp', 'Timestamptz', 'Time', 'Timetz'])

/** `{ precision }` for a DateTime column whose native type fixes its fractional seconds (`@db.Timestamp(0)`), else nothing. */
function secondsPrecision(field: DMMF.Field): { precision?: number } {
  const [name, args] = (field.nativeType ?? []) as [string?, string[]?]
  if (field.type !== 'DateTime' || name === undefined || !FRACTIONAL_SECONDS_TYPES.has(name) || args === undefined || args.length === 0) return {}
  const precision = Number(args[0])
  return Number.isInteger(precision) ? { precision } : {}
}

function describeField(model: DMMF.Model, field: DMMF.Field, locator: SourceLocator, problems: Problems): FieldDescription | undefined {
  const { annotations, prose } = parseDocumentation(field.documentation)
  const at = (needle?: string) => (needle ? locator.docLine(model.name, field.name, needle) : locator.field(model.name, field.name))
  if (annotations.length > 0) {
    const check = checkLazy(annotations, { isRelation: false, isList: field.isList })
    if ('problem' in check) problems.annotation.push({ ...at(lazyProblemAt(annotations)), message: check.problem, severity: 'error' })
    const cascade = checkCascade(annotations, { isRelation: false, ownsForeignKey: false })
    if ('problem' in cascade) problems.annotation.push({ ...at(cascade.annotation.text), message: cascade.problem, severity: 'error' })
    const order = checkOrderBy(annotations, { isRelation: false, isList: field.isList })
    if ('problem' in order) problems.annotation.push({ ...at(order.annotation.text), message: order.problem, severity: 'error' })
  }
  // Scalar lists reach here only where Prisma's validation allows them (PostgreSQL); on SQLite getDMMF refuses them with Prisma's own message.
  const type: ScalarType | undefined = field.kind === 'enum' ? 'Enum' : SCALAR_TYPES[field.type]
  if (type === undefined) {
    problems.unsupported.push({ ...at(), message: `Field type "${field.type}" of "${model.name}.${field.name}" is not supported yet.`, severity: 'error' })
    return undefined
  }
  const defaultValue = describeDefault(field)
  if (defaultValue !== undefined && 'unsupported' in defaultValue) {
    problems.unsupported.push({ ...at(), message: `${model.name}.${field.name}: ${defaultValue.unsupported}`, severity: 'error' })
    return undefined
  }
  return {
    name: field.name,
    column: field.dbName ?? field.name,
    type,
    ...(field.kind === 'enum' ? { enumName: field.type } : {}),
    list: field.isList,
    ...(field.nativeType ? { nativeType: field.nativeType[0] } : {}),
    ...secondsPrecision(field),
    // DMMF marks every list required: PrismaClient reads a missing list as [], never null.
    nullable: !field.isRequired,
    isId: field.isId,
    ...(defaultValue ? { default: defaultValue } : {}),
    updatedAt: field.isUpdatedAt === true,
    ...(prose ? { documentation: prose } : {}),
  }
}

function describeRelation(
  model: DMMF.Model,
  field: DMMF.Field,
  models: ReadonlyMap<string, DMMF.Model>,
  locator: SourceLocator,
  problems: Problems,
  foreignKeys: ForeignKeys,
): RelationDescription | undefined {
  const { annotations, prose } = parseDocumentation(field.documentation)
  const check = checkLazy(annotations, { isRelation: true, isList: field.isList })
  if ('problem' in check) {
    problems.annotation.push({ ...locator.docLine(model.name, field.name, lazyProblemAt(annotations)), message: check.problem, severity: 'error' })
    return undefined
  }
  const target = models.get(field.type)!
  const opposite = target.fields.find((f) => f.kind === 'object' && f.relationName === field.relationName && !(target === model && f.name === field.name))
  const cascadeCheck = checkCascade(annotations, {
    isRelation: true,
    ownsForeignKey: (field.relationFromFields ?? []).length > 0,
    manyToMany: opposite !== undefined && (field.relationFromFields ?? []).length === 0 && (opposite.relationFromFields ?? []).length === 0,
    ...(opposite ? { opposite: `${target.name}.${opposite.name}` } : {}),
  })
  if ('problem' in cascadeCheck) {
    problems.annotation.push({ ...locator.docLine(model.name, field.name, cascadeCheck.annotation.text), message: cascadeCheck.problem, severity: 'error' })
    return undefined
  }
  const orderCheck = checkOrderBy(annotations, { isRelation: true, isList: field.isList, target })
  if ('problem' in orderCheck) {
    problems.annotation.push({ ...orderByProblemAt(locator, model.name, field.name, orderCheck), message: orderCheck.problem, severity: 'error' })
    return undefined
  }
  const orderBy = orderCheck.orderBy.length > 0 ? { orderBy: orderCheck.orderBy } : {}
  if (opposite === undefined) {
    // Prisma requires both sides of a relation, so a missing side was left out of the DMMF by @ignore.
    problems.unsupported.push({
      ...locator.field(model.name, field.name),
      message: `Relation "${model.name}.${field.name}" has no opposite field on "${target.name}" (it is marked @ignore). Mark "${model.name}.${field.name}" with @ignore too, or stop ignoring the opposite side.`,
      severity: 'error',
    })
    return undefined
  }
  const owns = (field.relationFromFields ?? []).length > 0
  const oppositeOwns = (opposite.relationFromFields ?? []).length > 0
  if (!owns && !oppositeOwns) return describeImplicitManyToMany(model, field, target, opposite, check.strategy, orderBy, prose, locator, problems)
  const base = {
    name: field.name,
    target: target.name,
    backPopulates: opposite.name,
    strategy: check.strategy,
    ...orderBy,
    ...(cascadeCheck.cascade.length > 0 ? { cascade: cascadeCheck.cascade } : {}),
    ...(prose ? { documentation: prose } : {}),
  }
  if (owns) {
    const onDelete = onDeleteOf(field, foreignKeys)
    return {
      ...base,
      ...(onDelete ? { onDelete } : {}),
      direction: opposite.isList ? 'many-to-one' : 'one-to-one',
      uselist: false,
      nullable: !field.isRequired,
      ownsForeignKey: true,
      localColumns: [...field.relationFromFields!],
      remoteColumns: [...field.relationToFields!],
    }
  }
  return {
    ...base,
    direction: field.isList ? 'one-to-many' : 'one-to-one',
    uselist: field.isList,
    nullable: true,
    ownsForeignKey: false,
    localColumns: [...opposite.relationToFields!],
    remoteColumns: [...opposite.relationFromFields!],
  }
}

/**
 * The fields that identify a model's rows: its @id or @@id; else, as Prisma accepts models without
 * @id, a unique (`@unique` or `@@unique`) whose fields are all required, as SQLAlchemy maps a
 * primary key onto unique columns. Among several: the one with the fewest fields, then the one whose
 * field names, in the unique's order, sort first. The rule depends on names only, so reordering
 * fields or `@@unique` lines never changes the identity. Undefined when no such unique exists.
 */
function identityOf(model: DMMF.Model): { fields: string[]; from: 'id' | 'unique' } | undefined {
  const ids = model.primaryKey?.fields ?? model.fields.filter((field) => field.isId).map((field) => field.name)
  if (ids.length > 0) return { fields: [...ids], from: 'id' }
  const required = new Set(model.fields.filter((field) => field.kind !== 'object' && field.isRequired && !field.isList).map((field) => field.name))
  const uniques = [...model.fields.filter((field) => field.isUnique).map((field) => [field.name]), ...model.uniqueFields.map((fields) => [...fields])]
  const candidates = uniques.filter((fields) => fields.every((name) => required.has(name)))
  const compare = (a: string[], b: string[]): number => {
    if (a.length !== b.length) return a.length - b.length
    const i = a.findIndex((name, at) => name !== b[at])
    return i < 0 ? 0 : a[i] < b[i] ? -1 : 1
  }
  const first = candidates.sort(compare)[0]
  return first === undefined ? undefined : { fields: first, from: 'unique' }
}

/** The single-field primary key of a model, or undefined. */
function singleKey(model: DMMF.Model): string | undefined {
  if (model.primaryKey && model.primaryKey.fields.length > 0) return model.primaryKey.fields.length === 1 ? model.primaryKey.fields[0] : undefined
  const ids = model.fields.filter((field) => field.isId)
  return ids.length === 1 ? ids[0].name : undefined
}

/**
 * An implicit many-to-many: Prisma keeps it in a join table `_<relation name>` whose column `A`
 * references the model whose name sorts first, and `B` the other. For a model related to itself,
 * both columns reference its table: the field whose name sorts first (by code unit, as Prisma
 * compares) keeps its owner's key in `A` and its members' in `B`, the other field the reverse,
 * whichever field the schema declares first (checked against PrismaClient's writes).
 */
function describeImplicitManyToMany(
  model: DMMF.Model,
  field: DMMF.Field,
  target: DMMF.Model,
  opposite: DMMF.Field,
  strategy: RelationDescription['strategy'],
  orderBy: Pick<RelationDescription, 'orderBy'>,
  prose: string | undefined,
  locator: SourceLocator,
  problems: Problems,
): RelationDescription | undefined {
  const refuse = (message: string) => {
    problems.unsupported.push({ ...locator.field(model.name, field.name), message, severity: 'error' })
    return undefined
  }
  const localKey = singleKey(model)
  const remoteKey = singleKey(target)
  if (localKey === undefined || remoteKey === undefined) {
    return refuse(`Implicit many-to-many relation "${model.name}.${field.name}" needs a single-field @id on both models, as Prisma requires.`)
  }
  const localIsA = target === model ? field.name < opposite.name : model.name < target.name
  return {
    name: field.name,
    target: target.name,
    backPopulates: opposite.name,
    strategy,
    ...orderBy,
    ...(prose ? { documentation: prose } : {}),
    direction: 'many-to-many',
    uselist: true,
    nullable: true,
    ownsForeignKey: false,
    localColumns: [localKey],
    remoteColumns: [remoteKey],
    secondary: { table: `_${field.relationName}`, localColumn: localIsA ? 'A' : 'B', remoteColumn: localIsA ? 'B' : 'A' },
  }
}

function describeModel(
  model: DMMF.Model,
  models: ReadonlyMap<string, DMMF.Model>,
  locator: SourceLocator,
  problems: Problems,
  foreignKeys: ForeignKeys,
): ModelDescription {
  if (model.schema !== null && model.schema !== undefined) {
    problems.unsupported.push({
      ...locator.model(model.name),
      message: `Model "${model.name}" is in database schema "${model.schema}" (@@schema); multiple database schemas are not supported yet. Remove @@schema to keep the model in the default schema.`,
      severity: 'error',
    })
  }
  const { annotations, prose } = parseDocumentation(model.documentation)
  const modelCheck = checkModelAnnotations(annotations)
  if ('problem' in modelCheck) {
    problems.annotation.push({ ...locator.docLine(model.name, undefined, modelCheck.annotation.text), message: modelCheck.problem, severity: 'error' })
    problems.unknownBind.add(model.name)
  }
  const bind = 'bind' in modelCheck ? modelCheck.bind : undefined
  const fields: FieldDescription[] = []
  const relations: RelationDescription[] = []
  for (const field of model.fields) {
    if (field.kind === 'object') {
      const relation = describeRelation(model, field, models, locator, problems, foreignKeys)
      if (relation) relations.push(relation)
    } else {
      const described = describeField(model, field, locator, problems)
      if (described) fields.push(described)
    }
  }
  const identity = identityOf(model)
  if (identity === undefined) {
    problems.unsupported.push({
      ...locator.model(model.name),
      message: `Model "${model.name}" has no @id and no unique whose fields are all required and mapped (not @ignore), so the session cannot identify its rows. Add @id (or @@id), or @unique on a required field (or @@unique over required fields).`,
      severity: 'error',
    })
  }
  return {
    name: model.name,
    table: model.dbName ?? model.name,
    fields,
    primaryKey: identity?.fields ?? [],
    identity: identity?.from ?? 'id',
    relations: relations.sort(byName),
    ...(bind !== undefined ? { bind } : {}),
    ...(prose ? { documentation: prose } : {}),
  }
}

/** How a bind reads in messages. */
function bindName(bind: string | undefined): string {
  return bind === undefined ? 'the default bind' : `bind "${bind}"`
}

/**
 * A relation needs both tables in one database: its foreign key (or join table) and every join
 * span them. Each relation crossing binds is reported once, at the field holding the foreign key
 * (for a many-to-many, at the side whose model name sorts first).
 */
function checkBinds(models: readonly ModelDescription[], locator: SourceLocator, problems: Problems): void {
  const byName = new Map(models.map((model) => [model.name, model]))
  for (const model of models) {
    for (const relation of model.relations) {
      const target = byName.get(relation.target)
      if (target === undefined || target.bind === model.bind || problems.unknownBind.has(model.name) || problems.unknownBind.has(target.name)) continue
      const reports = relation.secondary === undefined ? relation.ownsForeignKey : model.name < target.name
      if (!reports) continue
      const link = relation.secondary === undefined ? 'its foreign key' : `its join table ${relation.secondary.table}`
      problems.crossBind.push({
        ...locator.field(model.name, relation.name),
        message:
          `Relation "${model.name}.${relation.name}" crosses databases: ${model.name} is in ${bindName(model.bind)} and ${target.name} in ${bindName(target.bind)}, ` +
          `but ${link} and its joins need both tables in one database. Put both models in the same bind (/// @bind(<key>) above each model, or none for the default), ` +
          `or drop the relation and keep the key as a plain column, loading the ${target.name} with session.get().`,
        severity: 'error',
      })
    }
  }
}

/**
 * DMMF lists `view` blocks among the models and marks them nowhere, so the schema text says which are views.
 * A view with a unique whose fields are all required is mapped read-only, identified by that unique (see
 * {@link identityOf}); one without cannot be identified, so the session cannot map it.
 */
function isView(files: LoadedSchema['files'], name: string): boolean {
  const declaration = new RegExp(`^\\s*view\\s+${name}\\s*\\{`, 'm')
  return files.some((file) => declaration.test(file.content))
}

/** The name each value of an enum is stored under (`@map`, as PrismaClient writes it), when some value has one. */
function storedValues(enumeration: DMMF.DatamodelEnum): Readonly<Record<string, string>> | undefined {
  if (!enumeration.values.some((value) => value.dbName !== null && value.dbName !== undefined)) return undefined
  return Object.fromEntries(enumeration.values.map((value) => [value.name, value.dbName ?? value.name]))
}

/** The models with each enum field given its enum's stored value names (when the enum maps values with `@map`). */
function withStoredEnumValues(models: readonly ModelDescription[], enums: readonly EnumDescription[]): ModelDescription[] {
  const stored = new Map(enums.flatMap((enumeration) => (enumeration.storedValues ? [[enumeration.name, enumeration.storedValues] as const] : [])))
  return models.map((model) => ({
    ...model,
    fields: model.fields.map((field) => {
      const enumValues = field.enumName === undefined ? undefined : stored.get(field.enumName)
      return enumValues === undefined ? field : { ...field, enumValues }
    }),
  }))
}

function describeEnum(enumeration: DMMF.DatamodelEnum, locator: SourceLocator, problems: Problems): EnumDescription {
  const stored = storedValues(enumeration)
  const { annotations, prose } = parseDocumentation(enumeration.documentation ?? undefined)
  // An annotation above an enum would be dropped unused: @bind belongs on models, @lazy and @cascade on relation fields.
  for (const annotation of annotations) {
    const where = Object.hasOwn(KNOWN_ANNOTATIONS, annotation.name) ? KNOWN_ANNOTATIONS[annotation.name as keyof typeof KNOWN_ANNOTATIONS] : undefined
    problems.annotation.push({
      ...locator.docLine(enumeration.name, undefined, annotation.text),
      message:
        where === undefined
          ? `Unknown annotation "@${annotation.name}" on enum "${enumeration.name}": enums take no annotations.`
          : `"@${annotation.name}" is only allowed on ${where}, not on enum "${enumeration.name}".`,
      severity: 'error',
    })
  }
  return {
    name: enumeration.name,
    values: enumeration.values.map((value) => value.name),
    ...(stored ? { storedValues: stored } : {}),
    ...(prose ? { documentation: prose } : {}),
  }
}

/**
 * Describes a parsed schema. Every annotation error and every unsupported feature is collected,
 * then reported together as one {@link SchemaError}.
 */
export function describeSchema(schema: LoadedSchema, schemaRoot: string): SchemaDescription {
  const locator = new SourceLocator(schema.files)
  const problems: Problems = { annotation: [], unsupported: [], crossBind: [], unknownBind: new Set() }
  checkNames(schema.datamodel, locator, problems)
  const models = new Map(schema.datamodel.models.map((model) => [model.name, model]))
  const foreignKeys = foreignKeysOf(schema)
  const described: ModelDescription[] = []
  for (const model of [...schema.datamodel.models].sort(byName)) {
    if (isView(schema.files, model.name)) {
      if (identityOf(model) === undefined) {
        problems.unsupported.push({
          ...locator.model(model.name),
          message: `View "${model.name}" has no unique whose fields are all required, so the session cannot identify its rows. Add @unique on a required field (or @@unique over required fields) that is unique in the view's rows, or query the view with raw SQL.`,
          severity: 'error',
        })
        continue
      }
      // A view has no foreign-key constraints: the database takes no onDelete action on its rows.
      described.push({ ...describeModel(model, models, locator, problems, { ...foreignKeys, enforced: false }), view: true })
      continue
    }
    described.push(describeModel(model, models, locator, problems, foreignKeys))
  }
  const enums = [...schema.datamodel.enums].sort(byName).map((enumeration) => describeEnum(enumeration, locator, problems))
  checkBinds(described, locator, problems)
  if (problems.annotation.length > 0) throw SchemaError.annotation([...problems.annotation, ...problems.unsupported, ...problems.crossBind])
  if (problems.unsupported.length > 0) throw SchemaError.unsupported([...problems.unsupported, ...problems.crossBind])
  if (problems.crossBind.length > 0) throw SchemaError.crossBind(problems.crossBind)
  return {
    provider: schema.provider,
    enums,
    models: withStoredEnumValues(described, enums),
    sources: schema.files.map((file) => ({ path: path.posix.relative(schemaRoot, file.path) || path.posix.basename(file.path), content: file.content })),
  }
}
