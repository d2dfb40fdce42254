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

async function copy(button) {
  const target = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.getAttribute("aria-describedby"));
  try {
    await navigator.clipboard.writeText(textOf(target));
    status.textContent = "Copied";
  } catch {
    select(target);
    status.textContent = "Selected: press Ctrl+C (⌘C) to copy";
  }
  clearTimeout(button.timer);
  button.timer = setTimeout(() => {
    status.textContent = "";
  }, 4000);
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  button.addEventListener("click", () => copy(button));
}
