// Arrays in schema forms: a set of fixed choices becomes checkboxes; anything else becomes
// a list of items (each a form field of its own) with "Add item" and "Remove" buttons.
// `field` is schema-form.js's field builder, passed in to build each item.

import { el, requiredMark } from "./dom.js";
import { choices, resolve } from "./json-schema.js";

/** An array: checkboxes for a set of choices, else a list of items to add and remove. */
export function arrayField(field, schema, root, id, name, required) {
  const items = resolve(schema.items || {}, root);
  const title = schema.title || name;
  const set = el("fieldset", "nested", el("legend", null, title, required ? " " : "", required ? requiredMark() : ""));
  if (schema.description) set.append(el("p", "hint", schema.description));
  const options = choices(items);
  if (options) return multiChoice(set, options, id, schema.default || [], required);
  const list = el("ol", "items");
  const add = button("Add item", `Add item to ${title}`);
  const rows = [];
  let made = 0;
  const append = (value) => {
    const number = ++made;
    const row = field(
      value === undefined ? items : { ...items, default: value },
      root,
      `${id}-${number}`,
      `Item ${number}`,
      true,
    );
    const remove = button("Remove", `Remove item ${number} of ${title}`);
    const li = el("li", "item", row.element, remove);
    remove.addEventListener("click", () => {
      li.remove();
      rows.splice(rows.indexOf(row), 1);
      add.focus();
    });
    rows.push(row);
    list.append(li);
    return row;
  };
  (schema.default || []).forEach(append);
  add.addEventListener("click", () => append().control.focus());
  set.append(list, add);
  const read = () => (rows.length || required ? rows.map((row) => row.read()) : undefined);
  return { element: set, control: add, read };
}

function button(text, label) {
  const made = el("button", "button secondary small-button", text);
  made.type = "button";
  made.setAttribute("aria-label", label);
  return made;
}

function multiChoice(set, options, id, defaults, required) {
  const boxes = options.map((option, index) => {
    const box = el("input");
    Object.assign(box, { type: "checkbox", id: `${id}-${index}`, checked: defaults.includes(option.value) });
    const label = el("label", null, box, " ", option.label);
    set.append(el("div", "field check", label));
    return [box, option.value];
  });
  const read = () => {
    const chosen = boxes.filter(([box]) => box.checked).map(([, value]) => value);
    return chosen.length || required ? chosen : undefined;
  };
  return { element: set, control: boxes[0]?.[0] || set, read };
}
