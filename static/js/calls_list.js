// The calls list: the Compare button is usable once 2 to data-max calls are ticked.
// Without JavaScript the button always submits and the compare page explains the rule.
"use strict";

(function () {
  const form = document.getElementById("compare-form");
  const button = document.getElementById("compare-button");
  const count = document.getElementById("compare-count");
  if (!form || !button) {
    return;
  }
  const hint = count.textContent;
  const most = Number(form.dataset.max);

  function update() {
    const ticked = form.querySelectorAll('input[name="ids"]:checked').length;
    button.disabled = ticked < 2 || ticked > most;
    count.textContent = ticked ? `${ticked} ticked. ${hint}` : hint;
  }

  // On the form, so rows that Follow live adds count too.
  form.addEventListener("change", update);
  update();
})();
