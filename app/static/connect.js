// The connect page: one tab per client instead of a long stack of cards, the one chosen last
// remembered on this browser (a link to #client wins); the snippets coloured. Without
// JavaScript every client's card stays on the page, with the list of links above them.

import "./copy.js";
import { colourAll } from "./syntax.js";

const KEY = "connect-client";
const tabs = [...document.querySelectorAll("#client-tabs [role=tab]")];
const panelOf = (tab) => document.getElementById(tab.getAttribute("aria-controls"));

function remembered() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null; // storage refused
  }
}

/** Show the client of `tab` alone; remember it. */
function choose(tab, { focus = false, remember = true } = {}) {
  for (const other of tabs) {
    const chosen = other === tab;
    other.setAttribute("aria-selected", String(chosen));
    other.tabIndex = chosen ? 0 : -1;
    panelOf(other).hidden = !chosen;
  }
  if (focus) tab.focus();
  if (!remember) return;
  try {
    localStorage.setItem(KEY, tab.getAttribute("aria-controls"));
  } catch {
    // storage refused: the choice lasts as long as the page
  }
}

/** The left and right arrow keys, Home and End move between tabs, as in every tab list. */
function onKey(event) {
  const at = tabs.indexOf(event.target);
  const moves = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: -1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  choose(tabs.at(moves[event.key] % tabs.length), { focus: true });
}

function fromHash() {
  return tabs.find((tab) => `#${tab.getAttribute("aria-controls")}` === location.hash);
}

if (tabs.length) {
  for (const tab of tabs) {
    const panel = panelOf(tab);
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", tab.id);
    tab.addEventListener("click", () => choose(tab));
    tab.addEventListener("keydown", onKey);
  }
  document.getElementById("clients-toc").hidden = true;
  document.getElementById("clients-heading").hidden = false;
  document.getElementById("client-tabs").hidden = false;
  const saved = tabs.find((tab) => tab.getAttribute("aria-controls") === remembered());
  choose(fromHash() || saved || tabs[0], { remember: false });
  addEventListener("hashchange", () => fromHash() && choose(fromHash()));
}
colourAll();
