/* What each kind of entry of the field app sends: the API request built from a form's values
   (the field names of the online pages' forms), and the server's field errors mapped back to
   those names. Shared by the app (app.js) and the service worker, which queues a page's visit
   form posted with no network (templates/field/sw.js). */
(function (root) {
  "use strict";

  /* The server's errors, flattened to the form's field names. */
  function formErrors(errors, config) {
    var out = {};
    Object.keys(errors || {}).forEach(function (key) {
      var value = errors[key];
      if (key === "follow_ups" && Array.isArray(value) && value.length && typeof value[0] === "object") {
        value.forEach(function (item, i) {
          Object.keys(item || {}).forEach(function (sub) {
            var name = "follow_up_" + (i + 1) + (sub === "text" ? "" : sub === "due_on" ? "_due" : "_" + sub);
            out[name] = item[sub];
          });
        });
      } else if (key === "parents" && Array.isArray(value) && value.length && typeof value[0] === "object") {
        value.forEach(function (item, i) {
          var relation = (config.parent_relations || [])[i];
          Object.keys(item || {}).forEach(function (sub) {
            out[relation + "_" + sub] = item[sub];
          });
        });
      } else if (key === "detail" || key === "non_field_errors") {
        out.__all__ = value;
      } else if (key === "child_token" || key === "client_uuid" || key === "client_token") {
        out.__all__ = value;
      } else {
        out[key] = value;
      }
    });
    return out;
  }

  /* What each kind of entry sends: the API request built from the form's values. */
  var BUILDERS = {
    visit: function (values, ctx, config) {
      var body = { client_uuid: ctx.client_id, child: Number(ctx.child_id), follow_ups: [] };
      config.visit_fields.forEach(function (name) {
        if (values[name] !== undefined) {
          body[name] = values[name];
        }
      });
      // A box posted by a page reads "on"; read on the phone, true or false.
      body.danger_found = values.danger_found === true || values.danger_found === "on";
      for (var i = 1; i <= config.follow_up_rows; i++) {
        var text = (values["follow_up_" + i] || "").trim();
        if (text || values["follow_up_" + i + "_due"]) {
          body.follow_ups.push({
            text: text,
            due_on: values["follow_up_" + i + "_due"] || null,
            urgent: values["follow_up_" + i + "_urgent"] === true || values["follow_up_" + i + "_urgent"] === "on",
          });
        }
      }
      return { url: "/api/v1/visits/", method: "POST", body: body };
    },
    note: function (values, ctx) {
      return {
        url: "/api/v1/children/" + ctx.child_id + "/notes/",
        method: "POST",
        body: { client_token: ctx.client_id, noted_on: values.noted_on, text: values.text },
      };
    },
    edit: function (values, ctx, config) {
      var body = { base_version: ctx.base_version };
      config.editable_fields.forEach(function (name) {
        if (values[name] !== ctx.before[name]) {
          body[name] = values[name];
        }
      });
      Object.assign(body, ctx.chosen || {});
      return { url: "/api/v1/children/" + ctx.child_id + "/", method: "PATCH", body: body };
    },
    child: function (values, ctx, config) {
      var body = { client_token: ctx.client_id, parents: [] };
      Object.keys(values).forEach(function (name) {
        var relation = (config.parent_relations || []).filter(function (r) {
          return name.indexOf(r + "_") === 0;
        })[0];
        if (!relation && name !== "client_token") {
          body[name] = values[name] === "" ? (config.nullable.indexOf(name) >= 0 ? null : "") : values[name];
        }
      });
      body.village = config.village_codes[values.village] || values.village;
      (config.parent_relations || []).forEach(function (relation) {
        var parent = { relation: relation };
        var any = false;
        config.parent_fields.forEach(function (field) {
          var value = values[relation + "_" + field];
          parent[field] = value === "" ? (field === "missing_since" ? null : "") : value;
          any = any || !!value;
        });
        if (any) {
          body.parents.push(parent);
        }
      });
      return { url: "/api/v1/children/", method: "POST", body: body };
    },
    report: function (values, ctx) {
      var body = { client_uuid: ctx.client_id };
      Object.keys(values).forEach(function (name) {
        if (name !== "client_uuid") {
          body[name] = values[name] === "" ? null : values[name];
        }
      });
      ["child_description", "location", "how_found", "what_seen", "police_station", "police_officer", "police_receipt"].forEach(function (name) {
        if (body[name] == null) {
          body[name] = "";
        }
      });
      if (ctx.child_id) {
        body.child = Number(ctx.child_id);
        body.village = null;
      } else {
        body.village = values.village ? Number(values.village) : null;
      }
      return { url: "/api/v1/reports/", method: "POST", body: body };
    },
    done: function (values, ctx) {
      return {
        url: "/api/v1/follow-ups/" + ctx.item_id + "/done/",
        method: "POST",
        body: { done_on: values.done_on || null, done_note: values.done_note || "" },
      };
    },
  };


  function build(kind, values, ctx, config) {
    return BUILDERS[kind](values, ctx, config);
  }

  root.CareCaseEntries = { build: build, formErrors: formErrors };
})(self);
