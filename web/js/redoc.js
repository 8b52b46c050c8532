// ReDoc at /redoc from the vendored bundle; search is off, since it would start a worker from a blob: URL.
Redoc.init("/openapi.json", { disableSearch: true }, document.getElementById("redoc"));
