/** Functions compiled at run time (`new Function`), with what runs instead where the runtime forbids it. */

/**
 * What `compile` builds with `new Function`, or `fallback` where compiling code from strings is
 * forbidden (`--disallow-code-generation-from-strings`, a strict CSP), which throws `EvalError`; any
 * other error is a bug in the generated code, rethrown rather than hidden behind the slower fallback.
 */
export function compiledOr<F>(compile: () => F, fallback: F): F {
  try {
    return compile()
  } catch (error) {
    if (!(error instanceof EvalError)) throw error
    return fallback
  }
}
