// Conditional questions: a fieldset with data-show-if="q12" data-show-options="1,2" is shown
// only while question q12 (itself shown) has one of those options picked. A hidden
// question's inputs are disabled, so nothing is sent for it (the server refuses an answer
// to a hidden question, and checks the same conditions again).
(function () {
  "use strict";
  function picked(form, name) {
    var out = [];
    form.querySelectorAll('input[name="' + name + '"]:checked').forEach(function (el) {
      if (!el.disabled) out.push(el.value);
    });
    return out;
  }
  function apply(form) {
    form.querySelectorAll("fieldset[data-show-if]").forEach(function (set) {
      var want = set.dataset.showOptions.split(",");
      var got = picked(form, set.dataset.showIf);
      var show = got.some(function (v) { return want.indexOf(v) >= 0; });
      set.hidden = !show;
      set.querySelectorAll("input, textarea, select").forEach(function (el) {
        el.disabled = !show;
        if (!show && (el.type === "radio" || el.type === "checkbox")) el.checked = false;
      });
    });
  }
  function init() {
    var form = document.getElementById("survey-form");
    if (!form) return;
    // Fieldsets are in order, so one pass settles chains (q3 hangs on q2 hangs on q1).
    form.addEventListener("change", function () { apply(form); });
    apply(form);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
