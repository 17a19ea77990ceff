/* The phone's store for the field app (IndexedDB through the vendored `idb`), shared by the
   pages and the service worker (importScripts):
   - children: the signed-in director's own children, only the fields /api/v1/offline/ sends
     (resident IDs masked);
   - outbox: every entry made on the phone, with its client id, until it is sent;
   - meta: who the cached data belongs to, when the server was last reached, the bundle's
     village-level items.
   Signing out, or the server saying the device may no longer hold the data, wipes the cached
   children and the sent entries; an unsent entry is only deleted if the director says so. */
(function (root) {
  "use strict";
  var NAME = "carecase-field";
  var opening = null;

  function open() {
    if (!opening) {
      opening = root.idb.openDB(NAME, 1, {
        upgrade: function (db) {
          db.createObjectStore("meta");
          db.createObjectStore("children", { keyPath: "id" });
          var outbox = db.createObjectStore("outbox", { keyPath: "client_id" });
          outbox.createIndex("owner", "owner");
        },
      });
    }
    return opening;
  }

  async function getMeta(key) {
    return (await open()).get("meta", key);
  }

  async function setMeta(key, value) {
    return (await open()).put("meta", value, key);
  }

  /* Replace the cached children with a bundle from the server, in one transaction. */
  async function storeBundle(owner, bundle) {
    var db = await open();
    var tx = db.transaction(["children", "meta"], "readwrite");
    var children = tx.objectStore("children");
    await children.clear();
    for (var i = 0; i < bundle.children.length; i++) {
      await children.put(bundle.children[i]);
    }
    var meta = tx.objectStore("meta");
    await meta.put(
      {
        owner: owner,
        generated_at: bundle.generated_at,
        today: bundle.today,
        max_age_days: bundle.max_age_days,
        user: bundle.user,
        rectifications: bundle.rectifications || [],
        tasks: bundle.tasks || [],
      },
      "bundle"
    );
    await meta.put(Date.now(), "contact");
    // How far the phone's clock is from the server's, for "today" on the server's calendar.
    await meta.put(Date.parse(bundle.generated_at) - Date.now(), "clock_offset");
    await tx.done;
  }

  async function children() {
    return (await open()).getAll("children");
  }

  async function child(id) {
    return (await open()).get("children", Number(id));
  }

  async function putChild(record) {
    return (await open()).put("children", record);
  }

  /* Wipe what the phone holds for a director: the cached children, the facts, the sent and
     settled entries; unsent ones too only when `unsent` is true. */
  async function wipe(unsent) {
    var db = await open();
    var tx = db.transaction(["children", "meta", "outbox"], "readwrite");
    await tx.objectStore("children").clear();
    await tx.objectStore("meta").clear();
    var outbox = tx.objectStore("outbox");
    var cursor = await outbox.openCursor();
    while (cursor) {
      if (unsent || cursor.value.state === "sent") {
        await cursor.delete();
      }
      cursor = await cursor.continue();
    }
    await tx.done;
    if (root.caches) {
      await root.caches.delete("field-pages");
    }
  }

  async function unsentCount(owner) {
    var all = await (await open()).getAllFromIndex("outbox", "owner", owner);
    return all.filter(function (e) {
      return e.state !== "sent";
    }).length;
  }

  root.CareCaseDB = {
    open: open,
    getMeta: getMeta,
    setMeta: setMeta,
    storeBundle: storeBundle,
    children: children,
    child: child,
    putChild: putChild,
    wipe: wipe,
    unsentCount: unsentCount,
  };
})(self);
