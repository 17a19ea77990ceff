// The search-as-you-type picker (children/picker.py): typing clears the chosen id, choosing a
// result fills the hidden input and the search box. Loaded once however many pickers.
(function () {
  if (window.carecasePicker) return;
  window.carecasePicker = true;
  document.addEventListener("input", function (event) {
    var box = event.target.closest && event.target.closest("[data-picker-search]");
    if (!box) return;
    var value = box.closest("[data-picker]").querySelector("[data-picker-value]");
    if (value) value.value = "";
  });
  document.addEventListener("click", function (event) {
    var choice = event.target.closest && event.target.closest("[data-pick]");
    if (!choice) return;
    var picker = choice.closest("[data-picker]");
    if (!picker) return;
    event.preventDefault();
    picker.querySelector("[data-picker-value]").value = choice.getAttribute("data-pick");
    var box = picker.querySelector("[data-picker-search]");
    box.value = choice.getAttribute("data-label");
    picker.querySelector("[data-picker-results]").innerHTML = "";
    picker.dispatchEvent(new CustomEvent("picker:chosen", { bubbles: true }));
  });
})();
