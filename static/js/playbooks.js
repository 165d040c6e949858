// The playbook editor: add, remove and reorder steps with buttons (keyboard-friendly; focus follows the step).
// Without JavaScript the form still works: the position numbers order the steps and "Delete" removes one.
(function () {
  "use strict";
  const form = document.getElementById("playbook-form");
  if (!form) return;
  const list = document.getElementById("steps");
  const template = document.getElementById("empty-step");
  const total = form.querySelector("input[name='steps-TOTAL_FORMS']");
  const addButton = document.getElementById("add-step");

  function visible() {
    return Array.from(list.querySelectorAll("[data-step]")).filter((el) => !el.hidden);
  }

  function renumber() {
    visible().forEach((fieldset, index) => {
      fieldset.querySelector("[data-step-number]").textContent = String(index + 1);
      const order = fieldset.querySelector("input[name$='-ORDER']");
      if (order) order.value = String(index + 1);
    });
  }

  function toggleEmail(fieldset) {
    const kind = fieldset.querySelector("select[name$='-kind']");
    const email = fieldset.querySelector(".step-email");
    if (kind && email) email.hidden = kind.value !== "email";
  }

  function enhance(fieldset) {
    fieldset.querySelector(".step-tools").hidden = false;
    const del = fieldset.querySelector("input[name$='-DELETE']");
    if (del) {
      del.closest("div").hidden = true;
      if (del.checked) fieldset.hidden = true;
    }
    const order = fieldset.querySelector("input[name$='-ORDER']");
    if (order) order.closest("div").hidden = true;
    const kind = fieldset.querySelector("select[name$='-kind']");
    if (kind) kind.addEventListener("change", () => toggleEmail(fieldset));
    toggleEmail(fieldset);
  }

  list.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const fieldset = button.closest("[data-step]");
    if (button.dataset.move === "up") {
      const before = visible()[visible().indexOf(fieldset) - 1];
      if (before) list.insertBefore(fieldset, before);
    } else if (button.dataset.move === "down") {
      const after = visible()[visible().indexOf(fieldset) + 1];
      if (after) list.insertBefore(after, fieldset);
    } else if (button.hasAttribute("data-remove")) {
      const steps = visible();
      const next = steps[steps.indexOf(fieldset) + 1] || steps[steps.indexOf(fieldset) - 1];
      fieldset.querySelector("input[name$='-DELETE']").checked = true;
      fieldset.hidden = true;
      renumber();
      (next ? next.querySelector("select, input") : addButton).focus();
      return;
    } else {
      return;
    }
    renumber();
    button.focus();
  });

  addButton.hidden = false;
  addButton.addEventListener("click", () => {
    const index = Number(total.value);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    list.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const fieldset = list.lastElementChild;
    enhance(fieldset);
    renumber();
    fieldset.querySelector("input[name$='-title']").focus();
  });

  list.querySelectorAll("[data-step]").forEach(enhance);
  renumber();
})();
