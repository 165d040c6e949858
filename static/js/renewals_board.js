// Renewals board: drag a card onto a column to move it. The drop fills the card's own Move form (the same
// form a keyboard user submits) and submits it, so both ways go through the one stage-change endpoint.
(function () {
  "use strict";
  let dragged = null;

  function column(target) {
    return target && target.closest ? target.closest(".board-column") : null;
  }

  document.addEventListener("dragstart", function (event) {
    const card = event.target.closest && event.target.closest(".board-card[draggable=true]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.renewal);
  });

  document.addEventListener("dragend", function () {
    dragged = null;
    document.querySelectorAll(".board-column.drop-target").forEach((c) => c.classList.remove("drop-target"));
  });

  document.addEventListener("dragover", function (event) {
    const target = column(event.target);
    if (!dragged || !target) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".board-column.drop-target").forEach((c) => c !== target && c.classList.remove("drop-target"));
    target.classList.add("drop-target");
  });

  document.addEventListener("drop", function (event) {
    const target = column(event.target);
    if (!dragged || !target) return;
    event.preventDefault();
    const form = dragged.querySelector("form[data-move-form]");
    const select = form && form.querySelector("select[name=stage]");
    const stage = target.dataset.stage;
    if (!form || !select || !select.querySelector('option[value="' + stage + '"]')) return;
    select.value = stage;
    form.requestSubmit();
  });
})();
