// The ledger's printable page: its Print button (no inline script under the CSP).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector("[data-print]");
  if (button) {
    button.addEventListener("click", () => window.print());
  }
});
