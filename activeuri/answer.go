// Package activeuri is the Active URI handler of spec §3: the commands a CTI
// console sends to /cgi-bin/ConfigManApp.com (?key=OK, ?number=N&
// outgoing_uri=...), their parsing, key sequences and the allow-list. The
// phone's web server (webui.WebServer) mounts Handler behind its login.
//
// Spec §3: "The console sends GET http://PHONE_IP/cgi-bin/ConfigManApp.com?key=OK".
package activeuri

import (
	"fmt"
	"net/http"
	"time"
)

// PathCommand is the fixed Active URI path (spec §3).
const PathCommand = "/cgi-bin/ConfigManApp.com"

// DefaultTimeout bounds how long one request waits for the phone's loop.
const DefaultTimeout = 2 * time.Second

// HTTPError answers a short text/plain message. Messages quote what the
// client sent with %q; nosniff keeps browsers from reading them as HTML.
func HTTPError(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, fmt.Sprintf(format, args...), code)
}

// WriteText answers 200 text/plain.
func WriteText(w http.ResponseWriter, format string, args ...any) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, format+"\n", args...)
}
