// "Copy" buttons: each names the element whose text it copies in data-copy, and says
// "Copied" in the status next to it. Without the clipboard API (plain http), the text
// is selected instead, for Ctrl+C.

function textOf(target) {
  return target.tagName === "INPUT" ? target.value : target.textContent;
}

function select(target) {
  if (target.tagName === "INPUT") return target.select();
  const range = document.createRange();
  range.selectNodeContents(target);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

/** Put `text` on the clipboard and say so in `status`; without a clipboard, select `target` (if any) instead. */
export async function copyText(text, status, target) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = "Copied";
  } catch {
    if (target) select(target);
    status.textContent = target ? "Selected: press Ctrl+C (⌘C) to copy" : "The browser refused the clipboard";
  }
  clearTimeout(status.timer);
  status.timer = setTimeout(() => {
    status.textContent = "";
  }, 4000);
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  const target = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.getAttribute("aria-describedby"));
  button.addEventListener("click", () => copyText(textOf(target), status, target));
}
