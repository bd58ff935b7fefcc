package config

import (
	"fmt"
	"github.com/phonesim/phonesim/activeuri"
	"github.com/phonesim/phonesim/emulator"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Validate checks a File built in code (Parse and Load check files
// themselves, with line numbers). It accepts a File before or after
// ApplyDefaults.
func (f *File) Validate() error {
	sink := &errorSink{}
	validate(f, sink, "")
	return sink.err()
}

// validate applies the semantic rules. baseDir, when set (Load), is the
// directory relative media paths are resolved against; they are rewritten
// in f and the play file must exist.
func validate(f *File, s *errorSink, baseDir string) {
	v := validator{s: s, bound: map[netip.AddrPort]portClaim{},
		wildcard: map[int]portClaim{}, firstOnPort: map[int]portClaim{}}
	if f.ActionURLTimeout != 0 || s.lines.has("action_url_timeout") {
		if f.ActionURLTimeout < time.Millisecond || f.ActionURLTimeout > 10*time.Minute {
			s.field("action_url_timeout", "%v is out of range (1ms to 10m)", f.ActionURLTimeout)
		}
	}
	switch strings.ToLower(f.LogLevel) {
	case "", "debug", "info", "warn", "error":
	default:
		s.field("log_level", "%q is not a level (debug, info, warn, error)", f.LogLevel)
	}
	v.expandFleet(f)
	if f.Registrar != nil {
		v.registrar(f.Registrar)
	}
	if len(f.Phones) == 0 && f.Registrar == nil && !s.lines.has("fleet") {
		// A registrar alone is a process of its own (issue 10): phones
		// in other processes or on other machines register with it.
		s.field("phones", "at least one phone (or fleet block, or a registrar) is required")
	}
	names := map[string]string{}
	macs := map[string]string{}
	for i := range f.Phones {
		p := &f.Phones[i]
		path := indexPath("phones", i)
		if o := p.Origin; o.Block > 0 {
			path = indexPath(indexPath("fleet", o.Block-1)+".phone", o.Index)
		}
		v.phone(path, p, baseDir)
		if p.Name != "" {
			if first, dup := names[p.Name]; dup {
				s.field(path+".name", "%q is already the name of %s", p.Name, first)
			} else {
				names[p.Name] = path
			}
		}
		mac := DefaultMAC(i)
		if p.MAC != "" {
			mac, _ = normaliseMAC(p.MAC)
		}
		if mac != "" {
			if first, dup := macs[mac]; dup {
				s.field(path+".mac", "%s is already the MAC of %s%s", mac, first, derivedNote(p.MAC))
			} else {
				macs[mac] = path
			}
		}
	}
}

func derivedNote(given string) string {
	if given == "" {
		return " (this phone has no mac: it gets one derived from its index)"
	}
	return ""
}

type validator struct {
	s *errorSink
	// Who binds which address, for collisions. An unspecified address
	// (0.0.0.0, ::) collides with every address on its port.
	bound       map[netip.AddrPort]portClaim
	wildcard    map[int]portClaim // port -> claim of an unspecified address
	firstOnPort map[int]portClaim
}

// portClaim is one address a phone or the registrar binds.
type portClaim struct {
	path string // "phones[0].sip_port"
	who  string // " (alice)"
}

// claim records that path binds addr:port and reports a collision with an
// earlier claim.
func (v *validator) claim(addr netip.Addr, port int, path, who string) {
	ap := netip.AddrPortFrom(addr, uint16(port))
	c, taken := v.bound[ap]
	if !taken {
		c, taken = v.wildcard[port]
	}
	if !taken && addr.IsUnspecified() {
		c, taken = v.firstOnPort[port]
	}
	if taken {
		v.s.field(path, "%s is already used by %s%s", ap, c.path, c.who)
		return
	}
	mine := portClaim{path: path, who: who}
	v.bound[ap] = mine
	if addr.IsUnspecified() {
		v.wildcard[port] = mine
	}
	if _, ok := v.firstOnPort[port]; !ok {
		v.firstOnPort[port] = mine
	}
}

func (v *validator) registrar(r *Registrar) {
	s := v.s
	if r.Listen == "" {
		s.field("registrar.listen", "missing: give the IP:port the registrar binds (e.g. 127.0.0.1:5060)")
	} else if addr, err := netip.ParseAddrPort(r.Listen); err != nil || addr.Port() == 0 {
		s.field("registrar.listen", "%q is not IP:port (e.g. 127.0.0.1:5060)", r.Listen)
	} else {
		v.claim(addr.Addr().Unmap(), int(addr.Port()), "registrar.listen", "")
	}
	if strings.ContainsAny(r.Realm, "\"\\") || hasControl(r.Realm) {
		s.field("registrar.realm", "%q may not hold quotes, backslashes or control characters", r.Realm)
	}
	if len(r.Users) == 0 {
		s.field("registrar.users", "at least one user is required (users: {\"1001\": secret}, accounts: or a fleet block)")
	}
	for _, user := range sortedKeys(r.Users) {
		path := childPath("registrar.users", user)
		if msg := checkSIPUser(user); msg != "" {
			s.field(path, "user %s", msg)
		}
		if r.Users[user] == "" {
			s.field(path, "password is empty")
		} else if hasControl(r.Users[user]) {
			s.field(path, "password holds control characters")
		}
	}
}

func (v *validator) phone(path string, p *Phone, baseDir string) {
	s := v.s
	switch {
	case p.Name == "":
		s.field(path+".name", "missing (required)")
	case !isName(p.Name):
		s.field(path+".name", "%q may only use letters, digits, '.', '_' and '-' (at most 64)", p.Name)
	}
	who := ""
	if p.Name != "" {
		who = " (" + p.Name + ")"
	}
	var ip netip.Addr
	switch addr, err := netip.ParseAddr(p.IP); {
	case p.IP == "":
		s.field(path+".ip", "missing: give the address the phone binds and reports as $ip")
	case err != nil:
		s.field(path+".ip", "%q is not an IP address", p.IP)
	case addr.IsUnspecified() || addr.IsMulticast():
		s.field(path+".ip", "%s cannot be a phone's address (give the one it is reached at)", p.IP)
	default:
		ip = addr.Unmap()
	}
	sipOK := v.port(path+".sip_port", p.SIPPort)
	httpOK := v.port(path+".http_port", p.HTTPPort)
	if ip.IsValid() {
		if sipOK {
			v.claim(ip, p.SIPPort, path+".sip_port", who)
		}
		if httpOK {
			v.claim(ip, p.HTTPPort, path+".http_port", who)
		}
	}
	if p.RTPPorts != "" {
		if _, _, ok := parsePortRange(p.RTPPorts); !ok {
			s.field(path+".rtp_ports", "%q is not a port range low-high (e.g. \"20000-20999\")", p.RTPPorts)
		}
	}
	if p.MAC != "" {
		if _, ok := normaliseMAC(p.MAC); !ok {
			s.field(path+".mac", "%q is not a MAC address (00:a8:59:00:10:01 or 00a859001001)", p.MAC)
		}
	}
	for _, fld := range []struct{ name, value string }{
		{"model", p.Model}, {"firmware", p.Firmware},
		{"admin.user", p.Admin.User}, {"admin.password", p.Admin.Password},
	} {
		if hasControl(fld.value) {
			s.field(path+"."+fld.name, "holds control characters")
		}
	}
	if p.RejectCode != 0 || s.lines.has(path+".reject_code") {
		switch p.RejectCode {
		case 480, 486, 603:
		default:
			s.field(path+".reject_code", "%d is not allowed (480, 486 or 603)", p.RejectCode)
		}
	}
	if p.CallAppearances < 0 || p.CallAppearances > 24 {
		s.field(path+".call_appearances", "%d is out of range (1 to 24)", p.CallAppearances)
	}
	if p.RingTimeoutSeconds < 0 || p.RingTimeoutSeconds > 600 {
		s.field(path+".ring_timeout_seconds", "%d is out of range (1 to 600 seconds)", p.RingTimeoutSeconds)
	}
	switch strings.ToLower(p.AcceptCallsFrom) {
	case "", "any", "registrar":
	default:
		s.field(path+".accept_calls_from", "%q is not allowed (any or registrar)", p.AcceptCallsFrom)
	}
	v.media(path+".media", &p.Media, baseDir)
	v.forward(path+".forward", &p.Forward)
	v.dss(path+".dss", p.DSS)
	if _, _, _, err := activeuri.ParseAllowList(p.ActiveURI.Allow); err != nil {
		s.field(path+".active_uri.allow", "%v", err)
	}
	v.actionURL(path+".provisioning_url", p.ProvisioningURL)
	switch {
	case len(p.Lines) == 0:
		s.field(path+".lines", "at least one line is required")
	case len(p.Lines) > 8:
		// The phone has line keys L1..L8.
		s.field(indexPath(path+".lines", 8), "a phone has at most 8 lines (L1..L8), got %d", len(p.Lines))
	}
	accounts := map[string]string{}
	for j := range p.Lines {
		lpath := indexPath(path+".lines", j)
		l := &p.Lines[j]
		v.line(lpath, l)
		if l.User != "" && l.Server != "" {
			account := l.User + "@" + l.Server
			if first, dup := accounts[account]; dup {
				s.field(lpath, "%s is already the account of %s", account, first)
			} else {
				accounts[account] = lpath
			}
		}
	}
	for _, ev := range sortedKeys(p.ActionURL) {
		v.actionURL(childPath(path+".action_url", ev.Key()), p.ActionURL[ev])
	}
}

// port checks a required port number.
func (v *validator) port(path string, port int) bool {
	switch {
	case port == 0 && !v.s.lines.has(path):
		v.s.field(path, "missing (required)")
	case port < 1 || port > 65535:
		v.s.field(path, "%d is not a port (1-65535)", port)
	default:
		return true
	}
	return false
}

func (v *validator) media(path string, m *Media, baseDir string) {
	s := v.s
	switch {
	case m.Play == "":
	case strings.HasPrefix(m.Play, "tone:"):
		// Calls carry 8 kHz audio (G.711): a tone must stay below 4 kHz.
		if hz, ok := m.Tone(); !ok || hz < 20 || hz >= 4000 {
			s.field(path+".play", "%q: a tone is tone:HZ with 20 <= HZ < 4000 (e.g. tone:440)", m.Play)
		}
	case !strings.EqualFold(filepath.Ext(m.Play), ".wav"):
		s.field(path+".play", "%q is neither a .wav file nor tone:HZ", m.Play)
	case baseDir != "":
		if !filepath.IsAbs(m.Play) {
			m.Play = filepath.Join(baseDir, m.Play)
		}
		if st, err := os.Stat(m.Play); err != nil {
			s.field(path+".play", "%v", err)
		} else if !st.Mode().IsRegular() {
			s.field(path+".play", "%s is not a regular file", m.Play)
		}
	}
	if m.RecordDir != "" && baseDir != "" && !filepath.IsAbs(m.RecordDir) {
		m.RecordDir = filepath.Join(baseDir, m.RecordDir)
	}
}

func (v *validator) line(path string, l *Line) {
	s := v.s
	if l.User == "" {
		s.field(path+".user", "missing (required)")
	} else if msg := checkSIPUser(l.User); msg != "" {
		s.field(path+".user", "%s", msg)
	}
	if hasControl(l.Password) {
		s.field(path+".password", "holds control characters")
	}
	if l.Server == "" {
		s.field(path+".server", "missing: give host:port of the registrar or proxy")
	} else if !validHostPort(l.Server) {
		s.field(path+".server", "%q is not host:port (e.g. 127.0.0.1:5060)", l.Server)
	}
	if hasControl(l.DisplayName) {
		s.field(path+".display_name", "holds control characters")
	}
	if strings.ContainsFunc(l.Voicemail, unicode.IsSpace) || hasControl(l.Voicemail) {
		s.field(path+".voicemail", "%q may not hold spaces or control characters", l.Voicemail)
	}
	// RFC 3261 §20.19: Expires is delta-seconds, at most 2**32-1. Below 10 s
	// a phone would do nothing but re-register.
	if l.Expires != 0 || s.lines.has(path+".expires") {
		if l.Expires < 10 || l.Expires > 1<<32-1 {
			s.field(path+".expires", "%d is out of range (10 to 4294967295 seconds)", l.Expires)
		}
	}
	switch strings.ToLower(l.Transport) {
	case "", "udp", "tcp":
	default:
		s.field(path+".transport", "%q is not a transport (udp or tcp)", l.Transport)
	}
}

// actionURL checks that a template is an absolute http(s) URL; package
// actionurl checks the $variables.
func (v *validator) actionURL(path, raw string) {
	if raw == "" {
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		v.s.field(path, "%q is not a URL: %v", raw, unwrapURLError(err))
	case u.Scheme != "http" && u.Scheme != "https":
		v.s.field(path, "%q is not an http:// or https:// URL", raw)
	case u.Host == "":
		v.s.field(path, "%q has no host", raw)
	}
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// has reports whether the file sets path (as opposed to leaving it out).
func (ix lineIndex) has(path string) bool {
	_, ok := ix[path]
	return ok
}

// normaliseMAC accepts 00:a8:59:00:10:01, 00-A8-59-00-10-01 and
// 00a859001001 and returns the lowercase colon form.
func normaliseMAC(s string) (string, bool) {
	hex := s
	if len(s) == 17 {
		sep := s[2]
		if sep != ':' && sep != '-' {
			return "", false
		}
		var b strings.Builder
		for i := 0; i < 17; i++ {
			if i%3 == 2 {
				if s[i] != sep {
					return "", false
				}
				continue
			}
			b.WriteByte(s[i])
		}
		hex = b.String()
	}
	if len(hex) != 12 {
		return "", false
	}
	var out strings.Builder
	for i := 0; i < 12; i++ {
		c := hex[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			c += 'a' - 'A'
		default:
			return "", false
		}
		if i > 0 && i%2 == 0 {
			out.WriteByte(':')
		}
		out.WriteByte(c)
	}
	return out.String(), true
}

// parsePortRange reads "low-high" with 1 <= low <= high <= 65535.
func parsePortRange(s string) (low, high int, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	low, err1 := strconv.Atoi(strings.TrimSpace(a))
	high, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || low < 1 || high > 65535 || low > high {
		return 0, 0, false
	}
	return low, high, true
}

// validHostPort accepts IP:port, [IPv6]:port and hostname:port.
func validHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	return isHostname(host)
}

// isHostname follows RFC 1123 §2.1: dot-separated labels of letters,
// digits and hyphens, not starting or ending with a hyphen.
func isHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// checkSIPUser follows RFC 3261 §25.1:
//
//	user = 1*( unreserved / escaped / user-unreserved )
//	user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
//	unreserved = alphanum / mark
//	mark = "-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")"
//	escaped = "%" HEXDIG HEXDIG
func checkSIPUser(u string) string {
	if u == "" {
		return "is empty"
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-_.!~*'()&=+$,;?/", c) >= 0:
		case c == '%' && i+2 < len(u) && isHex(u[i+1]) && isHex(u[i+2]):
			i += 2
		default:
			r, _ := utf8.DecodeRuneInString(u[i:])
			return fmt.Sprintf("%q: %q is not allowed in a SIP user name (RFC 3261 §25.1)", u, r)
		}
	}
	return ""
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isName is the rule for phone names: they appear in URLs and logs.
func isName(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// forward checks the forwarding targets: a number or SIP user, user@host or
// a sip: URI, with no blanks.
func (v *validator) forward(path string, f *Forward) {
	for key, target := range map[string]string{"always": f.Always, "busy": f.Busy, "no_answer": f.NoAnswer} {
		if target == "" {
			continue
		}
		if strings.ContainsAny(target, " \t\r\n<>\"") || len(target) > 128 {
			v.s.field(path+"."+key, "%q is not a number, user@host or sip: URI", target)
		}
	}
	if f.NoAnswerSeconds < 0 || f.NoAnswerSeconds > 600 {
		v.s.field(path+".no_answer_seconds", "%d is out of range (1 to 600 seconds)", f.NoAnswerSeconds)
	}
}

// dss checks D1..D10: at most ten keys, a known type, a value to call.
func (v *validator) dss(path string, keys []DSSKey) {
	if len(keys) > emulator.MaxDSS {
		v.s.field(path, "%d keys; a phone has D1..D%d", len(keys), emulator.MaxDSS)
	}
	for i, k := range keys {
		p := indexPath(path, i)
		switch k.Type {
		case emulator.DSSSpeedDial, emulator.DSSBLF, emulator.DSSTransfer:
		default:
			v.s.field(p+".type", "%q is not a DSS type (speed_dial, blf or transfer)", k.Type)
		}
		if k.Value == "" || strings.ContainsAny(k.Value, " \t\r\n<>\"") {
			v.s.field(p+".value", "%q is not a number, user@host or sip: URI", k.Value)
		}
	}
}
