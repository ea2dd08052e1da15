/** Parses and validates `///` annotations such as `@lazy(dynamic)`: unknown or misplaced ones are errors, never ignored. */
import {
  COLLECTION_ONLY_STRATEGIES,
  isLoaderStrategyName,
  LOADER_STRATEGIES,
  type CascadeName,
  type LoaderStrategyName,
  type RelationshipOrder,
} from '../../runtime/internal.js'

/** A line of a doc comment that starts with `@name(`, or with a known annotation name. */
export interface Annotation {
  readonly name: string
  readonly argument: string | undefined
  /** The annotation as written, to locate it in the source. */
  readonly text: string
  /** True when the line starts like an annotation but does not parse as one. */
  readonly malformed?: boolean
}

/** Annotation names the generator understands, and where they may appear. */
export const KNOWN_ANNOTATIONS = {
  lazy: 'relation fields',
  cascade: 'relation fields on the side without the foreign key',
  orderBy: 'to-many (list) relation fields',
  bind: 'models (a /// line above `model Name {`)',
} as const

/** What a bind key may look like: `@bind(analytics)`, `@bind(audit-log)`. */
const BIND_KEY = /^[A-Za-z_][\w-]*$/

/** The cascades `@cascade(...)` accepts (save-update is always on). */
export const CASCADE_NAMES: readonly CascadeName[] = ['delete', 'delete-orphan']

const ANNOTATION_LINE = /^@([A-Za-z_]\w*)\s*(?:\(([^)]*)\))?\s*$/

/** Splits documentation into annotations and the remaining prose. */
export function parseDocumentation(documentation: string | undefined): { annotations: Annotation[]; prose: string | undefined } {
  if (documentation === undefined) return { annotations: [], prose: undefined }
  const annotations: Annotation[] = []
  const prose: string[] = []
  for (const line of documentation.split('\n')) {
    const trimmed = line.trim()
    const match = ANNOTATION_LINE.exec(trimmed)
    // `@word(...)` is always an annotation; a bare `@word` only when the word is one of ours (TSDoc tags stay prose).
    if (match && (match[2] !== undefined || Object.hasOwn(KNOWN_ANNOTATIONS, match[1]))) {
      annotations.push({ name: match[1], argument: match[2]?.trim(), text: trimmed })
    } else if (/^@(lazy|cascade|orderBy|bind)\b/.test(trimmed)) {
      annotations.push({ name: /^@(\w+)/.exec(trimmed)![1], argument: undefined, text: trimmed, malformed: true })
    } else {
      prose.push(line)
    }
  }
  const text = prose.join('\n').trim()
  return { annotations, prose: text === '' ? undefined : text }
}

/** Field annotations with their own check ({@link checkCascade}, {@link checkOrderBy}); {@link checkLazy} skips them. */
export const FIELD_ANNOTATIONS_CHECKED_ELSEWHERE: ReadonlySet<string> = new Set(['cascade', 'orderBy'])

/** What is wrong with an annotation, as a message; undefined when it is fine. */
export type AnnotationCheck = { readonly strategy: LoaderStrategyName } | { readonly problem: string }

/** Validates the `@lazy(...)` annotations of one field (and rejects unknown ones); `@cascade` and `@orderBy` are left to their own checks. */
export function checkLazy(allAnnotations: readonly Annotation[], field: { isRelation: boolean; isList: boolean }): AnnotationCheck {
  const known = Object.keys(LOADER_STRATEGIES).join(', ')
  const annotations = allAnnotations.filter((annotation) => !FIELD_ANNOTATIONS_CHECKED_ELSEWHERE.has(annotation.name))
  let strategy: LoaderStrategyName = 'select'
  for (const annotation of annotations) {
    if (!Object.hasOwn(KNOWN_ANNOTATIONS, annotation.name)) {
      return { problem: `Unknown annotation "@${annotation.name}". Known annotations: ${Object.keys(KNOWN_ANNOTATIONS).map((n) => `@${n}`).join(', ')}.` }
    }
    if (annotation.name === 'bind') return { problem: `"@bind" is only allowed on ${KNOWN_ANNOTATIONS.bind}: it says which database the whole model lives in.` }
    if (annotation.malformed) return { problem: `Malformed annotation "${annotation.text}": write it alone on its line as @lazy(<strategy>). Known strategies: ${known}.` }
    if (!field.isRelation) return { problem: `"@${annotation.name}" is only allowed on ${KNOWN_ANNOTATIONS.lazy}.` }
    if (annotation.argument === undefined || annotation.argument === '') {
      return { problem: `"${annotation.text}" needs a strategy, e.g. @lazy(select). Known strategies: ${known}.` }
    }
    if (!isLoaderStrategyName(annotation.argument)) {
      return { problem: `Unknown loading strategy "${annotation.argument}" in "${annotation.text}". Known strategies: ${known}.` }
    }
    if (COLLECTION_ONLY_STRATEGIES.includes(annotation.argument) && !field.isList) {
      return { problem: `"@lazy(${annotation.argument})" is only allowed on list (to-many) relations; this relation is to-one. Use @lazy(select).` }
    }
    strategy = annotation.argument
  }
  if (annotations.length > 1) return { problem: 'A field may carry at most one @lazy annotation.' }
  return { strategy }
}

