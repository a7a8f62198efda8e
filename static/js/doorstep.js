// Tree toggles: the first click loads the children (htmx); later clicks fold and unfold.
function doorstepToggle(button, event) {
  var list = document.getElementById(button.getAttribute("hx-target").slice(1));
  var open = button.getAttribute("aria-expanded") === "true";
  if (list.dataset.loaded) {
    event.preventDefault();
    event.stopImmediatePropagation();
    list.hidden = open;
  } else {
    list.dataset.loaded = "1";
  }
  button.setAttribute("aria-expanded", open ? "false" : "true");
  button.textContent = open ? "+" : "−";
  return true;
}
