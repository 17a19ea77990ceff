/* On every page a village child director opens: install the field app's service worker (so
   that "my work" and the forms open with no network), and wipe what the phone holds when she
   signs out — the cached children and the sent entries; unsent ones only if she says so. */
(function () {
  "use strict";
  var script = document.currentScript;
  var user = script ? Number(script.dataset.user) : null;
  var HOUR = 3600000;
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker
      .register("/sw.js", { scope: "/" })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(warm)
      .catch(function (error) {
        /* No service worker (an old browser, a private window): the online pages still work. */
        console.warn("CareCase offline app unavailable:", error);
      });
  }

  /* The app's shell into the cache, once more after a moment if refused: a request still
     carrying the session that a sign-out or a sign-in has just replaced gets a 400 (Django's
     SessionInterrupted), and the next one does not. */
  async function addShell(pages) {
    try {
      await pages.add("/field/");
    } catch (error) {
      await new Promise(function (resolve) {
        setTimeout(resolve, 2000);
      });
      await pages.add("/field/");
    }
  }

  /* After a sign-in on this phone, keep the field app and the director's children ready for
     when the network goes (again at most hourly; the app itself refreshes after each send). */
  async function warm() {
    if (!navigator.onLine || !user) {
      return;
    }
    var pages = await caches.open("field-pages");
    var bundle = await window.CareCaseDB.getMeta("bundle");
    var contact = (await window.CareCaseDB.getMeta("contact")) || 0;
    if (bundle && bundle.owner !== user) {
      await window.CareCaseDB.wipe(false);
      bundle = null;
    }
    if (!(await pages.match("/field/")) || !bundle) {
      await addShell(pages);
    }
    if (!bundle || Date.now() - contact > HOUR) {
      await window.CareCaseOutbox.refresh(user);
    }
    try {
      localStorage.setItem("carecase-field", "1"); // this browser holds a copy (forget.js)
    } catch (error) {
      /* private mode: nothing is kept anyway */
    }
    // Ready for a day with no network (the tests wait for this mark).
    document.documentElement.dataset.fieldReady = "1";
  }
  document.querySelectorAll("form[data-field-signout]").forEach(function (form) {
    form.addEventListener("submit", async function (event) {
      if (form.dataset.wiped) {
        return;
      }
      event.preventDefault();
      var unsent = 0;
      try {
        unsent = await window.CareCaseDB.unsentCount(user);
      } catch (error) {
        unsent = 0;
      }
      var dropUnsent = false;
      if (unsent > 0) {
        var message = form.dataset.unsentQuestion || "";
        dropUnsent = window.confirm(message.replace("%(n)s", unsent));
      }
      try {
        await window.CareCaseDB.wipe(dropUnsent);
      } finally {
        form.dataset.wiped = "1";
        form.submit();
      }
    });
  });
})();