/** The result of {@link checkCascade}: the cascades, or what is wrong and which annotation says it. */
export type CascadeCheck = { readonly cascade: readonly CascadeName[] } | { readonly problem: string; readonly annotation: Annotation }

/** Cascade names SQLAlchemy knows that need no annotation here, with the reason. */
const IMPLICIT_CASCADES: Readonly<Record<string, string>> = {
  'save-update': 'save-update is always on',
  all: 'save-update is always on; write @cascade(delete) for the rest',
  merge: 'merge follows the loaded relationships',
  expunge: 'expunge is not cascaded',
  'refresh-expire': 'refresh and expire are not cascaded',
}

/**
 * Validates the `@cascade(...)` annotation of one field: at most one, on a relation field on the
 * side without the foreign key (a list, or the non-owning side of a one-to-one), naming `delete`
 * and optionally `delete-orphan`. `opposite` names the other side, for the message when the
 * annotation sits on the foreign-key side.
 */
export function checkCascade(
  annotations: readonly Annotation[],
  field: { isRelation: boolean; ownsForeignKey: boolean; manyToMany?: boolean; opposite?: string },
): CascadeCheck {
  const cascades = annotations.filter((annotation) => annotation.name === 'cascade')
  if (cascades.length === 0) return { cascade: [] }
  const annotation = cascades[0]
  const known = `Known cascades: ${CASCADE_NAMES.join(', ')}.`
  const fail = (problem: string, at: Annotation = annotation): CascadeCheck => ({ problem, annotation: at })
  if (cascades.length > 1) return fail('A field may carry at most one @cascade annotation.', cascades[1])
  if (annotation.malformed) {
    return fail(`Malformed annotation "${annotation.text}": write it alone on its line as @cascade(delete) or @cascade(delete, delete-orphan).`)
  }
  if (!field.isRelation) return fail(`"@cascade" is only allowed on ${KNOWN_ANNOTATIONS.cascade}.`)
  if (field.ownsForeignKey) {
    const move = field.opposite === undefined ? '' : ` Move it to "${field.opposite}".`
    return fail(
      `"@cascade" belongs on the parent's side of a relation (the list, or the one-to-one side without the foreign key); this side holds the foreign key, and deleting it never deletes the object it refers to.${move}`,
    )
  }
  if (field.manyToMany) {
    return fail('"@cascade" is not supported on a many-to-many relation: deleting either side already deletes its join-table rows, never the objects on the other side.')
  }
  if (annotation.argument === undefined || annotation.argument === '') {
    return fail(`"${annotation.text}" needs at least one cascade, e.g. @cascade(delete). ${known}`)
  }
  const names = annotation.argument.split(',').map((name) => name.trim())
  const cascade: CascadeName[] = []
  for (const name of names) {
    if (!(CASCADE_NAMES as readonly string[]).includes(name)) {
      const implicit = Object.hasOwn(IMPLICIT_CASCADES, name) ? ` (${IMPLICIT_CASCADES[name]})` : ''
      return fail(`Unknown cascade "${name}" in "${annotation.text}"${implicit}. ${known}`)
    }
    if (cascade.includes(name as CascadeName)) return fail(`Cascade "${name}" is listed twice in "${annotation.text}".`)
    cascade.push(name as CascadeName)
  }
  if (cascade.includes('delete-orphan') && !cascade.includes('delete')) {
    return fail(`"${annotation.text}": delete-orphan needs delete too. Write @cascade(delete, delete-orphan).`)
  }
  return { cascade: CASCADE_NAMES.filter((name) => cascade.includes(name)) }
}

/**
 * The result of {@link checkOrderBy}: the sort keys (empty without the annotation), or what is
 * wrong, which annotation says it, and how far into its text the problem starts (for the column).
 */
export type OrderByCheck =
  | { readonly orderBy: readonly RelationshipOrder[] }
  | { readonly problem: string; readonly annotation: Annotation; readonly offset: number }

/** One `field` or `field: direction` entry of `@orderBy(...)`. */
const ORDER_ENTRY = /^([A-Za-z_]\w*)\s*(?::\s*(\S*))?$/

/**
 * Validates the `@orderBy(...)` annotation of one field (SQLAlchemy's `relationship(order_by=...)`):
 * at most one, on a to-many relation, listing `field` or `field: asc|desc` entries separated by
 * commas, each naming a distinct scalar field of the related model (`target`). A bare field sorts
 * ascending.
 */
