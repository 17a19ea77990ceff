/* On the pages of a signed-in user who is not (or no longer) a village child director: if this
   browser once kept a director's children for the field app, the server no longer lets this
   account keep them (the assignment ended, the role changed): wipe the cached children and the
   sent entries, and remove the service worker. Unsent entries stay until a director signs in
   again on this phone and decides (static/field/db.js). */
(function () {
  "use strict";
  var FLAG = "carecase-field";
  var script = document.currentScript;
  try {
    if (!window.localStorage || !localStorage.getItem(FLAG)) {
      return;
    }
  } catch (error) {
    return;
  }
  function load(src) {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = src;
      tag.onload = resolve;
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }
  load(script.dataset.idb)
    .then(function () {
      return load(script.dataset.db);
    })
    .then(function () {
      return window.CareCaseDB.wipe(false);
    })
    .then(function () {
      localStorage.removeItem(FLAG);
      if (navigator.serviceWorker) {
        return navigator.serviceWorker.getRegistrations().then(function (registrations) {
          return Promise.all(
            registrations.map(function (registration) {
              return registration.unregister();
            })
          );
        });
      }
    })
    .then(function () {
      document.documentElement.dataset.fieldForgotten = "1";
    })
    .catch(function (error) {
      console.warn("CareCase: could not wipe the offline copy:", error);
    });
})();
