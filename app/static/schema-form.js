// Form controls made from a JSON Schema: strings, numbers, booleans, enums (select),
// arrays (add and remove items), nested objects (fieldsets), $ref into $defs. Every control
// has a label; descriptions become hints; required fields are marked and enforced.

import { el, requiredMark } from "./dom.js";
import { choices, resolve } from "./json-schema.js";
import { arrayField } from "./schema-arrays.js";

/** Controls for an object schema inside `box`; `read()` returns the value (or undefined). */
export function schemaFields(schema, prefix, decorate = () => {}) {
  const root = schema || {};
  const box = el("div", "fields");
  const object = objectFields(resolve(root, root), root, prefix, box, true, decorate);
  if (!object.count) box.append(el("p", "muted", "Nothing to fill in."));
  return { element: box, read: object.read };
}

function objectFields(schema, root, prefix, box, top, decorate) {
  const required = new Set(schema.required || []);
  const readers = Object.entries(schema.properties || {}).map(([name, property]) => {
    const item = field(resolve(property, root), root, `${prefix}-${name}`, name, required.has(name));
    box.append(item.element);
    if (top) decorate(item.control, name);
    return [name, item.read];
  });
  const read = () => {
    const value = {};
    for (const [name, get] of readers) if (get() !== undefined) value[name] = get();
    return Object.keys(value).length || top ? value : undefined;
  };
  return { read, count: readers.length };
}

function labelled(schema, id, name, required) {
  const label = el("label", null, schema.title || name);
  label.htmlFor = id;
  if (required) label.append(" ", requiredMark());
  const hint = schema.description ? el("p", "hint", schema.description) : null;
  if (hint) hint.id = `${id}-hint`;
  return { label, hint };
}

function describe(control, id, hint, required) {
  control.id = id;
  if (hint) control.setAttribute("aria-describedby", hint.id);
  if (required) control.required = true;
}

function field(schema, root, id, name, required) {
  const options = choices(schema);
  if (schema.type === "array") return arrayField(field, schema, root, id, name, required);
  if (schema.type === "object" || (!options && schema.properties)) {
    const set = el("fieldset", "nested", el("legend", null, schema.title || name));
    if (schema.description) set.append(el("p", "hint", schema.description));
    const object = objectFields(schema, root, id, set, false);
    return { element: set, control: set, read: () => object.read() ?? (required ? {} : undefined) };
  }
  const { label, hint } = labelled(schema, id, name, required);
  if (schema.type === "boolean" && !options) return checkbox(schema, id, label, hint, required);
  const control = options ? select(options, schema, required) : input(schema);
  describe(control, id, hint, required);
  const read = () => readValue(control, schema, options);
  return { element: el("div", "field", label, control, hint), control, read };
}

function select(options, schema, required) {
  const control = el("select");
  if (!required || !("default" in schema)) {
    const empty = el("option", null, required ? "Choose…" : "(not set)");
    empty.value = "";
    control.append(empty);
  }
  options.forEach((option, index) => {
    const item = el("option", null, option.label);
    item.value = String(index);
    item.selected = schema.default !== undefined && option.value === schema.default;
    control.append(item);
  });
  control.choices = options;
  return control;
}

function input(schema) {
  const numeric = schema.type === "number" || schema.type === "integer";
  const known = schema.type === "string" || numeric;
  const control = known ? el("input") : el("textarea");
  if (numeric) Object.assign(control, { type: "number", step: schema.type === "integer" ? "1" : "any" });
  else if (known) control.type = { email: "email", uri: "url", date: "date" }[schema.format] || "text";
  const limits = { minimum: "min", maximum: "max", minLength: "minLength", maxLength: "maxLength" };
  for (const [key, attribute] of Object.entries(limits))
    if (schema[key] !== undefined) control[attribute] = schema[key];
  if (!known) {
    control.placeholder = "A JSON value";
    const check = () => control.setCustomValidity(parsesOrEmpty(control.value) ? "" : "Not valid JSON");
    control.addEventListener("input", check);
  }
  if (schema.default !== undefined) control.value = known ? String(schema.default) : JSON.stringify(schema.default);
  return control;
}

function parsesOrEmpty(text) {
  try {
    return !text.trim() || (JSON.parse(text), true);
  } catch {
    return false;
  }
}

function readValue(control, schema, options) {
  if (options) return control.value === "" ? undefined : control.choices[Number(control.value)].value;
  if (control.value === "") return control.required && schema.type === "string" ? "" : undefined;
  if (control.type === "number") return Number(control.value);
  return control.tagName === "TEXTAREA" ? JSON.parse(control.value) : control.value;
}

function checkbox(schema, id, label, hint, required) {
  const control = el("input");
  control.type = "checkbox";
  control.checked = schema.default === true;
  describe(control, id, hint, false);
  let touched = required || "default" in schema;
  control.addEventListener("change", () => {
    touched = true;
  });
  label.prepend(control, " ");
  const read = () => (touched ? control.checked : undefined);
  return { element: el("div", "field check", label, hint), control, read };
}
