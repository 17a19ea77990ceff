/* The outbox: every entry the director makes in the field app waits here, on the phone, until
   the server has it. Shared by the pages and the service worker (Background Sync).

   An entry: {client_id, owner, kind, child_id, label, url, method, body, form, state, seq,
   created_at, sent_at, errors, conflict, result}. States: waiting → sending → sent, or
   refused (the server's field errors, to correct and resend) or conflict (fields changed on
   both sides, to settle). Mandatory reports are sent first, one at a time; then the rest in
   order, in a few lanes at once, one child's entries always in one lane, in order. The body
   carries the client id the server is idempotent on, so an entry sent twice (the
   phone lost the answer) is stored once. Sending stops at the first network failure or when
   the session has expired, and goes on at the next chance: nothing is dropped. */
(function (root) {
  "use strict";
  var DB = root.CareCaseDB;
  var PRIORITY = { report: 0 };
  var LANES = 4;
  var SESSION_URL = "/field/session/";
  var BUNDLE_URL = "/api/v1/offline/";

  function uuid() {
    if (root.crypto && root.crypto.randomUUID) {
      return root.crypto.randomUUID();
    }
    var bytes = root.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return (b + 0x100).toString(16).slice(1);
      })
      .join("");
    return (
      hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20)
    );
  }

  function ordered(entries) {
    return entries.slice().sort(function (a, b) {
      var pa = a.kind in PRIORITY ? PRIORITY[a.kind] : 1;
      var pb = b.kind in PRIORITY ? PRIORITY[b.kind] : 1;
      return pa - pb || a.seq - b.seq;
    });
  }

  async function nextSeq(db) {
    var tx = db.transaction("meta", "readwrite");
    var seq = ((await tx.store.get("seq")) || 0) + 1;
    await tx.store.put(seq, "seq");
    await tx.done;
    return seq;
  }

  /* Store a new entry (or, with an existing client_id, replace a refused or settled one). */
  async function save(entry) {
    var db = await DB.open();
    var earlier = entry.client_id ? await db.get("outbox", entry.client_id) : null;
    var record = Object.assign({}, earlier || {}, entry, {
      client_id: entry.client_id || uuid(),
      state: "waiting",
      errors: null,
      conflict: null,
    });
    if (!earlier) {
      record.seq = await nextSeq(db);
      record.created_at = new Date().toISOString();
    }
    await db.put("outbox", record);
    return record;
  }

  async function list(owner) {
    var db = await DB.open();
    return ordered(await db.getAllFromIndex("outbox", "owner", owner));
  }

  async function get(clientId) {
    return (await DB.open()).get("outbox", clientId);
  }

  async function update(clientId, changes) {
    var db = await DB.open();
    var tx = db.transaction("outbox", "readwrite");
    var record = await tx.store.get(clientId);
    if (record) {
      Object.assign(record, changes);
      await tx.store.put(record);
    }
    await tx.done;
    return record;
  }

  async function remove(clientId) {
    return (await DB.open()).delete("outbox", clientId);
  }

  async function session() {
    try {
      var response = await fetch(SESSION_URL, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) {
        return { reachable: false };
      }
      var data = await response.json();
      data.reachable = true;
      return data;
    } catch (error) {
      return { reachable: false };
    }
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch (error) {
      return {};
    }
  }

  async function sendOne(entry, csrf) {
    await update(entry.client_id, { state: "sending", attempts: (entry.attempts || 0) + 1 });
    var response;
    try {
      response = await fetch(entry.url, {
        method: entry.method,
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrf,
        },
        body: JSON.stringify(entry.body),
      });
    } catch (error) {
      await update(entry.client_id, { state: "waiting" });
      return "network";
    }
    var data = await readJson(response);
    if (response.ok) {
      await update(entry.client_id, {
        state: "sent",
        sent_at: new Date().toISOString(),
        result: { id: data.id, status: response.status },
      });
      return "sent";
    }
    if (response.status === 400 || response.status === 404) {
      await update(entry.client_id, { state: "refused", errors: data, status: response.status });
      return "refused";
    }
    if (response.status === 409) {
      await update(entry.client_id, { state: "conflict", conflict: data });
      return "conflict";
    }
    if (response.status === 401 || response.status === 403) {
      var now = await session();
      if (!now.signed_in) {
        await update(entry.client_id, { state: "waiting" });
        return "signin";
      }
      // Signed in but refused (the training gate, a child no longer hers): say why.
      await update(entry.client_id, { state: "refused", errors: data, status: response.status });
      return "refused";
    }
    await update(entry.client_id, { state: "waiting" });
    return "server";
  }

  /* Entries left "sending" by a page closed mid-send are to be sent again (the client id makes
     a second arrival harmless). */
  async function recover(owner) {
    var entries = await list(owner);
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].state === "sending") {
        await update(entries[i].client_id, { state: "waiting" });
      }
    }
  }

  var running = null;

  /* Send every waiting entry of `owner`, in order; resolves to {sent, stopped}. One run at a
     time on this phone (a Web Lock across the pages and the service worker). */
  function flush(owner) {
    if (running) {
      return running;
    }
    var work = async function () {
      var now = await session();
      if (!now.reachable) {
        return { sent: 0, stopped: "network" };
      }
      if (!now.signed_in || now.user !== owner) {
        return { sent: 0, stopped: "signin" };
      }
      var entries = (await list(owner)).filter(function (e) {
        return e.state === "waiting" || e.state === "sending";
      });
      var sent = 0;
      var stopped = null;
      var count = function (outcome) {
        if (outcome === "sent") {
          sent += 1;
        } else if (outcome === "network" || outcome === "signin" || outcome === "server") {
          stopped = stopped || outcome;
        }
      };
      // Mandatory reports first, one by one, before anything else leaves the phone.
      var reports = entries.filter(function (e) {
        return e.kind in PRIORITY;
      });
      for (var i = 0; i < reports.length && !stopped; i++) {
        count(await sendOne(reports[i], now.csrf));
      }
      // Then the rest in order, a few lanes at a time (a weak network's round trip, not the
      // server, is what a director waits for); one child's entries stay in one lane, in order.
      var rest = entries.filter(function (e) {
        return !(e.kind in PRIORITY);
      });
      var lanes = [];
      var laneOf = {};
      var keys = 0;
      rest.forEach(function (entry) {
        var key = entry.child_id != null ? "child-" + entry.child_id : "entry-" + entry.client_id;
        if (!(key in laneOf)) {
          laneOf[key] = keys % LANES; // round robin
          keys += 1;
        }
        (lanes[laneOf[key]] = lanes[laneOf[key]] || []).push(entry);
      });
      await Promise.all(
        lanes.map(async function (lane) {
          for (var j = 0; j < lane.length && !stopped; j++) {
            count(await sendOne(lane[j], now.csrf));
          }
        })
      );
      if (sent) {
        await refresh(owner);
      }
      return { sent: sent, stopped: stopped };
    };
    var locked =
      root.navigator && root.navigator.locks
        ? function () {
            return root.navigator.locks.request("carecase-outbox", work);
          }
        : work;
    running = locked().finally(function () {
      running = null;
    });
    return running;
  }

  /* Fetch the director's children again. A 403 while signed in means the server no longer
     lets this user keep them on a phone (the assignment ended, the role changed): wipe. */
  async function refresh(owner) {
    var response;
    try {
      response = await fetch(BUNDLE_URL, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
    } catch (error) {
      return "network";
    }
    if (response.ok) {
      await DB.storeBundle(owner, await response.json());
      return "fresh";
    }
    if (response.status === 401 || response.status === 403) {
      var now = await session();
      if (now.signed_in) {
        await DB.wipe(false);
        return "revoked";
      }
      return "signin";
    }
    return "server";
  }

  root.CareCaseOutbox = {
    uuid: uuid,
    save: save,
    list: list,
    get: get,
    update: update,
    remove: remove,
    flush: flush,
    recover: recover,
    refresh: refresh,
    session: session,
    ordered: ordered,
  };
})(self);
