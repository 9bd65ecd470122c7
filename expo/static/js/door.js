// Check-in at the door: one tap, a typed badge code or a scanned QR code, without reloading.
// Without JavaScript every button is a plain form that posts and comes back to the list.
(() => {
  "use strict";

  const list = document.getElementById("door-list");
  const countsBox = document.getElementById("door-counts");
  if (!list || !countsBox) return;

  const result = document.getElementById("door-result");
  const codeForm = document.getElementById("door-code-form");
  const search = document.getElementById("door-q");
  const noMatch = document.getElementById("door-no-match");
  const walkInTemplate = document.getElementById("door-walk-in-template");
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const POLL_MS = 10000;

  // --- counts and rows ------------------------------------------------------------------

  function showCounts(counts) {
    if (!counts) return;
    for (const dd of countsBox.querySelectorAll("[data-count]")) {
      const value = counts[dd.dataset.count];
      dd.textContent = value === null || value === undefined ? dd.dataset.none || "" : String(value);
    }
  }

  function rowElement(userId) {
    return document.getElementById("row-" + userId);
  }

  // A tap replaces the row that holds the focused button: the keyboard stays on that row.
  function focusRow(row) {
    const button = row.querySelector("button");
    if (button) button.focus();
  }

  function placeRow(payload, keepFocus) {
    const old = rowElement(payload.user_id);
    const hadFocus = Boolean(keepFocus || (old && old.contains(document.activeElement)));
    if (!payload.row_html) {
      if (old) old.remove();
      return;
    }
    const holder = document.createElement("tbody");
    holder.innerHTML = payload.row_html.trim();
    const fresh = holder.querySelector("tr");
    if (!fresh) return;
    const section = document.getElementById("section-" + payload.section);
    if (old && old.parentElement === section) {
      old.replaceWith(fresh);
    } else {
      if (old) {
        const left = old.parentElement;
        old.remove();
        if (left && left.id === "section-registered" && !left.querySelector("tr.door-row")) left.hidden = true;
      }
      if (section) {
        section.hidden = false;
        section.appendChild(fresh);
      }
    }
    applyFilter();
    if (hadFocus) focusRow(fresh);
  }

  // --- messages -------------------------------------------------------------------------

  // The page's own banner says once if the session is not held today; answers never repeat it.
  function say(message, ok, walkInUrl) {
    if (!result) return;
    result.replaceChildren();
    const p = document.createElement("p");
    p.className = "flash flash-" + (ok ? "success" : "error");
    p.textContent = message;
    result.appendChild(p);
    if (walkInUrl && walkInTemplate) {
      const form = walkInTemplate.content.firstElementChild.cloneNode(true);
      form.action = walkInUrl;
      result.appendChild(form);
    }
  }

  // --- posting --------------------------------------------------------------------------

  async function post(form, body) {
    const headers = { Accept: "application/json" };
    if (csrfMeta) headers["X-CSRFToken"] = csrfMeta.content;
    const response = await fetch(form.action, {
      method: "POST",
      body: body || new FormData(form),
      headers,
      credentials: "same-origin",
    });
    const type = response.headers.get("Content-Type") || "";
    // Signed out meanwhile: the answer is the log-in page, not JSON.
    if (response.redirected || !type.includes("application/json")) {
      const expired = response.redirected || response.status === 400 || response.status === 403;
      throw new Error(expired ? "expired" : "HTTP " + response.status);
    }
    return response.json();
  }

  async function submitDoorForm(form, body) {
    const buttons = form.querySelectorAll("button");
    // Disabling the tapped button may drop its focus before the answer comes: note it now.
    const inRow = form.closest("tr.door-row") !== null;
    buttons.forEach((b) => { b.disabled = true; b.setAttribute("aria-busy", "true"); });
    try {
      const data = await post(form, body);
      say(data.message, data.ok, data.walk_in_url);
      showCounts(data.counts);
      if (data.user_id !== undefined) placeRow(data, inRow);
      if (form === codeForm && data.ok) {
        codeForm.reset();
      }
      if (form.closest("#door-result") && data.ok) {
        form.remove();
      }
      return data;
    } catch (error) {
      // A stale page (expired form) or a lost connection: the plain form still works.
      say(error.message === "expired"
        ? list.dataset.expired || "The page expired: reload it and try again."
        : list.dataset.offline || "No connection: nothing was saved. Try again.", false);
      return null;
    } finally {
      buttons.forEach((b) => { b.disabled = false; b.removeAttribute("aria-busy"); });
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-door-action]");
    if (!form) return;
    event.preventDefault();
    submitDoorForm(form).then((data) => {
      if (form !== codeForm) return;
      const input = codeForm.querySelector("input[name=code]");
      input.focus();
      if (!data || !data.ok) input.select();  // a mistyped code is replaced by typing again
    });
  });

  // --- search as you type ---------------------------------------------------------------

  // As expo.core.text.fold: lower case, accents (U+0300–U+036F) dropped, stroked letters plain.
  const STROKED = { "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l", "ς": "σ" };

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[łøđħıŀς]/g, (c) => STROKED[c]);
  }

  function applyFilter() {
    if (!search) return;
    // Every word must appear somewhere, folded as the server folds (data-search is already
    // folded): a short list filtered here and a long one searched there agree.
    const terms = fold(search.value.trim()).split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const row of list.querySelectorAll("tr.door-row")) {
      const text = row.dataset.search || "";
      const match = terms.every((t) => text.includes(t));
      row.hidden = !match;
      if (match) shown += 1;
    }
    if (noMatch) noMatch.hidden = shown > 0 || terms.length === 0;
  }

  // A long list shows only its first people: then the server searches the whole list. On
  // any list the server also finds the event's registrants who are not on it (walk-ins).
  const partial = list.dataset.partial === "true";
  let searchTimer = null;
  let searchSeq = 0;

  async function searchServer() {
    const seq = ++searchSeq;
    const url = new URL(search.form.action, window.location.href);
    const q = search.value.trim();
    if (q) url.searchParams.set("q", q);
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok || seq !== searchSeq) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      if (seq !== searchSeq) return;
      const fresh = doc.getElementById("door-list");
      if (!fresh) return;
      for (const body of list.querySelectorAll("tbody.door-section")) {
        if (!partial && body.id !== "section-registered") continue;
        const other = fresh.querySelector("#" + body.id);
        if (other) body.replaceWith(document.importNode(other, true));
      }
      if (!partial) {
        applyFilter();
        return;
      }
      for (const id of ["door-more", "door-print-partial"]) {
        const mine = document.getElementById(id);
        const theirs = doc.getElementById(id);
        if (mine && theirs) mine.replaceWith(document.importNode(theirs, true));
      }
      if (noMatch) noMatch.hidden = list.querySelector("tr.door-row") !== null || !q;
    } catch (error) {
      // Offline for a moment: the rows already shown stay.
    }
  }

  function onSearch() {
    if (!partial) applyFilter();
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(searchServer, 250);
  }

  if (search) {
    search.addEventListener("input", onSearch);
    search.form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!partial) applyFilter();
      window.clearTimeout(searchTimer);
      searchServer();
    });
  }

  // --- two phones stay in step ----------------------------------------------------------

  async function refreshRow(userId) {
    const url = countsBox.dataset.rowUrl.replace(/\/0$/, "/" + userId);
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (response.ok) placeRow(await response.json());
  }

  async function poll() {
    if (document.hidden) return;
    try {
      const response = await fetch(countsBox.dataset.url, {
        headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
      });
      if (!response.ok) return;
      const data = await response.json();
      showCounts(data.counts);
      const inside = new Set(data.checked_in.map(String));
      const stale = [];
      for (const row of list.querySelectorAll("tr.door-row")) {
        const isIn = row.dataset.in === "true";
        if (isIn !== inside.has(row.dataset.userId)) stale.push(row.dataset.userId);
        inside.delete(row.dataset.userId);
      }
      // Whoever is left came in on another phone without being on this page's list; a
      // list showing only its first people leaves the others out.
      for (const userId of partial ? stale : [...stale, ...inside]) await refreshRow(userId);
    } catch (error) {
      // Offline for a moment: the next poll tries again.
    }
  }
  window.setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });

  // --- printing -------------------------------------------------------------------------

  // "Print the whole list" opens a page with everyone on it (?print=1): print it once loaded.
  if (list.dataset.print === "true") {
    if (document.readyState === "complete") window.print();
    else window.addEventListener("load", () => window.print(), { once: true });
  }

  // --- scanning QR codes with the phone camera ------------------------------------------

  const scanButton = document.getElementById("door-scan");
  const reader = document.getElementById("door-reader");
  if (!scanButton || !reader || !codeForm || typeof window.Html5Qrcode === "undefined" ||
      !navigator.mediaDevices) {
    return;
  }
  scanButton.hidden = false;
  let scanner = null;
  let busy = false;
  // The badges answered while the camera runs: a badge held in view stays read once, and its
  // answer stays on screen (a new "already checked in" would replace it). Only a post that
  // failed to reach the server is tried again.
  let answered = new Set();

  async function onScan(text) {
    if (busy || answered.has(text)) return;
    busy = true;
    const body = new FormData(codeForm);
    body.set("code", text);
    try {
      const data = await submitDoorForm(codeForm, body);
      if (data) answered.add(text);
      if (data && navigator.vibrate) navigator.vibrate(data.ok ? 80 : [60, 60, 60]);
    } finally {
      busy = false;
    }
  }

  async function stopScanning() {
    if (scanner) {
      try { await scanner.stop(); } catch (error) { /* already stopped */ }
      scanner = null;
    }
    answered = new Set();
    reader.hidden = true;
    scanButton.textContent = scanButton.dataset.start;
    scanButton.setAttribute("aria-pressed", "false");
  }

  scanButton.addEventListener("click", async () => {
    if (scanner) {
      await stopScanning();
      return;
    }
    reader.hidden = false;
    scanButton.textContent = scanButton.dataset.stop;
    scanButton.setAttribute("aria-pressed", "true");
    scanner = new window.Html5Qrcode("door-reader");
    try {
      await scanner.start(
        { facingMode: "environment" },
        { fps: 10, qrbox: { width: 220, height: 220 } },
        onScan,
        () => {},
      );
    } catch (error) {
      scanner = null;
      await stopScanning();
      say(scanButton.dataset.noCamera + " " + String(error), false);
    }
  });
  window.addEventListener("pagehide", stopScanning);
})();
