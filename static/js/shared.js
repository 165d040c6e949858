// The shared plan page's print button (no inline script: the page runs under the same CSP).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
