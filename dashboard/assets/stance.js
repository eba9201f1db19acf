// Client-side helpers for the stance dashboard (see dashboard/filters.py and pages).
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    stance: {
        // Put the filters' query string in the address bar without reloading, keeping
        // the page's own parameters (who, doc, seg) and the #anchor.
        writeQuery: function (query) {
            const PAGE_KEYS = ["who", "doc", "seg", "on", "q", "mode", "page", "bucket", "n", "add", "color"];
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
        // Page parameters in the address bar: the speaker or document shown, the comparison,
        // the search, the time bucket, the agreement views' size.
        setWho: function (value) { return window.dash_clientside.stance.setParam(value, "who"); },
        setDoc: function (value) { return window.dash_clientside.stance.setParam(value, "doc"); },
        setBucket: function (value) {
            return window.dash_clientside.stance.setParam(value === "auto" ? null : value, "bucket");
        },
        setCompare: function (who, topic) {
            return window.dash_clientside.stance.setParams({who: (who || []).join(","), on: topic});
        },
        setSearch: function (q, mode, page) {
            return window.dash_clientside.stance.setParams(
                {q: q, mode: mode === "meaning" ? null : mode, page: page > 1 ? page : null});
        },
        setAgreement: function (n, add) {
            return window.dash_clientside.stance.setParams({n: n, add: (add || []).join(",")});
        },
        setParam: function (value, key) {
            const values = {};
            values[key] = value;
            return window.dash_clientside.stance.setParams(values);
        },
        setParams: function (values) {
            const params = new URLSearchParams(window.location.search);
            Object.keys(values).forEach(function (key) {
                const value = values[key];
                if (value !== null && value !== undefined && value !== "") { params.set(key, value); }
                else { params.delete(key); }
            });
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
