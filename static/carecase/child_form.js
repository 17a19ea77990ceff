/* CareCase: the child registration and edit form (templates/children/child_form.html).
 *
 * As the ID number is typed, the phone-side check (static/carecase/idnumber.js, the server's
 * rules) says what is wrong with it, in the catalogue's words (the JSON of
 * {% id_error_messages "carecase-id-messages" %}), and a valid number fills in the date of birth
 * and the gender. A value the person typed or chose is never overwritten: only an empty one, or
 * one this script filled in. The server derives and checks the same (children.registration), so
 * the form works without this script.
 */
(function () {
  'use strict';

  var form = document.querySelector('form[data-child-form]');
  var Id = window.CareCaseId;
  if (!form || !Id) return;
  var idInput = form.querySelector('input[name=id_number]');
  if (!idInput) return;
  var birth = form.querySelector('input[name=birth_date]');
  var source = document.getElementById('carecase-id-messages');
  var messages = source ? JSON.parse(source.textContent) : {};
  var today = form.getAttribute('data-today') || undefined;
  var filled = {birth: null, gender: null};

  var live = document.createElement('div');
  live.className = 'invalid-feedback d-block';
  live.setAttribute('data-id-check', '');
  live.setAttribute('aria-live', 'polite');
  live.hidden = true;
  idInput.insertAdjacentElement('afterend', live);

  function say(text) {
    live.textContent = text;
    live.hidden = !text;
    idInput.classList.toggle('is-invalid', !!text);
  }

  function fill(result) {
    if (birth && (!birth.value || birth.value === filled.birth)) {
      birth.value = result.birthDate;
      filled.birth = result.birthDate;
    }
    var checked = form.querySelector('input[name=gender]:checked');
    var radio = form.querySelector('input[name=gender][value="' + result.gender + '"]');
    if (radio && (!checked || checked.value === filled.gender)) {
      radio.checked = true;
      filled.gender = result.gender;
    }
  }

  function update(done) {
    // The server's message was about the number as it was sent: it no longer applies.
    var stale = form.querySelectorAll('[data-field-error=id_number]');
    for (var i = 0; i < stale.length; i++) stale[i].remove();
    var value = idInput.value;
    if (!Id.normalize(value)) {
      say('');
      return;
    }
    var result = Id.check(value, today);
    if (result.ok) {
      say('');
      fill(result);
    } else if (done || Array.from(Id.normalize(value)).length >= 18) {
      say(Id.message(result, messages)); // while typing, only once the 18 characters are in
    } else {
      say('');
    }
  }

  idInput.addEventListener('input', function () { update(false); });
  idInput.addEventListener('change', function () { update(true); });
})();
