// Behaviour every page shares. No page carries inline script or on* attributes (the
// Content-Security-Policy allows scripts from our own files only): markup says what it
// wants with data- attributes, and these delegated listeners do it.

// Tree toggles: the first click loads the children (htmx); later clicks fold and unfold.
// Runs in the capture phase, before htmx's own listener on the button.
function doorstepToggle(button, event) {
  var list = document.getElementById(button.getAttribute("hx-target").slice(1));
  var open = button.getAttribute("aria-expanded") === "true";
  if (list.dataset.loaded) {
    event.preventDefault();
    event.stopImmediatePropagation();
    event.stopPropagation();
    list.hidden = open;
  } else {
    list.dataset.loaded = "1";
  }
  button.setAttribute("aria-expanded", open ? "false" : "true");
  button.textContent = open ? "+" : "−";
  return true;
}

document.addEventListener(
  "click",
  function (event) {
    var button = event.target.closest && event.target.closest("button.toggle[hx-target]");
    if (button) doorstepToggle(button, event);
  },
  true
);

// <form data-confirm="确定…？">: ask before a destructive submit.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});

// <select data-autosubmit>: a filter that applies as soon as it is chosen.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});

// <div data-picked-into="#box">: a choice found by a type-ahead search is kept once picked —
// its label moves into #box, so the next search does not take it away.
document.addEventListener("change", function (event) {
  var input = event.target;
  var found = input.closest && input.closest("[data-picked-into]");
  if (!found || !input.checked) return;
  var box = document.querySelector(found.getAttribute("data-picked-into"));
  var label = input.closest("label");
  if (!box || !label) return;
  var same = box.querySelector('[data-key="' + label.getAttribute("data-key") + '"]');
  if (same && same !== label) {
    same.querySelector("input").checked = true;
    label.remove();
    return;
  }
  box.appendChild(label);
});

// Enter in a type-ahead search (input[type=search][hx-get]) inside a form searches; it
// must not submit the form around it (a dispatch would go to whatever was picked).
document.addEventListener("keydown", function (event) {
  var input = event.target;
  if (event.key !== "Enter" || !input.matches || !input.matches("input[type=search][hx-get]")) return;
  event.preventDefault();
  if (window.htmx) window.htmx.trigger(input, "search");
});

// A button that prints the page (a list to pin on the notice board).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});