export function checkOrderBy(
  annotations: readonly Annotation[],
  field: {
    isRelation: boolean
    isList: boolean
    target?: { readonly name: string; readonly fields: readonly { readonly name: string; readonly kind: string; readonly isList: boolean }[] }
  },
): OrderByCheck {
  const found = annotations.filter((annotation) => annotation.name === 'orderBy')
  if (found.length === 0) return { orderBy: [] }
  const annotation = found[0]
  const fail = (problem: string, at: Annotation = annotation, offset = 0): OrderByCheck => ({ problem, annotation: at, offset })
  if (found.length > 1) return fail('A field may carry at most one @orderBy annotation.', found[1])
  const example = '@orderBy(createdAt: desc) or @orderBy(priority: desc, id: asc)'
  if (annotation.malformed) return fail(`Malformed annotation "${annotation.text}": write it alone on its line as ${example}.`)
  if (!field.isRelation) return fail(`"@orderBy" is only allowed on ${KNOWN_ANNOTATIONS.orderBy}: it orders the related objects of a collection.`)
  if (!field.isList) return fail('"@orderBy" is only allowed on list (to-many) relations; this relation is to-one, so there is nothing to order.')
  if (annotation.argument === undefined || annotation.argument === '') {
    return fail(`"${annotation.text}" needs at least one field, e.g. ${example}.`)
  }
  const target = field.target!
  const scalars = target.fields.filter((f) => f.kind !== 'object' && !f.isList).map((f) => f.name)
  // Entries with their offset in the annotation's text, so a problem points at its own entry.
  const start = annotation.text.indexOf(annotation.argument, annotation.text.indexOf('('))
  const orderBy: RelationshipOrder[] = []
  let position = 0
  for (const raw of annotation.argument.split(',')) {
    const entry = raw.trim()
    const offset = start + position + (raw.length - raw.trimStart().length)
    position += raw.length + 1
    if (entry === '') return fail(`Empty entry in "${annotation.text}": separate "field" or "field: asc|desc" entries with single commas.`, annotation, offset)
    const match = ORDER_ENTRY.exec(entry)
    if (match === null) return fail(`Malformed entry "${entry}" in "${annotation.text}": write "field" or "field: asc|desc", e.g. ${example}.`, annotation, offset)
    const [, name, direction] = match
    if (direction !== undefined && direction !== 'asc' && direction !== 'desc') {
      return fail(`Unknown direction "${direction}" for "${name}" in "${annotation.text}": write asc or desc (lowercase), or leave it out for asc.`, annotation, offset)
    }
    const targetField = target.fields.find((f) => f.name === name)
    if (targetField === undefined) {
      return fail(`Unknown field "${name}" in "${annotation.text}": ${target.name} has no such field. Its scalar fields: ${scalars.join(', ')}.`, annotation, offset)
    }
    if (targetField.kind === 'object' || targetField.isList) {
      const what = targetField.kind === 'object' ? 'a relation' : 'a list'
      return fail(`"${name}" in "${annotation.text}" is ${what}, not a scalar field of ${target.name}: order by its scalar fields (${scalars.join(', ')}).`, annotation, offset)
    }
    if (orderBy.some((item) => item.field === name)) return fail(`Field "${name}" is listed twice in "${annotation.text}".`, annotation, offset)
    orderBy.push({ field: name, direction: direction === 'desc' ? 'desc' : 'asc' })
  }
  return { orderBy }
}

/** The result of {@link checkModelAnnotations}: the model's bind key (undefined for the default bind), or what is wrong and where. */
export type ModelAnnotationCheck = { readonly bind: string | undefined } | { readonly problem: string; readonly annotation: Annotation }

/**
 * Validates the annotations of a model's doc comment: at most one `@bind(<key>)`, naming the
 * database the model's table lives in (Flask-SQLAlchemy's `__bind_key__`); nothing else.
 */
export function checkModelAnnotations(annotations: readonly Annotation[]): ModelAnnotationCheck {
  let bind: string | undefined
  for (const annotation of annotations) {
    const fail = (problem: string): ModelAnnotationCheck => ({ problem, annotation })
    if (annotation.name !== 'bind') {
      return fail(`Unknown model annotation "@${annotation.name}". The only model annotation is @bind(<key>); annotations such as @lazy(...) belong on relation fields.`)
    }
    if (annotation.malformed) return fail(`Malformed annotation "${annotation.text}": write it alone on its line as @bind(<key>), e.g. @bind(analytics).`)
    if (bind !== undefined) return fail('A model may carry at most one @bind annotation.')
    if (annotation.argument === undefined || annotation.argument === '') {
      return fail(`"${annotation.text}" needs a bind key, e.g. @bind(analytics): the name createDb's \`binds\` option maps to a database URL.`)
    }
    if (!BIND_KEY.test(annotation.argument)) {
      return fail(`Bind key "${annotation.argument}" in "${annotation.text}" is not valid: use letters, digits, _ and -, starting with a letter or _.`)
    }
    bind = annotation.argument
  }
  return { bind }
}
