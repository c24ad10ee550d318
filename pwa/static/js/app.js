/* Linli page script: registers the service worker. No inline scripts anywhere (strict CSP). */
"use strict";

if ("serviceWorker" in navigator) {
  const register = () =>
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
      // The app works without it; only installing and the offline page need it.
      console.warn("Linli: service worker not registered:", error);
    });
  // Once the page is loaded and the browser idle: the worker then precaches the page's own
  // files from the HTTP cache, finished writing by then, instead of downloading them again.
  const whenIdle = (run) =>
    "requestIdleCallback" in window ? requestIdleCallback(run, { timeout: 2000 }) : setTimeout(run, 500);
  window.addEventListener("load", () => whenIdle(register));
}

/* The offline round (round.js) keeps one person's pages for one month. A page names its round
 * in <body data-round>: empty when nobody is signed in. Any other round's cache is deleted;
 * the offline page names none and leaves them alone. */
const ROUND_PREFIX = "linli-round-";
const VISIT_QUEUE = "linli-visit-queue";

function deleteRounds(keep) {
  if (!("caches" in window)) {
    return Promise.resolve();
  }
  return caches
    .keys()
    .then((keys) =>
      Promise.all(keys.filter((key) => key.startsWith(ROUND_PREFIX) && key !== keep).map((key) => caches.delete(key)))
    );
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.body.hasAttribute("data-round")) {
    deleteRounds(ROUND_PREFIX + document.body.dataset.round).catch(() => {});
    return;
  }
  // The offline page: point to the round when the phone keeps one.
  const link = document.getElementById("offline-round");
  if (link && "caches" in window) {
    caches.keys().then((keys) => {
      link.hidden = !keys.some((key) => key.startsWith(ROUND_PREFIX));
    });
  }
});

// Signing out leaves nothing of this person on the phone; visits not yet sent are asked about.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.id !== "sign-out") {
    return;
  }
  let waiting = 0;
  try {
    waiting = JSON.parse(localStorage.getItem(VISIT_QUEUE) || "[]").filter((i) => i.state === "waiting").length;
  } catch (error) {
    waiting = 0;
  }
  event.preventDefault();
  if (waiting && !window.confirm(form.dataset.unsent)) {
    return;
  }
  localStorage.removeItem(VISIT_QUEUE);
  localStorage.removeItem("linli-round-fetched");
  deleteRounds("")
    .catch(() => {})
    .then(() => form.submit());
});
