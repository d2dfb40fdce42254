// What the playground needs to know about MCP items besides their JSON Schemas: resource
// template variables (RFC 6570), prompt arguments, tool annotations, argument completion.

/** The variable names of a URI template, in order, once each. */
function variables(template) {
  const names = [...template.matchAll(/\{[+#./;?&]?([^}]*)\}/g)].flatMap((match) => match[1].split(","));
  return [...new Set(names.map((name) => name.replace(/\*$|:\d+$/, "")).filter(Boolean))];
}

/** A form schema for a resource template: one required string per variable. */
export function templateSchema(template) {
  const names = variables(template);
  return {
    type: "object",
    properties: Object.fromEntries(names.map((name) => [name, { type: "string" }])),
    required: names,
  };
}

/** Expand a URI template (levels 1 to 3 of RFC 6570) with `values`. */
export function expand(template, values) {
  return template.replace(/\{([+#./;?&]?)([^}]*)\}/g, (_, op, list) => {
    const names = list.split(",").map((name) => name.replace(/\*$|:\d+$/, ""));
    const set = names.filter((name) => values[name] !== undefined && values[name] !== "");
    const encode = op === "+" || op === "#" ? encodeURI : encodeURIComponent;
    if (!set.length) return "";
    if (op === "?" || op === "&") return op + set.map((name) => `${name}=${encode(values[name])}`).join("&");
    const parts = set.map((name) => (op === ";" ? `${name}=${encode(values[name])}` : encode(values[name])));
    const separator = { "/": "/", ".": ".", ";": ";" }[op] || ",";
    return (op === "+" ? "" : op) + parts.join(separator);
  });
}

/** A form schema for a prompt's arguments (all strings). */
export function promptSchema(args = []) {
  const properties = Object.fromEntries(
    args.map((arg) => [arg.name, { type: "string", title: arg.title || arg.name, description: arg.description }]),
  );
  return { type: "object", properties, required: args.filter((arg) => arg.required).map((arg) => arg.name) };
}

/** Tool annotations as [label, isWarning] tags. */
export function annotationTags(annotations = {}) {
  const tags = [];
  if (annotations.readOnlyHint) tags.push(["read-only", false]);
  if (
    annotations.destructiveHint === true ||
    (annotations.readOnlyHint === false && annotations.destructiveHint !== false)
  ) {
    tags.push(["may change or delete data", true]);
  }
  if (annotations.idempotentHint) tags.push(["idempotent", false]);
  if (annotations.openWorldHint === true) tags.push(["reaches outside this server", true]);
  if (annotations.openWorldHint === false) tags.push(["stays within this server", false]);
  return tags;
}

/**
 * A `decorate` hook for schemaFields: text inputs get a <datalist> that
 * completion/complete fills as the person types.
 */
export function completer(client, ref, currentValues) {
  return (control, name) => {
    if (control.tagName !== "INPUT" || control.type !== "text") return;
    const list = document.createElement("datalist");
    list.id = `${control.id}-suggestions`;
    control.setAttribute("list", list.id);
    control.after(list);
    let timer;
    const suggest = async () => {
      const context = {
        arguments: Object.fromEntries(Object.entries(currentValues() || {}).map(([k, v]) => [k, String(v)])),
      };
      try {
        const result = await client.request("completion/complete", {
          ref,
          argument: { name, value: control.value },
          context,
        });
        list.replaceChildren(
          ...(result.completion?.values || []).map((value) =>
            Object.assign(document.createElement("option"), { value }),
          ),
        );
      } catch {
        list.replaceChildren(); // no suggestions is fine
      }
    };
    control.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(suggest, 200);
    });
    control.addEventListener("focus", suggest, { once: true });
  };
}
