package webui

import (
	"bytes"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"
)

// Request is one Active URI request (PathCommand) as WebOptions.Observe sees
// it, whatever became of it: applied (200), malformed (400), refused by
// the login or allow-list (401/403) or by the phone (409).
type Request struct {
	Time    time.Time     // when it arrived
	Client  string        // the client's IP
	Command string        // the decoded query: "key=OK", "number=1002&outgoing_uri=1001@host"
	Status  int           // the HTTP status answered
	Result  string        // the first line of the answer: "OK: key OK", "phone refused ..."
	Latency time.Duration // until the answer was written
}

// maxObservedText bounds Command and Result.
const maxObservedText = 200

// observer records what a handler answers, for WebOptions.Observe. It
// reports at the first write of the body (every answer of this server is
// one write), before the response can reach the client: whoever watches
// the console sees the request by the time the client has its answer.
type observer struct {
	http.ResponseWriter
	s        *WebServer
	req      Request
	start    time.Time
	status   int
	body     bytes.Buffer
	reported bool
}

// watch returns a writer that reports the request to WebOptions.Observe when
// done is called, or nil when there is nothing to observe.
func (s *WebServer) watch(w http.ResponseWriter, r *http.Request) *observer {
	if s.opts.Observe == nil || r.URL.Path != PathCommand {
		return nil
	}
	cmd, err := url.QueryUnescape(r.URL.RawQuery)
	if err != nil {
		cmd = r.URL.RawQuery
	}
	return &observer{ResponseWriter: w, s: s, start: time.Now(),
		req: Request{Client: displayAddr(clientAddr(r), r), Command: clip(cmd)}}
}

func (o *observer) WriteHeader(code int) {
	if o.status == 0 {
		o.status = code
	}
	o.ResponseWriter.WriteHeader(code)
}

func (o *observer) Write(b []byte) (int, error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	if n := maxObservedText - o.body.Len(); n > 0 {
		o.body.Write(b[:min(n, len(b))])
	}
	o.report()
	return o.ResponseWriter.Write(b)
}

func (o *observer) Unwrap() http.ResponseWriter { return o.ResponseWriter }

// done reports the request if no body did (HEAD, an empty answer).
func (o *observer) done() { o.report() }

func (o *observer) report() {
	if o.reported {
		return
	}
	o.reported = true
	if o.status == 0 {
		o.status = http.StatusOK
	}
	o.req.Time, o.req.Latency, o.req.Status = o.start, time.Since(o.start), o.status
	line, _, _ := bytes.Cut(o.body.Bytes(), []byte("\n"))
	o.req.Result = string(line)
	o.s.opts.Observe(o.req)
}

// clip cuts s to maxObservedText bytes, at a rune boundary.
func clip(s string) string {
	if len(s) <= maxObservedText {
		return s
	}
	n := maxObservedText
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
