// The children who took part in an activity (activities/forms.py ChildrenPickerWidget): each
// child chosen in the picker becomes a ticked box named like the field; unticking one removes
// it. Loaded once however many lists.
(function () {
  if (window.carecaseAttendance) return;
  window.carecaseAttendance = true;
  function count(list) {
    var n = list.querySelectorAll("[data-attendee]:checked").length;
    var out = list.querySelector("[data-attendee-count]");
    if (out) out.textContent = n ? (list.getAttribute("data-count-label") || "") + n : "";
  }
  document.addEventListener("picker:chosen", function (event) {
    var list = event.target.closest && event.target.closest("[data-attendance]");
    if (!list) return;
    var value = list.querySelector("[data-picker-value]");
    var box = list.querySelector("[data-picker-search]");
    var id = value.value;
    if (id && !list.querySelector('[data-attendee][value="' + id + '"]')) {
      var label = document.createElement("label");
      label.className = "list-group-item";
      var input = document.createElement("input");
      input.type = "checkbox";
      input.className = "form-check-input me-2";
      input.name = list.getAttribute("data-name");
      input.value = id;
      input.checked = true;
      input.setAttribute("data-attendee", "");
      label.appendChild(input);
      label.appendChild(document.createTextNode(box.value));
      list.querySelector("[data-attendees]").appendChild(label);
    }
    value.value = "";
    box.value = "";
    box.focus();
    count(list);
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-attendee]") || input.checked) return;
    var list = input.closest("[data-attendance]");
    input.closest("label").remove();
    if (list) count(list);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-attendance]").forEach(count);
  });
})();
