/* The field app's screens (templates/field/app.html): "my work", a child's summary, and the
   forms of a visit, a work-log note, a change of contact details, a new child, a mandatory
   report and a follow-up item done; the outbox with each entry's state. Everything reads the
   phone's store (db.js) and writes to the outbox (outbox.js), so it works with no network;
   the outbox is sent whenever the phone is online. */
(function () {
  "use strict";
  var DB = window.CareCaseDB;
  var Outbox = window.CareCaseOutbox;
  var Entries = window.CareCaseEntries;
  var config = JSON.parse(document.getElementById("field-config").textContent);
  var idMessages = JSON.parse(document.getElementById("id-messages").textContent);
  var S = config.strings;
  var main = document.getElementById("field-main");
  var owner = config.user;
  var DAY = 86400000;

  function el(html) {
    var box = document.createElement("div");
    box.innerHTML = html.trim();
    return box.firstChild;
  }

  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) {
      return values[name] == null ? "" : values[name];
    });
  }

  /* Today on the server's calendar: the phone's clock corrected by how far it was from the
     server's at the last contact (a phone's clock is often wrong), in the server's time zone. */
  var clockOffset = 0;
  function today() {
    var now = new Date(Date.now() + clockOffset);
    return now.toLocaleDateString("sv-SE", { timeZone: config.time_zone });
  }

  /* ---- status line ---- */

  async function showStatus() {
    var state = document.querySelector("[data-testid=network-state]");
    state.textContent = navigator.onLine ? S.online : S.offline;
    state.dataset.online = navigator.onLine ? "1" : "0";
    var contact = await DB.getMeta("contact");
    document.querySelector("[data-testid=synced-at]").textContent = contact
      ? fmt(S.synced_at, { when: new Date(contact).toLocaleString("zh-CN") })
      : S.never_synced;
    var waiting = (await Outbox.list(owner)).filter(function (e) {
      return e.state !== "sent";
    });
    document.querySelector("[data-testid=outbox-count]").textContent = waiting.length;
  }

  /* ---- the cache's age (R20): hidden once too old, until the next sign-in ---- */

  async function usableBundle() {
    var bundle = await DB.getMeta("bundle");
    if (!bundle || bundle.owner !== owner) {
      return null;
    }
    var contact = (await DB.getMeta("contact")) || 0;
    var maxAge = (bundle.max_age_days || config.max_age_days) * DAY;
    if (Date.now() - contact > maxAge) {
      return "stale";
    }
    return bundle;
  }

  function notice(text) {
    main.replaceChildren(el('<div class="alert alert-warning" data-testid="field-notice">' + esc(text) + "</div>"));
  }

  /* ---- screens ---- */

  function dueBadge(date, label) {
    if (!date) {
      return "";
    }
    var cls = date < today() ? "text-danger fw-bold" : "";
    return '<div class="small ' + cls + '">' + esc(label) + ": " + esc(date) + "</div>";
  }

  // The findings of department lists, first as on "my work": what, which child, the due date.
  function findingsList(tasks) {
    var found = tasks.filter(function (t) { return t.kind === "finding"; });
    if (!found.length) {
      return "";
    }
    var html = '<h2 class="h6">' + esc(S.findings) + " (" + found.length + ')</h2><ul class="list-group mb-3" data-testid="field-findings">';
    found.forEach(function (t) {
      var who = t.child_id ? '<a class="fw-bold" href="#/child/' + t.child_id + '">' + esc(t.name) + "</a>" : '<span class="fw-bold">' + esc(t.name) + "</span>";
      html +=
        '<li class="list-group-item' + (t.due_on < today() ? " list-group-item-danger" : "") + '" data-finding="' + t.id + '">' +
        who + ' <span class="badge bg-secondary">' + esc(t.title) + "</span>" +
        '<div class="small text-muted">' + esc(t.text) + "</div>" + dueBadge(t.due_on, S.visit_by) + "</li>";
    });
    return html + "</ul>";
  }

  async function screenWork() {
    var bundle = await usableBundle();
    if (bundle === "stale") {
      return notice(S.stale);
    }
    if (!bundle) {
      return notice(navigator.onLine ? S.loading : S.no_cache);
    }
    // The server's order of "my work" (a danger follow-up, urgent, overdue, due soon, later),
    // then the earliest due date.
    var RANK = { danger: 0, urgent: 1, overdue: 2, due_soon: 3, later: 4 };
    var children = (await DB.children()).sort(function (a, b) {
      var ra = a.priority in RANK ? RANK[a.priority] : 5;
      var rb = b.priority in RANK ? RANK[b.priority] : 5;
      var da = [a.next_contact_due, a.next_home_visit_due].filter(Boolean).sort()[0] || "9999";
      var db_ = [b.next_contact_due, b.next_home_visit_due].filter(Boolean).sort()[0] || "9999";
      return ra - rb || (da < db_ ? -1 : da > db_ ? 1 : a.name.localeCompare(b.name, "zh"));
    });
    var html =
      '<div class="d-flex flex-wrap gap-2 mb-3">' +
      '<a class="btn btn-outline-primary btn-sm" href="#/register" data-testid="field-register">' + esc(S.register) + "</a>" +
      '<a class="btn btn-outline-danger btn-sm" href="#/report" data-testid="field-report">' + esc(S.report) + "</a></div>" +
      findingsList(bundle.tasks || []) +
      '<h1 class="h5">' + esc(S.my_children) + " (" + children.length + ")</h1>" +
      '<ul class="list-group mb-3" data-testid="field-children">';
    children.forEach(function (c) {
      html +=
        '<li class="list-group-item" data-child="' + c.id + '">' +
        '<a class="fw-bold" href="#/child/' + c.id + '">' + esc(c.name) + "</a> " +
        (c.is_key ? '<span class="badge bg-danger">' + esc(S.key_child) + "</span> " : "") +
        '<span class="small text-muted">' + esc(c.age) + esc(S.years) + " · " + esc(c.village.name) + " · " + esc((c.categories || []).join("、")) + "</span>" +
        '<div class="small">' + esc(c.guardian_label || "") + " " + esc(c.carer_name || "") +
        (c.carer_phone ? " " + phoneLink(c.carer_phone) : "") + "</div>" +
        '<div data-testid="contact-due" data-date="' + esc(c.next_contact_due || "") + '">' + dueBadge(c.next_contact_due, S.next_contact) + "</div>" +
        '<div data-testid="home-due" data-date="' + esc(c.next_home_visit_due || "") + '">' + dueBadge(c.next_home_visit_due, S.next_home_visit) + "</div>" +
        ((c.follow_ups || []).length ? '<div class="small text-warning-emphasis">' + esc(fmt(S.open_items, { n: c.follow_ups.length })) + "</div>" : "") +
        "</li>";
    });
    html += "</ul>";
    var rect = bundle.rectifications || [];
    if (rect.length) {
      html += '<h2 class="h6">' + esc(S.rectifications) + '</h2><ul class="small">';
      rect.forEach(function (r) {
        html += "<li>" + esc(r.text) + (r.due_on ? " (" + esc(r.due_on) + ")" : "") + "</li>";
      });
      html += "</ul>";
    }
    main.innerHTML = html;
  }

  async function screenChild(id) {
    var bundle = await usableBundle();
    if (bundle === "stale") {
      return notice(S.stale);
    }
    var c = bundle ? await DB.child(id) : null;
    if (!c) {
      return notice(S.not_cached);
    }
    var html =
      '<h1 class="h5" data-testid="field-child-name">' + esc(c.name) +
      (c.is_key ? ' <span class="badge bg-danger">' + esc(S.key_child) + "</span>" : "") + "</h1>" +
      '<dl class="row small mb-2">' +
      row(S.age, c.age + S.years + " · " + (c.gender_label || "")) +
      row(S.birth_date, c.birth_date) +
      row(S.id_number, c.id_masked) +
      row(S.village, c.village.name) +
      row(S.categories, (c.categories || []).join("、")) +
      row(S.guardian, (c.guardian_label || "") + " " + (c.carer_name || "") + " " + (c.carer_relation || "")) +
      '<dt class="col-4">' + esc(S.phone) + '</dt><dd class="col-8" data-testid="field-carer-phone">' + (c.carer_phone ? phoneLink(c.carer_phone) : "—") + "</dd>" +
      row(S.school, c.school_name) +
      row(S.next_contact, c.next_contact_due) +
      row(S.next_home_visit, c.next_home_visit_due) +
      "</dl>" +
      '<div class="d-flex flex-wrap gap-2 mb-3">' +
      '<a class="btn btn-primary btn-sm" href="#/child/' + c.id + '/visit" data-testid="field-log-visit">' + esc(S.log_visit) + "</a>" +
      '<a class="btn btn-outline-primary btn-sm" href="#/child/' + c.id + '/note" data-testid="field-add-note">' + esc(S.add_note) + "</a>" +
      '<a class="btn btn-outline-primary btn-sm" href="#/child/' + c.id + '/edit" data-testid="field-edit">' + esc(S.edit_contact) + "</a>" +
      '<a class="btn btn-outline-danger btn-sm" href="#/report/' + c.id + '" data-testid="field-child-report">' + esc(S.report) + "</a></div>";
    if ((c.follow_ups || []).length) {
      html += '<h2 class="h6">' + esc(S.follow_ups) + '</h2><ul class="list-group mb-3">';
      c.follow_ups.forEach(function (f) {
        html +=
          '<li class="list-group-item small" data-follow-up="' + f.id + '">' + esc(f.text) +
          (f.due_on ? " · " + esc(f.due_on) : "") +
          ' <a class="btn btn-link btn-sm" href="#/done/' + c.id + "/" + f.id + '" data-testid="field-done">' + esc(S.mark_done) + "</a></li>";
      });
      html += "</ul>";
    }
    main.innerHTML = html;
  }

  /* A phone to tap and call; a masked one (138****5678, the server's rule) as plain text. */
  function phoneLink(number) {
    if (String(number).indexOf("*") >= 0) {
      return esc(number);
    }
    return '<a href="tel:' + esc(number) + '">' + esc(number) + "</a>";
  }

  function row(label, value) {
    return '<dt class="col-4">' + esc(label) + '</dt><dd class="col-8">' + esc(value || "—") + "</dd>";
  }

  /* ---- forms ---- */

  function formFrom(templateId) {
    var tpl = document.getElementById(templateId);
    var form = tpl.content.firstElementChild.cloneNode(true);
    main.replaceChildren(form);
    return form;
  }

  function fill(form, values) {
    Object.keys(values || {}).forEach(function (name) {
      var value = values[name];
      var inputs = form.querySelectorAll('[name="' + name + '"]');
      inputs.forEach(function (input) {
        if (input.type === "checkbox" || input.type === "radio") {
          var wanted = Array.isArray(value) ? value.map(String) : [String(value)];
          input.checked =
            input.type === "checkbox" && inputs.length === 1 ? !!value && value !== "false" : wanted.indexOf(input.value) >= 0;
        } else if (input.tagName === "SELECT" && input.multiple) {
          Array.prototype.forEach.call(input.options, function (o) {
            o.selected = (value || []).map(String).indexOf(o.value) >= 0;
          });
        } else {
          input.value = value == null ? "" : value;
        }
      });
    });
  }

  /* The form's values by field name: lists for multiple choices, booleans for a lone box. */
  function read(form) {
    var values = {};
    var names = {};
    form.querySelectorAll("[name]").forEach(function (input) {
      names[input.name] = (names[input.name] || []).concat([input]);
    });
    Object.keys(names).forEach(function (name) {
      var inputs = names[name];
      var first = inputs[0];
      if (first.type === "checkbox" && inputs.length === 1 && !first.closest("[data-multiple]") && first.value === "on") {
        values[name] = first.checked;
      } else if (first.type === "checkbox") {
        values[name] = inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
      } else if (first.type === "radio") {
        var chosen = inputs.filter(function (i) { return i.checked; })[0];
        values[name] = chosen ? chosen.value : "";
      } else if (first.tagName === "SELECT" && first.multiple) {
        values[name] = Array.prototype.filter.call(first.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
      } else {
        values[name] = first.value;
      }
    });
    return values;
  }

  function clearErrors(form) {
    form.querySelectorAll("[data-field-error], [data-form-error]").forEach(function (node) {
      node.remove();
    });
  }

  /* Show errors keyed by the form's field names next to their fields (as the pages do). */
  function showErrors(form, errors) {
    clearErrors(form);
    var general = [];
    Object.keys(errors).forEach(function (name) {
      var messages = [].concat(errors[name]).map(String);
      var input = form.querySelector('[name="' + name + '"]');
      if (!input) {
        general = general.concat(messages);
        return;
      }
      var box = input.closest(".mb-3, .col-12, fieldset") || input.parentNode;
      var section = input.closest("details");
      if (section) {
        section.open = true; // a folded section with an error opens, as on the page
      }
      messages.forEach(function (message) {
        var node = el('<div class="invalid-feedback d-block" data-field-error="' + esc(name) + '"></div>');
        node.textContent = message;
        box.appendChild(node);
      });
    });
    if (general.length) {
      var alert = el('<div class="alert alert-danger" role="alert" data-form-error></div>');
      alert.textContent = general.join(" ");
      form.prepend(alert);
    }
    var firstError = form.querySelector("[data-field-error], [data-form-error]");
    if (firstError && firstError.scrollIntoView) {
      firstError.scrollIntoView({ block: "center" });
    }
  }

  /* The ID check on the phone, by the server's rules (static/carecase/idnumber.js). */
  function checkChild(form, values) {
    var errors = {};
    var fields = ["id_number"].concat((config.parent_relations || []).map(function (r) { return r + "_id_number"; }), ["carer_id_number"]);
    fields.forEach(function (name) {
      var value = (values[name] || "").trim();
      if (!value) {
        return;
      }
      var result = window.CareCaseId.check(value, today());
      if (!result.ok) {
        errors[name] = [window.CareCaseId.message(result, idMessages)];
      } else if (name === "id_number") {
        if (!values.birth_date) {
          fill(form, { birth_date: result.birthDate });
          values.birth_date = result.birthDate;
        }
        if (!values.gender) {
          fill(form, { gender: result.gender });
          values.gender = result.gender;
        }
      }
    });
    return errors;
  }

  function wireIdNumber(form) {
    var input = form.querySelector('[name="id_number"]');
    if (!input) {
      return;
    }
    input.addEventListener("change", function () {
      var values = read(form);
      var errors = checkChild(form, values);
      form.querySelectorAll('[data-field-error="id_number"]').forEach(function (n) { n.remove(); });
      if (errors.id_number) {
        showErrorsKeep(form, { id_number: errors.id_number });
      }
    });
  }

  function showErrorsKeep(form, errors) {
    Object.keys(errors).forEach(function (name) {
      var input = form.querySelector('[name="' + name + '"]');
      var box = input.closest(".mb-3") || input.parentNode;
      errors[name].forEach(function (message) {
        var node = el('<div class="invalid-feedback d-block" data-field-error="' + esc(name) + '"></div>');
        node.textContent = message;
        box.appendChild(node);
      });
    });
  }

  async function openForm(kind, ctx, entry) {
    var form = formFrom("tpl-" + kind);
    var back = form.querySelector("[data-slot=back]");
    if (back) {
      back.href = ctx.child_id ? "#/child/" + ctx.child_id : "#/work";
    }
    if (ctx.child) {
      form.querySelectorAll("[data-slot=child-name]").forEach(function (n) { n.textContent = ctx.child.name; });
      form.querySelectorAll("[data-slot=child-name-prefixed]").forEach(function (n) { n.textContent = ": " + ctx.child.name; });
      form.querySelectorAll("[data-slot=unregistered]").forEach(function (n) { n.remove(); });
    }
    if (ctx.item) {
      form.querySelector("[data-slot=item-text]").textContent = ctx.item.text;
    }
    var defaults = { visit_date: today(), noted_on: today(), done_on: today() };
    if (kind === "edit") {
      defaults = Object.assign({}, ctx.before);
    }
    fill(form, entry ? entry.form : defaults);
    if (kind === "child") {
      wireIdNumber(form);
    }
    if (entry && entry.state === "refused") {
      showErrors(form, Entries.formErrors(entry.errors, config));
    }
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var values = read(form);
      if (kind === "child") {
        var local = checkChild(form, values);
        if (Object.keys(local).length) {
          showErrors(form, local);
          return;
        }
      }
      var clientId = entry ? entry.client_id : Outbox.uuid();
      var request = Entries.build(kind, values, Object.assign({ client_id: clientId }, ctx), config);
      var saved = await Outbox.save({
        client_id: clientId,
        owner: owner,
        kind: kind,
        child_id: ctx.child_id ? Number(ctx.child_id) : null,
        label: labelOf(kind, ctx, values),
        url: request.url,
        method: request.method,
        body: request.body,
        form: values,
        ctx: { child_id: ctx.child_id || null, item_id: ctx.item_id || null, base_version: ctx.base_version || null, before: ctx.before || null },
      });
      window.__fieldSavedAt = performance.now();
      requestSync();
      location.hash = "#/outbox/" + saved.client_id;
    });
  }

  function labelOf(kind, ctx, values) {
    var name = ctx.child ? ctx.child.name : values.name || values.child_description || "";
    return fmt(S["entry_" + kind], { name: name });
  }

  async function withChild(id, then) {
    var bundle = await usableBundle();
    if (bundle === "stale") {
      return notice(S.stale);
    }
    var child = bundle ? await DB.child(id) : null;
    if (!child) {
      return notice(S.not_cached);
    }
    return then(child);
  }

  /* ---- the outbox ---- */

  async function screenOutbox(highlight) {
    var entries = await Outbox.list(owner);
    var html = '<h1 class="h5">' + esc(S.outbox) + "</h1>";
    if (highlight) {
      html += '<div class="alert alert-success py-2 small" data-testid="saved-on-phone">' + esc(S.saved_on_phone) + "</div>";
    }
    html += '<button class="btn btn-outline-primary btn-sm mb-2" data-action="send" data-testid="send-now">' + esc(S.send_now) + "</button>";
    html += '<ul class="list-group" data-testid="outbox-entries">';
    entries.forEach(function (e) {
      var action = "";
      if (e.state === "refused") {
        action = ' <a class="btn btn-sm btn-warning" href="#/entry/' + e.client_id + '" data-testid="correct">' + esc(S.correct) + "</a>";
      } else if (e.state === "conflict") {
        action = ' <a class="btn btn-sm btn-warning" href="#/conflict/' + e.client_id + '" data-testid="settle">' + esc(S.settle) + "</a>";
      }
      html +=
        '<li class="list-group-item small" data-entry="' + e.client_id + '" data-kind="' + e.kind + '" data-state="' + e.state + '">' +
        '<span class="badge ' + badge(e.state) + '">' + esc(S["state_" + e.state]) + "</span> " +
        esc(e.label) + ' <span class="text-muted">' + esc(new Date(e.created_at).toLocaleString("zh-CN")) + "</span>" + action + "</li>";
    });
    html += "</ul>";
    if (!entries.length) {
      html += '<p class="text-muted small">' + esc(S.outbox_empty) + "</p>";
    }
    main.innerHTML = html;
    main.querySelector("[data-action=send]").addEventListener("click", function () {
      send();
    });
  }

  function badge(state) {
    return { waiting: "bg-secondary", sending: "bg-info", sent: "bg-success", refused: "bg-danger", conflict: "bg-warning text-dark" }[state] || "bg-secondary";
  }

  async function screenEntry(clientId) {
    var entry = await Outbox.get(clientId);
    if (!entry || entry.owner !== owner) {
      return notice(S.not_cached);
    }
    var ctx = Object.assign({}, entry.ctx || {});
    if (ctx.child_id) {
      ctx.child = await DB.child(ctx.child_id);
    }
    return openForm(entry.kind, ctx, entry);
  }

  /* Fields changed on both sides: the two values side by side; nothing is applied to them
     until the director chooses. */
  async function screenConflict(clientId) {
    var entry = await Outbox.get(clientId);
    if (!entry || entry.state !== "conflict") {
      return screenOutbox();
    }
    var conflict = entry.conflict || {};
    if (conflict.likely_duplicates) {
      return screenLikelyDuplicates(entry, conflict.likely_duplicates);
    }
    var html = '<h1 class="h5">' + esc(S.conflict_title) + "</h1><p class=\"small\">" + esc(conflict.detail || "") + "</p>";
    if ((conflict.applied || []).length) {
      html += '<p class="small text-success" data-testid="applied">' + esc(fmt(S.applied, { fields: conflict.applied.map(labelOfField).join("、") })) + "</p>";
    }
    html += '<form data-testid="conflict-form">';
    Object.keys(conflict.conflicts || {}).forEach(function (field) {
      var c = conflict.conflicts[field];
      html +=
        '<fieldset class="border rounded p-2 mb-2" data-conflict="' + esc(field) + '"><legend class="h6">' + esc(labelOfField(field)) + "</legend>" +
        '<div class="row g-2"><label class="col-6"><input type="radio" name="' + esc(field) + '" value="yours" checked> ' + esc(S.yours) + "<br><strong data-testid=\"yours\">" + esc(c.yours) + "</strong></label>" +
        '<label class="col-6"><input type="radio" name="' + esc(field) + '" value="theirs"> ' + esc(fmt(S.theirs, { who: c.changed_by, when: c.changed_at ? new Date(c.changed_at).toLocaleString("zh-CN") : "" })) +
        "<br><strong data-testid=\"theirs\">" + esc(c.theirs) + "</strong></label></div></fieldset>";
    });
    html += '<button type="submit" class="btn btn-primary">' + esc(S.apply_choice) + "</button></form>";
    main.innerHTML = html;
    main.querySelector("form").addEventListener("submit", async function (event) {
      event.preventDefault();
      var body = { base_version: conflict.version };
      Object.keys(conflict.conflicts || {}).forEach(function (field) {
        var choice = main.querySelector('input[name="' + field + '"]:checked').value;
        body[field] = choice === "yours" ? conflict.conflicts[field].yours : conflict.conflicts[field].theirs;
      });
      await Outbox.save({ client_id: entry.client_id, body: body, url: entry.url, method: "PATCH" });
      requestSync();
      location.hash = "#/outbox";
    });
  }

  /* A registration the server did not save: the archive may already hold this child
     (children.duplicates). Each candidate links to its archive; registering anyway sends the
     entry again saying which candidates are not this child (the server records it). */
  function screenLikelyDuplicates(entry, candidates) {
    var html = '<h1 class="h5">' + esc(S.likely_title) + '</h1><p class="small">' + esc(S.likely_hint) + "</p>";
    html += '<ul class="list-unstyled" data-testid="likely-duplicates">';
    candidates.forEach(function (c) {
      html += '<li class="mb-2"><a href="/children/' + encodeURIComponent(c.id) + '/">' + esc(c.name) + "</a> " +
        '<span class="small text-body-secondary">' + esc(c.birth_date) + " · " + esc(c.village_name) + " · " + esc((c.reason_labels || []).join("、")) + "</span></li>";
    });
    html += '</ul><button type="button" class="btn btn-warning" data-testid="not-same-child">' + esc(S.not_same_child) + "</button>";
    main.innerHTML = html;
    main.querySelector("button").addEventListener("click", async function () {
      var body = Object.assign({}, entry.body, { not_duplicate_of: candidates.map(function (c) { return c.id; }) });
      await Outbox.save({ client_id: entry.client_id, body: body, url: entry.url, method: entry.method });
      requestSync();
      location.hash = "#/outbox";
    });
  }

  function labelOfField(name) {
    return (config.field_labels || {})[name] || name;
  }

  /* ---- sending ---- */

  async function requestSync() {
    if (navigator.serviceWorker && navigator.serviceWorker.ready && "SyncManager" in window) {
      try {
        var registration = await navigator.serviceWorker.ready;
        await registration.sync.register("carecase-outbox");
      } catch (error) {
        /* Background Sync unavailable: the online event and the next page load send. */
      }
    }
    if (navigator.onLine) {
      send();
    }
  }

  async function send() {
    var result = await Outbox.flush(owner);
    if (result.stopped === "signin") {
      var box = document.querySelector("[data-testid=sign-in-again]");
      if (!box) {
        box = el('<div class="alert alert-info small" data-testid="sign-in-again"><a href="/accounts/login/?next=/field/%23/outbox">' + esc(S.sign_in_again) + "</a></div>");
        main.before(box);
      }
    } else if (!result.stopped) {
      var again = document.querySelector("[data-testid=sign-in-again]");
      if (again) {
        again.remove();
      }
    }
    await showStatus();
    if (/^#\/(outbox|work|child)/.test(location.hash) || !location.hash) {
      route();
    }
    return result;
  }
  window.CareCaseField = { send: send, refresh: function () { return Outbox.refresh(owner); } };

  /* ---- routes ---- */

  async function route() {
    var hash = location.hash || fromPath();
    var m;
    await showStatus();
    if ((m = hash.match(/^#\/child\/(\d+)\/(visit|note|edit)$/))) {
      var kind = m[2];
      return withChild(m[1], function (child) {
        var ctx = { child_id: child.id, child: child };
        if (kind === "edit") {
          ctx.base_version = child.version;
          ctx.before = {};
          config.editable_fields.forEach(function (name) {
            ctx.before[name] = child[name] || "";
          });
        }
        return openForm(kind, ctx);
      });
    }
    if ((m = hash.match(/^#\/child\/(\d+)$/))) {
      return screenChild(m[1]);
    }
    if ((m = hash.match(/^#\/done\/(\d+)\/(\d+)$/))) {
      var itemId = Number(m[2]);
      return withChild(m[1], function (child) {
        var item = (child.follow_ups || []).filter(function (f) { return f.id === itemId; })[0];
        return openForm("done", { child_id: child.id, child: child, item_id: itemId, item: item || { text: "" } });
      });
    }
    if ((m = hash.match(/^#\/report\/(\d+)$/))) {
      return withChild(m[1], function (child) {
        return openForm("report", { child_id: child.id, child: child });
      });
    }
    if (hash === "#/report") {
      return openForm("report", {});
    }
    if (hash === "#/register") {
      var bundle = await usableBundle();
      if (bundle === "stale") {
        return notice(S.stale);
      }
      return openForm("child", {});
    }
    if ((m = hash.match(/^#\/outbox(?:\/([\w-]+))?$/))) {
      return screenOutbox(m[1]);
    }
    if ((m = hash.match(/^#\/entry\/([\w-]+)$/))) {
      return screenEntry(m[1]);
    }
    if ((m = hash.match(/^#\/conflict\/([\w-]+)$/))) {
      return screenConflict(m[1]);
    }
    return screenWork();
  }

  /* The service worker answers a page of the site with this app when there is no network:
     open the screen that page would have shown. */
  function fromPath() {
    var path = location.pathname;
    var m;
    if ((m = path.match(/^\/children\/(\d+)\/$/))) {
      return "#/child/" + m[1];
    }
    var params = new URLSearchParams(location.search);
    if (path === "/visits/new/" && params.get("child")) {
      return "#/child/" + params.get("child") + "/visit";
    }
    if (path === "/reports/new/") {
      return params.get("child") ? "#/report/" + params.get("child") : "#/report";
    }
    if (path === "/children/new/") {
      return "#/register";
    }
    return "#/work";
  }

  async function start() {
    var stored = await DB.getMeta("clock_offset");
    clockOffset = stored != null ? stored : Date.parse(config.server_now) - Date.now();
    // A new sign-in on this phone: what another director cached is wiped first.
    var bundle = await DB.getMeta("bundle");
    if (bundle && bundle.owner !== owner) {
      await DB.wipe(false);
    }
    if (!navigator.locks || !(await navigator.locks.query()).held.length) {
      await Outbox.recover(owner);
    }
    window.addEventListener("hashchange", route);
    window.addEventListener("online", function () {
      showStatus();
      send();
    });
    window.addEventListener("offline", showStatus);
    await route();
    if (navigator.onLine) {
      var fresh = await Outbox.refresh(owner);
      if (fresh === "revoked") {
        notice(S.revoked);
        return;
      }
      await send();
    }
  }

  start();
})();
