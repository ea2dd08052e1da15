/** Parses and validates `///` annotations such as `@lazy(dynamic)`: unknown or misplaced ones are errors, never ignored. */
import {
  COLLECTION_ONLY_STRATEGIES,
  isLoaderStrategyName,
  LOADER_STRATEGIES,
  type LoaderStrategyName,
} from '../../runtime/loading/strategy-names.js'

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
export const KNOWN_ANNOTATIONS = { lazy: 'relation fields' } as const

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
    } else if (/^@lazy\b/.test(trimmed)) {
      annotations.push({ name: 'lazy', argument: undefined, text: trimmed, malformed: true })
    } else {
      prose.push(line)
    }
  }
  const text = prose.join('\n').trim()
  return { annotations, prose: text === '' ? undefined : text }
}

/** What is wrong with an annotation, as a message; undefined when it is fine. */
export type AnnotationCheck = { readonly strategy: LoaderStrategyName } | { readonly problem: string }

/** Validates the `@lazy(...)` annotations of one field. */
export function checkLazy(annotations: readonly Annotation[], field: { isRelation: boolean; isList: boolean }): AnnotationCheck {
  const known = Object.keys(LOADER_STRATEGIES).join(', ')
  let strategy: LoaderStrategyName = 'select'
  for (const annotation of annotations) {
    if (!Object.hasOwn(KNOWN_ANNOTATIONS, annotation.name)) {
      return { problem: `Unknown annotation "@${annotation.name}". Known annotations: ${Object.keys(KNOWN_ANNOTATIONS).map((n) => `@${n}`).join(', ')}.` }
    }
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
