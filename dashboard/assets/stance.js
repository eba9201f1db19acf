// Client-side helpers for the stance dashboard (see dashboard/filters.py and pages).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    stance: {
        // Put the filters' query string in the address bar without reloading, keeping
        // the page's own parameters (who, doc, seg) and the #anchor.
        writeQuery: function (query) {
            const PAGE_KEYS = ["who", "doc", "seg"];
            const current = new URLSearchParams(window.location.search);
            const next = new URLSearchParams(query || "");
            PAGE_KEYS.forEach(function (k) { if (current.has(k)) { next.set(k, current.get(k)); } });
            const qs = next.toString();
            const url = window.location.pathname + (qs ? "?" + qs : "") + window.location.hash;
            if (url !== window.location.pathname + window.location.search + window.location.hash) {
                window.history.replaceState(window.history.state, "", url);
            }
            return window.dash_clientside.no_update;
        },
        // Page parameters in the address bar: the speaker or document shown.
        setWho: function (value) { return window.dash_clientside.stance.setParam(value, "who"); },
        setDoc: function (value) { return window.dash_clientside.stance.setParam(value, "doc"); },
        setParam: function (value, key) {
            const params = new URLSearchParams(window.location.search);
            if (value) { params.set(key, value); } else { params.delete(key); }
            const qs = params.toString();
            const url = window.location.pathname + (qs ? "?" + qs : "") + window.location.hash;
            window.history.replaceState(window.history.state, "", url);
            return window.dash_clientside.no_update;
        },
        // Every grid's "Export CSV" button.
        exportCsv: function (n) {
            return n ? true : window.dash_clientside.no_update;
        },
        // Scroll a document to the segment (its HTML id) named in the URL and mark it.
        scrollTo: function (target, children) {
            if (!target) { return window.dash_clientside.no_update; }
            setTimeout(function () {
                const el = document.getElementById(target);
                if (el) {
                    el.scrollIntoView({block: "center"});
                    el.classList.add("segment-target");
                }
            }, 50);
            return target;
        }
    }
});
