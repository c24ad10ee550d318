/* Micro-wish forms: refuse a photo over the size limit before it is sent (strict CSP: no inline
   script). The server refuses it too, unread; this saves an old phone a long, useless upload. */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[type=file][data-max-bytes]")) {
    const limit = Number(input.dataset.maxBytes);
    const note = document.getElementById(input.dataset.messageId);
    const form = input.form;
    const tooBig = () => input.files.length > 0 && input.files[0].size > limit;
    const show = () => {
      const bad = tooBig();
      input.setCustomValidity(bad ? input.dataset.tooBig : "");
      input.setAttribute("aria-invalid", bad ? "true" : "false");
      if (note) {
        note.textContent = bad ? input.dataset.tooBig : "";
        note.hidden = !bad;
      }
      return bad;
    };
    input.addEventListener("change", show);
    if (form) {
      form.addEventListener("submit", (event) => {
        if (show()) {
          event.preventDefault();
          input.focus();
        }
      });
    }
  }
});
