// The review page's behaviour, the same in a written page (extract --html) and the served one (/):
// clicking a cell highlights its evidence (text span, page box), rule links select their cells, downloads.
// In the served page it also uploads dropped files to /v1/review and shows each report (or its error).
"use strict";

function data(section, cls) {
  return section.querySelector("script." + cls).textContent;
}

function clearSelection(section) {
  section.querySelectorAll(".hl").forEach((el) => el.classList.remove("hl"));
  section.querySelectorAll(".sheet .box").forEach((el) => el.remove());
  section.querySelectorAll("figure.page").forEach((el) => { el.hidden = true; });
}

function selectCell(section, key) {
  clearSelection(section);
  const td = section.querySelector('td[data-key="' + key + '"]');
  const note = section.querySelector(".ev-note");
  if (!td) { note.textContent = key + ": not in the tables"; return; }
  td.classList.add("hl");
  const status = td.classList[0];
  const span = td.dataset.span;
  if (!span) {
    note.textContent = key + ": " + status + (status === "inferred"
      ? " by the tables' rules; no printed figure" : "; no figure was read");
    return;
  }
  const pieces = section.querySelectorAll('[data-ev~="' + span + '"]');
  pieces.forEach((el) => el.classList.add("hl"));
  if (pieces.length) pieces[0].scrollIntoView({block: "center", inline: "nearest"});
  const boxes = JSON.parse(data(section, "boxes"))[span] || [];
  const pages = [];
  boxes.forEach(([page, x0, y0, x1, y1]) => {
    const figure = section.querySelector('figure.page[data-page="' + page + '"]');
    if (!figure) return;
    figure.hidden = false;
    const box = document.createElement("div");
    box.className = "box";
    Object.assign(box.style, {left: 100 * x0 + "%", top: 100 * y0 + "%",
      width: 100 * (x1 - x0) + "%", height: 100 * (y1 - y0) + "%"});
    figure.querySelector(".sheet").appendChild(box);
    if (!pages.includes(page + 1)) pages.push(page + 1);
    box.scrollIntoView({block: "center", inline: "nearest"});
  });
  note.textContent = key + ": " + status + " " + td.textContent.trim() + ", read at characters " +
    span.replace("-", "–") + (pages.length ? " on page " + pages.join(", ") : "");
}

function download(section, what) {
  const text = data(section, what === "json" ? "extraction" : "cells-csv");
  const blob = new Blob([text], {type: what === "json" ? "application/json" : "text/csv"});
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = section.dataset.name + (what === "json" ? ".json" : ".cells.csv");
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

document.addEventListener("click", (event) => {
  const section = event.target.closest("section.report");
  if (!section) return;
  const td = event.target.closest("td[data-key]");
  const link = event.target.closest("a.cell-link");
  const button = event.target.closest("button.download");
  if (td) selectCell(section, td.dataset.key);
  if (link) {
    event.preventDefault();
    selectCell(section, link.dataset.key);
    const cell = section.querySelector('td[data-key="' + link.dataset.key + '"]');
    if (cell) cell.scrollIntoView({block: "center"});
  }
  if (button) download(section, button.dataset.what);
});

// ------------------------------------------------------------------ the served page: uploads

function showError(slot, name, message) {
  slot.className = "error";
  slot.setAttribute("role", "alert");
  slot.textContent = name + ": " + message;
}

async function review(file, slot) {
  const body = new FormData();
  body.append("file", file, file.name);
  const headers = {};
  const token = document.getElementById("token").value;
  if (token) headers.Authorization = "Bearer " + token;
  const tagger = document.getElementById("tagger").value;
  let response;
  try {
    const query = tagger ? "?tagger=" + encodeURIComponent(tagger) : "";
    response = await fetch("v1/review" + query, {method: "POST", body, headers});
  } catch (err) {
    showError(slot, file.name, "the server cannot be reached (" + err.message + ")");
    return;
  }
  if (response.ok) {
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    slot.replaceWith(document.importNode(page.querySelector("section.report"), true));
    return;
  }
  let reason = response.status + " " + response.statusText;
  try {
    const detail = (await response.json()).detail;
    reason = typeof detail === "string" ? detail : JSON.stringify(detail);
  } catch (err) { /* not JSON: keep the status line */ }
  if (response.status === 401) {
    document.querySelector("label.token").hidden = false;
    reason += " (enter the API token above and drop the file again)";
  }
  showError(slot, file.name, reason);
}

function upload(files) {
  const list = document.getElementById("reports");
  for (const file of files) {
    const slot = document.createElement("div");
    slot.className = "pending";
    slot.textContent = file.name + ": extracting…";
    list.prepend(slot);
    review(file, slot);
  }
}

if (document.body.dataset.served === "true") {
  document.querySelector("header.upload").hidden = false;
  const drop = document.getElementById("drop");
  const input = document.getElementById("files");
  input.addEventListener("change", () => { upload(Array.from(input.files)); input.value = ""; });
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    upload(event.dataTransfer.files);
  });
}
