/* Linli offline visit queue: a visit written with no network waits on the phone and is sent
 * when the network returns. Each visit carries the key made when the form was shown, and the
 * same key goes with every re-send, so the server saves it once however often it arrives.
 * Kept in localStorage (small records, synchronous, survives a reload); no inline script (CSP).
 * Every page with the visits menu loads this: it shows what waits ("待发送 N"), marks those
 * households in the list, and sends the queue when the network returns, from whichever page
 * (a page of the offline round, kept on the phone, too).
 */
"use strict";

(() => {
  const STORE = "linli-visit-queue";
  const form = document.getElementById("visit-form");
  const list = document.getElementById("visit-queue");
  const status = document.getElementById("visit-status");
  const pending = document.getElementById("visit-pending");
  // Other pages (my households, the home page) load this too, only to send what waits.
  const action = form ? form.action : "/visits";
  const text = form ? form.dataset : {};
  let flushing = false;

  function load() {
    try {
      const items = JSON.parse(localStorage.getItem(STORE) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (error) {
      return [];
    }
  }

  function save(items) {
    localStorage.setItem(STORE, JSON.stringify(items));
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID().replace(/-/g, "");
    }
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function renderPending() {
    const waiting = load().filter((i) => i.state === "waiting");
    if (pending) {
      pending.hidden = waiting.length === 0;
      pending.querySelector(".count").textContent = String(waiting.length);
      const ul = pending.querySelector("ul");
      ul.textContent = "";
      for (const item of waiting) {
        const li = document.createElement("li");
        li.dataset.key = item.payload.key;
        li.textContent = item.label + " " + item.payload.visited_on;
        ul.appendChild(li);
      }
    }
    // In "my households": a household visited offline says so until its visit is sent.
    const ids = new Set(waiting.map((i) => i.payload.household_id));
    document.querySelectorAll("li.household[data-household]").forEach((row) => {
      let badge = row.querySelector(".badge.queued");
      if (ids.has(row.dataset.household) && !badge && pending) {
        badge = document.createElement("span");
        badge.className = "badge badge-warn queued";
        badge.textContent = pending.dataset.waiting;
        row.querySelector("strong").after(" ", badge);
      } else if (!ids.has(row.dataset.household) && badge) {
        badge.remove();
      }
    });
  }

  function render() {
    renderPending();
    if (!list) {
      return;
    }
    const items = load();
    list.textContent = "";
    if (!items.length) {
      const li = document.createElement("li");
      li.textContent = list.dataset.empty || "";
      list.appendChild(li);
      return;
    }
    for (const item of items) {
      const li = document.createElement("li");
      li.className = "queued-visit " + item.state;
      li.dataset.key = item.payload.key;
      const label = document.createElement("strong");
      label.textContent = item.label + " " + item.payload.visited_on + " ";
      const state = document.createElement("span");
      state.className = "badge" + (item.state === "saved" ? "" : " badge-warn");
      state.textContent = text[item.state] || item.state;
      li.append(label, state);
      if (item.error) {
        const why = document.createElement("p");
        why.className = "error";
        why.textContent = item.error;
        li.appendChild(why);
      }
      list.appendChild(li);
    }
  }

  function payloadOf() {
    const data = new FormData(form);
    const needs = [];
    const categories = data.getAll("need_category");
    const texts = data.getAll("need_text");
    categories.forEach((category, i) => {
      const need = String(texts[i] || "");
      if (category || need.trim()) {
        needs.push({ category: String(category || "other"), text: need });
      }
    });
    return {
      key: String(data.get("key") || ""),
      household_id: String(data.get("household_id") || ""),
      visited_on: String(data.get("visited_on") || ""),
      met: String(data.get("met") || ""),
      note: String(data.get("note") || ""),
      needs: needs,
      via: "offline",
    };
  }

  function labelOf() {
    const select = form.querySelector("select[name=household_id]");
    if (select && select.selectedIndex > 0) {
      return select.options[select.selectedIndex].textContent.split(" · ")[0];
    }
    const hidden = form.querySelector("input[name=household_id]");
    return hidden ? hidden.dataset.label || "" : "";
  }

  function csrfToken() {
    const field = form ? form.querySelector("input[name=csrf_token]") : null;
    if (field) {
      return field.value;
    }
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  async function sendOne(item) {
    let response;
    try {
      response = await fetch(action, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
        },
        body: JSON.stringify(item.payload),
      });
    } catch (error) {
      return "waiting"; // still no network: try again later, with the same key
    }
    const type = response.headers.get("Content-Type") || "";
    if (!type.includes("application/json")) {
      // A sign-in page or a proxy's error page: keep the visit and ask for a sign-in.
      item.error = response.redirected ? text.signIn : "";
      return "waiting";
    }
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      item.error = "";
      return "saved";
    }
    if (response.status >= 500 || response.status === 429) {
      return "waiting";
    }
    item.error = body.error || String(response.status);
    return "failed";
  }

  async function flush() {
    if (flushing || !navigator.onLine) {
      return;
    }
    flushing = true;
    try {
      for (const item of load().filter((i) => i.state === "waiting")) {
        const outcome = await sendOne(item);
        // Re-read: another tab may have changed the queue meanwhile.
        const items = load();
        const stored = items.find((i) => i.payload.key === item.payload.key);
        if (stored) {
          stored.state = outcome;
          stored.error = item.error || "";
          save(items);
        }
        render();
        if (outcome === "waiting") {
          break;
        }
      }
      // Saved visits stay listed for a day, so the visitor sees they went.
      const dayAgo = Date.now() - 86400000;
      save(load().filter((i) => i.state !== "saved" || i.at > dayAgo));
      render();
    } finally {
      flushing = false;
    }
  }

  function resetForm() {
    // A fresh form with a fresh key for the next household.
    form.querySelector("input[name=key]").value = newKey();
    for (const name of ["met", "note", "need_text"]) {
      form.querySelectorAll(`[name=${name}]`).forEach((field) => (field.value = ""));
    }
    form.querySelectorAll("select[name=need_category]").forEach((field) => (field.value = ""));
  }

  function say(message, isError) {
    if (status) {
      status.textContent = message;
      status.className = isError ? "error" : "hint";
    }
  }

  window.addEventListener("online", () => flush());
  setInterval(flush, 30000);
  // The list's rows come again with every search (htmx): mark them again.
  document.body.addEventListener("htmx:afterSwap", renderPending);
  render();
  flush();
  if (!form) {
    return;
  }
  // Every visit goes through the queue: sent at once when the network is there, kept on the
  // phone when it is not (or when it drops mid-send), and re-sent later with the same key.
  // A fresh key for each form shown: a form kept for the offline round opens many times.
  form.querySelector("input[name=key]").value = newKey();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) {
      return;
    }
    const item = { payload: payloadOf(), label: labelOf(), state: "waiting", error: "", at: Date.now() };
    if (navigator.onLine) {
      say(text.sending, false);
      const outcome = await sendOne(item);
      if (outcome === "failed") {
        say(item.error, true); // bad input: the form stays as typed, to be corrected
        return;
      }
      if (outcome === "saved") {
        item.state = "saved";
        const items = load();
        items.push(item);
        save(items);
        say(text.saved + ": " + item.label, false);
        resetForm();
        render();
        return;
      }
    }
    const items = load();
    if (!items.some((i) => i.payload.key === item.payload.key)) {
      items.push(item);
      save(items);
    }
    say(text.queued, false);
    resetForm();
    render();
  });
  // Said once a submit goes through the queue (before, a tap would be a plain POST, which the
  // browser cannot keep offline): tests wait for it.
  form.dataset.queueReady = "1";
})();
