// Show only the parameters the chosen rule kind uses.
(function () {
  "use strict";
  var kind = document.getElementById("id_kind");
  if (!kind) return;
  function sync() {
    document.querySelectorAll(".rule-param").forEach(function (box) {
      var kinds = (box.dataset.kinds || "").split(" ");
      box.hidden = kinds.indexOf(kind.value) === -1;
    });
  }
  kind.addEventListener("change", sync);
  sync();
})();
