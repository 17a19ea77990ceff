/* CareCase's service worker (version __VERSION__), served by fieldapp.views.service_worker.
   - The app's scripts, styles and vendored libraries are precached (Workbox), so the field
     app opens with no network.
   - The field app's shell (/field/) is fetched from the network when there is one and kept in
     a cache that signing out deletes; with no network, a director's navigation to "my work",
     a child's page or a form is answered with the shell, which shows that screen from the
     phone's store.
   - The outbox is sent on Background Sync ("carecase-outbox") where the browser has it; the
     pages also send on the `online` event and on every load.
   Nothing else is cached: the other pages carry data the phone must not keep (R20). */
importScripts("{{ workbox }}");
importScripts("{{ idb }}", "{{ db }}", "{{ outbox }}", "{{ entries }}");
workbox.setConfig({ modulePathPrefix: "{{ workbox_prefix }}", debug: false });
workbox.core.setCacheNameDetails({ prefix: "carecase" });
workbox.core.clientsClaim();
self.skipWaiting();

var ASSETS = {{ assets_json|safe }};
workbox.precaching.precacheAndRoute(
  ASSETS.map(function (url) {
    return { url: url, revision: "__VERSION__" };
  })
);
workbox.precaching.cleanupOutdatedCaches();

var SHELL = "/field/";
var PAGES = "field-pages";
var shellStrategy = new workbox.strategies.NetworkFirst({
  cacheName: PAGES,
  networkTimeoutSeconds: 4,
  matchOptions: { ignoreVary: true, ignoreSearch: true },
  plugins: [new workbox.cacheableResponse.CacheableResponsePlugin({ statuses: [200] })],
});

/* The shell itself: network first, the cached copy with no network. A redirect (signed out)
   is not cached. */
workbox.routing.registerRoute(function (options) {
  return options.url.pathname === SHELL && options.request.mode === "navigate";
}, shellStrategy);

/* A director's pages with no network: the shell, which opens the same screen offline. */
var OFFLINE_PAGES = [/^\/$/, /^\/visits\/$/, /^\/visits\/new\/$/, /^\/children\/\d+\/$/, /^\/children\/new\/$/, /^\/reports\/new\/$/];
workbox.routing.registerRoute(
  function (options) {
    return (
      options.request.mode === "navigate" &&
      OFFLINE_PAGES.some(function (pattern) {
        return pattern.test(options.url.pathname);
      })
    );
  },
  async function (options) {
    try {
      return await fetch(options.request);
    } catch (error) {
      var cache = await caches.open(PAGES);
      // The page varies on the cookie and the language; the shell is the one kept for this
      // phone's director, whatever the request says.
      var shell = await cache.match(SHELL, { ignoreVary: true, ignoreSearch: true });
      if (shell) {
        return shell;
      }
      throw error;
    }
  }
);

/* The online visit page posted with no network (or the send failed): the form is not lost but
   queued in the outbox under its own client id, and the director sees it there. */
var VISIT_CONFIG = {{ visit_config_json|safe }};
workbox.routing.registerRoute(
  function (options) {
    return options.request.mode === "navigate" && options.url.pathname === "/visits/new/";
  },
  async function (options) {
    var copy = options.request.clone();
    try {
      return await fetch(options.request);
    } catch (error) {
      var bundle = await self.CareCaseDB.getMeta("bundle");
      if (!bundle) {
        throw error;
      }
      var data = await copy.formData();
      var values = {};
      data.forEach(function (value, name) {
        values[name] = value;
      });
      if (!values.client_uuid || !values.child) {
        throw error;
      }
      var child = await self.CareCaseDB.child(values.child);
      var request = self.CareCaseEntries.build(
        "visit",
        values,
        { client_id: values.client_uuid, child_id: values.child },
        VISIT_CONFIG
      );
      var saved = await self.CareCaseOutbox.save({
        client_id: values.client_uuid,
        owner: bundle.owner,
        kind: "visit",
        child_id: Number(values.child),
        label: VISIT_CONFIG.label.replace("%(name)s", child ? child.name : ""),
        url: request.url,
        method: request.method,
        body: request.body,
        form: values,
        ctx: { child_id: Number(values.child) },
      });
      try {
        await self.registration.sync.register("carecase-outbox");
      } catch (ignored) {
        /* no Background Sync: the pages send when the network returns */
      }
      return Response.redirect("/field/#/outbox/" + saved.client_id, 303);
    }
  },
  "POST"
);

self.addEventListener("sync", function (event) {
  if (event.tag === "carecase-outbox") {
    event.waitUntil(sendAll());
  }
});

async function sendAll() {
  var bundle = await self.CareCaseDB.getMeta("bundle");
  if (!bundle) {
    return;
  }
  var result = await self.CareCaseOutbox.flush(bundle.owner);
  var clients = await self.clients.matchAll({ type: "window" });
  clients.forEach(function (client) {
    client.postMessage({ type: "outbox", result: result });
  });
  if (result.stopped === "network" || result.stopped === "server") {
    throw new Error("retry later"); // Background Sync tries again
  }
}
