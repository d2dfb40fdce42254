// Colours for code blocks, written for this site: JSON, shell, Python and JavaScript, enough
// to tell keys, strings, numbers, keywords, variables and comments apart. Text stays text
// (spans with a class, no innerHTML), and nothing loads from another origin.

const STRING = /"(?:[^"\\\n]|\\.)*"/y;
const RULES = {
  json: [
    ["key", /"(?:[^"\\\n]|\\.)*"(?=\s*:)/y],
    ["string", STRING],
    ["number", /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y],
    ["keyword", /\b(?:true|false|null)\b/y],
  ],
  shell: [
    ["comment", /(?<![^\s])#.*/y],
    ["string", /'(?:[^']|'\\'')*'/y],
    ["variable", /\$\w+/y],
    ["string", STRING],
    ["keyword", /(?<![\w-])(?:curl|export|npx|awk|tr)\b/y],
    ["flag", /(?<=\s)--?[A-Za-z][\w-]*/y],
  ],
  python: [
    ["comment", /#.*/y],
    ["string", /[fr]?(?:"""[\s\S]*?"""|'[^'\n]*'|"[^"\n]*")/y],
    ["keyword", /\b(?:import|from|as|def|async|await|with|return|for|in|if|else|print|None|True|False)\b/y],
    ["number", /\b\d+(?:\.\d+)?\b/y],
  ],
  javascript: [
    ["comment", /\/\/.*/y],
    ["string", /`[^`]*`|'[^'\n]*'|"[^"\n]*"/y],
    ["keyword", /\b(?:import|from|const|let|await|async|new|return|for|of|if|else|true|false|null)\b/y],
    ["number", /\b\d+(?:\.\d+)?\b/y],
  ],
};
/** Longer text is left plain: colouring it would cost more than it helps. */
const MAX_LENGTH = 200_000;

/** A fragment of `text` coloured as `language` (plain text for a language not known here). */
export function colour(text, language) {
  const nodes = document.createDocumentFragment();
  const rules = RULES[language];
  if (!rules || text.length > MAX_LENGTH) {
    nodes.append(text);
    return nodes;
  }
  let plain = "";
  for (let at = 0; at < text.length; ) {
    const found = match(rules, text, at);
    if (!found) {
      plain += text[at++];
      continue;
    }
    if (plain) nodes.append(plain);
    plain = "";
    const span = document.createElement("span");
    span.className = `tok-${found.kind}`;
    span.textContent = found.text;
    nodes.append(span);
    at += found.text.length;
  }
  if (plain) nodes.append(plain);
  return nodes;
}

function match(rules, text, at) {
  for (const [kind, pattern] of rules) {
    pattern.lastIndex = at;
    const found = pattern.exec(text);
    if (found && found[0]) return { kind, text: found[0] };
  }
  return null;
}

/** Colour every `code[data-lang]` under `root` in place. */
export function colourAll(root = document) {
  for (const code of root.querySelectorAll("code[data-lang]")) {
    code.replaceChildren(colour(code.textContent, code.dataset.lang));
  }
}
