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
