package webui

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
)

// lineRow is one account on the Lines page; the password is never shown
// (write-only on a desk phone's page too: Fanvil and Yealink show a
// masked field, and a blank submit keeps the old password).
type lineRow struct {
	config.Line
	N           int
	HasPassword bool
	Status      emulator.LineStatus
}

// currentLines are the accounts as the page last saved them.
func (s *Server) currentLines() []config.Line {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.accts)
}

func (s *Server) lineRows() []lineRow {
	snap := s.opts.Device.Snapshot()
	var rows []lineRow
	for i, l := range s.currentLines() {
		row := lineRow{Line: l, N: i + 1, HasPassword: l.Password != ""}
		row.Password = ""
		if row.Transport == "" {
			row.Transport = "udp"
		}
		if row.Expires == 0 {
			row.Expires = 3600
		}
		if i < len(snap.Lines) {
			row.Status = snap.Lines[i]
		}
		rows = append(rows, row)
	}
	return rows
}

func (s *Server) lines(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "lines", "Lines", page{Data: s.lineRows()})
}

// parseLine reads line n's form over old: a blank password keeps the old
// one. The rules are the YAML's (config/validate.go).
func parseLine(f map[string][]string, old config.Line) (config.Line, error) {
	get := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	l := old
	l.User, l.Server = get("user"), get("server")
	l.DisplayName, l.Voicemail = get("display_name"), get("voicemail")
	l.AutoAnswer = get("auto_answer") != ""
	if p := f["password"]; len(p) > 0 && p[0] != "" {
		l.Password = p[0]
	}
	if l.User == "" || strings.ContainsAny(l.User, " \t@:;<>\"") {
		return old, fmt.Errorf("user %q: a SIP user name (digits or letters, no @ or spaces)", l.User)
	}
	host, port, err := splitServer(l.Server)
	if err != nil || host == "" {
		return old, fmt.Errorf("server %q: host:port of the registrar, e.g. 127.0.0.1:5060", l.Server)
	}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil && strings.ContainsAny(host, " /<>\"@;?,") {
		return old, fmt.Errorf("server %q: not a host", l.Server)
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return old, fmt.Errorf("server %q: port must be 1 to 65535", l.Server)
		}
	}
	switch t := strings.ToLower(get("transport")); t {
	case "", "udp", "tcp":
		l.Transport = t
	default:
		return old, fmt.Errorf("transport %q: udp or tcp", t)
	}
	exp, err := strconv.Atoi(get("expires"))
	if err != nil || exp < 30 || exp > 86400 {
		return old, fmt.Errorf("expiry %q: whole seconds from 30 to 86400", get("expires"))
	}
	l.Expires = exp
	if strings.ContainsAny(l.DisplayName, "\"<>\r\n") || strings.ContainsAny(l.Voicemail, " \"<>\r\n") {
		return old, fmt.Errorf("display name or voicemail has a character SIP cannot carry")
	}
	return l, nil
}

func splitServer(s string) (host, port string, err error) {
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.HasSuffix(s, "]") {
		return s[:i], s[i+1:], nil
	}
	return s, "", nil
}

// saveLine is POST /lines: one line's form. The phone swaps the account
// (emulator.SetLine: unregister the old binding, register the new), then
// the state file keeps it.
func (s *Server) saveLine(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PostForm.Get("line"))
	cur := s.currentLines()
	if err != nil || n < 1 || n > len(cur) {
		s.render(w, r, http.StatusBadRequest, "lines", "Lines",
			page{Error: fmt.Sprintf("No line %q on this phone.", r.PostForm.Get("line")), Data: s.lineRows()})
		return
	}
	l, err := parseLine(r.PostForm, cur[n-1])
	if err != nil {
		s.render(w, r, http.StatusBadRequest, "lines", "Lines",
			page{Error: fmt.Sprintf("L%d not saved: %v.", n, err), Data: s.lineRows()})
		return
	}
	in := emulator.SetLine{Line: n, Config: emulator.LineConfig{User: l.User, Password: l.Password, Server: l.Server,
		DisplayName: l.DisplayName, Expires: time.Duration(l.Expires) * time.Second, Voicemail: l.Voicemail, AutoAnswer: l.AutoAnswer}}
	if err := s.opts.Device.Do(r.Context(), in); err != nil {
		s.render(w, r, http.StatusConflict, "lines", "Lines",
			page{Error: fmt.Sprintf("L%d: the phone did not take it: %v.", n, err), Data: s.lineRows()})
		return
	}
	s.mu.Lock()
	s.accts[n-1] = l
	s.mu.Unlock()
	// The user and server are logged; the password never is.
	s.log.Info("line changed on the web page", "line", n, "user", l.User, "server", l.Server)
	flash := fmt.Sprintf("L%d saved; it registers again.", n)
	if isTCP := func(t string) bool { return t == "tcp" }; isTCP(l.Transport) != isTCP(cur[n-1].Transport) {
		flash += " The transport applies at the next start (the SIP socket is bound once)."
	}
	if err := s.save(func(st *Settings) {
		if st.Lines == nil {
			st.Lines = map[int]config.Line{}
		}
		st.Lines[n] = l
	}); err != nil {
		s.render(w, r, http.StatusConflict, "lines", "Lines",
			page{Error: "In force now, but not kept across a restart: " + err.Error(), Data: s.lineRows()})
		return
	}
	s.render(w, r, http.StatusOK, "lines", "Lines", page{Flash: flash, Data: s.lineRows()})
}
