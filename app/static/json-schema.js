// Reading JSON Schemas as tool and elicitation schemas use them: $ref into $defs, nullable
// types, and enumerations (enum, enumNames, or oneOf/anyOf of titled consts).

/** `schema` with its $ref followed (into `root`) and Optional[X] (anyOf [X, null], default null) unwrapped. */
export function resolve(schema, root) {
  let current = schema || {};
  for (let depth = 0; current.$ref && depth < 32; depth++) {
    const { $ref, ...rest } = current;
    const path = $ref.startsWith("#/") ? $ref.slice(2).split("/") : [];
    const target = path.map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~")).reduce((n, k) => n?.[k], root);
    current = { ...(target || {}), ...rest };
  }
  const options = current.anyOf || current.oneOf; // Optional[X] is anyOf [X, null]
  const real = options?.filter((option) => option.type !== "null");
  if (real && real.length === 1 && real.length < options.length) {
    return resolve({ ...current, anyOf: undefined, oneOf: undefined, ...real[0] }, root);
  }
  if (current.default === null) {
    const { default: _none, ...rest } = current; // Optional[X] = None: no default to show
    current = rest;
  }
  if (Array.isArray(current.type)) return { ...current, type: current.type.find((t) => t !== "null") };
  return current;
}

/** The fixed choices a schema allows, as [{value, label}], or null. */
export function choices(schema) {
  if (Array.isArray(schema.enum)) {
    return schema.enum.map((value, i) => ({ value, label: schema.enumNames?.[i] ?? String(value) }));
  }
  const options = schema.oneOf || schema.anyOf; // titled choices: [{const, title}, ...]
  if (!options?.length || !options.every((option) => "const" in option)) return null;
  return options.map((option) => ({ value: option.const, label: option.title ?? String(option.const) }));
}
