package activeuri

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

// Limits on what one Active URI request may carry.
const (
	maxQueryParams = 32
	maxKeyParamLen = 1024 // bytes of the key= value
	maxKeys        = 64   // keys in one key=A;B;C sequence
	maxNumberLen   = 64   // characters of number=
	maxAccountLen  = 256  // characters of outgoing_uri=
)

// Handler serves the Active URI commands of one phone at PathCommand. It
// checks neither login nor allow-list: the phone's web server in front of
// it does (Server today). It is an http.Handler.
type Handler struct {
	dev     emulator.Device
	timeout time.Duration
	log     *slog.Logger
}

// NewHandler builds the Active URI handler for one phone. timeout bounds how
// long one request waits for the phone's loop (DefaultTimeout when <= 0);
// log, if nil, is slog.Default(). d must not be nil.
func NewHandler(d emulator.Device, timeout time.Duration, log *slog.Logger) *Handler {
	if d == nil {
		panic("activeuri.NewHandler: nil Device")
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if log == nil {
		log = slog.Default()
	}
	return &Handler{dev: d, timeout: timeout, log: log}
}

// command is one parsed Active URI request: either keys or a number.
type command struct {
	keys    []keypad.Key
	number  string
	account string // outgoing_uri without "sip:", "" = selected line
}

// ServeHTTP serves GET /cgi-bin/ConfigManApp.com.
//
// Spec §3.2: ?key=NAME presses one key; this server also takes a sequence
// separated by ';' (key=SPEAKER;1;0;0;2;OK), pressed in order. Key names are
// case-insensitive (keypad.Parse). Spec §3.4: ?number=N&outgoing_uri=user@host
// dials N from the account user@host (the selected line without
// outgoing_uri).
//
// Answers: 200 text/plain "OK: key F_TRANSFER", "OK: keys SPEAKER;1;0;0;2;OK"
// (every key applied), "OK: dialing 1002 from 1001@127.0.0.1"; 400 naming
// what is wrong with the request; 409 with the phone's reason when it
// refuses an input, or "phone busy, try again" when its loop does not answer
// within Options.Timeout. Each key of a sequence after the first waits until
// the phone has settled from the one before (emulator.WaitSettled, at most
// emulator.SettleTimeout); a key refused, or still waiting at that bound,
// stops the sequence: the 409 names it, then lists on lines of their own
// "applied: ...", "refused: ..." and "not pressed: ...".
// HEAD checks the request the same way but presses nothing (HEAD is safe,
// RFC 9110 §9.2.1).
//
// Query values are percent-decoded but a literal '+' stays '+' (not a
// space as in HTML forms), so number=+4930123 and number=%2B4930123 both dial
// +4930123: no parameter of this API can hold a space. Parameter names are
// case-insensitive; unknown parameters (e.g. a cache-buster "_=123") are
// ignored.
func (s *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cmd, err := parseCommand(r.URL.RawQuery)
	if err != nil {
		HTTPError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if r.Method == http.MethodHead {
		WriteText(w, "OK: %s (not applied: HEAD)", cmd)
		return
	}
	if cmd.keys == nil {
		ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
		defer cancel()
		err := s.dev.Do(ctx, emulator.DialNumber{Number: cmd.number, Account: cmd.account})
		if err != nil {
			s.Refused(w, fmt.Sprintf("dialing %s", cmd.dialTarget()), err)
			return
		}
		WriteText(w, "OK: %s", cmd)
		return
	}
	for i, k := range cmd.keys {
		if err := s.pressKey(r.Context(), k, i > 0); err != nil {
			what := "key " + k.String()
			if len(cmd.keys) > 1 {
				what = fmt.Sprintf("key %s (key %d of %d; %s)", k, i+1, len(cmd.keys), appliedNote(i))
			}
			s.Refused(w, what, err, sequenceNote(cmd.keys, i))
			return
		}
	}
	WriteText(w, "OK: %s", cmd)
}

// pressKey presses one key; a key after the first of a sequence first waits
// (up to emulator.SettleTimeout) until the phone has settled from the one
// before (a re-INVITE, REFER or INVITE answered), as a user waits for the
// screen to change: key=F_HOLD;F_HOLD holds and resumes.
func (s *Handler) pressKey(ctx context.Context, k keypad.Key, settle bool) error {
	if settle {
		sctx, cancel := context.WithTimeout(ctx, emulator.SettleTimeout)
		err := emulator.WaitSettled(sctx, s.dev)
		cancel()
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("%w after %v", err, emulator.SettleTimeout)
		}
		if err != nil {
			return ctx.Err()
		}
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.dev.Do(ctx, emulator.PressKey{Key: k})
}

// sequenceNote lists, for a sequence refused at key i, which keys were
// applied and which not, on lines of their own after the reason:
//
//	applied: SPEAKER;1
//	refused: F_HOLD
//	not pressed: 2;OK
func sequenceNote(keys []keypad.Key, i int) string {
	if len(keys) < 2 {
		return ""
	}
	names := func(ks []keypad.Key) string {
		n := make([]string, len(ks))
		for j, k := range ks {
			n[j] = k.String()
		}
		if len(n) == 0 {
			return "-"
		}
		return strings.Join(n, ";")
	}
	return fmt.Sprintf("\napplied: %s\nrefused: %s\nnot pressed: %s", names(keys[:i]), keys[i], names(keys[i+1:]))
}

func appliedNote(applied int) string {
	switch applied {
	case 0:
		return "none applied"
	case 1:
		return "key 1 was applied"
	}
	return fmt.Sprintf("keys 1-%d were applied", applied)
}

// Refused answers an error from Device.Do: 409, never 5xx (package comment).
// note, if given, is appended to the answer's text (lines of its own).
func (s *Handler) Refused(w http.ResponseWriter, what string, err error, note ...string) {
	if len(note) > 0 {
		w = noteWriter{w, strings.Join(note, "")}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		s.log.Warn("phone loop did not answer in time", "input", what, "timeout", s.timeout)
		w.Header().Set("Retry-After", "1")
		HTTPError(w, http.StatusConflict, "phone busy, try again: %s not applied within %v", what, s.timeout)
	case errors.Is(err, context.Canceled):
		HTTPError(w, http.StatusConflict, "request cancelled: %s", what)
	case errors.Is(err, emulator.ErrUnknownAccount):
		HTTPError(w, http.StatusBadRequest, "bad outgoing_uri: %v", err)
	case errors.Is(err, emulator.ErrClosed):
		HTTPError(w, http.StatusConflict, "phone is closed: %s not applied", what)
	default:
		s.log.Info("phone refused input", "input", what, "err", err)
		HTTPError(w, http.StatusConflict, "phone refused %s: %v", what, err)
	}
}

// noteWriter appends a note to the text http.Error writes.
type noteWriter struct {
	http.ResponseWriter
	note string
}

func (n noteWriter) Write(b []byte) (int, error) {
	body := strings.TrimSuffix(string(b), "\n") + n.note + "\n"
	if _, err := n.ResponseWriter.Write([]byte(body)); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (c command) String() string {
	if c.keys == nil {
		return "dialing " + c.dialTarget()
	}
	if len(c.keys) == 1 {
		return "key " + c.keys[0].String()
	}
	names := make([]string, len(c.keys))
	for i, k := range c.keys {
		names[i] = k.String()
	}
	return "keys " + strings.Join(names, ";")
}

func (c command) dialTarget() string {
	if c.account == "" {
		return c.number
	}
	return c.number + " from " + c.account
}

// parseCommand validates a raw query of /cgi-bin/ConfigManApp.com.
func parseCommand(rawQuery string) (command, error) {
	p, err := parseQuery(rawQuery, "key", "number", "outgoing_uri")
	if err != nil {
		return command{}, err
	}
	key, hasKey := p.lookup("key")
	number, hasNumber := p.lookup("number")
	account, hasAccount := p.lookup("outgoing_uri")
	switch {
	case hasKey && hasNumber:
		return command{}, errors.New("give either key or number, not both")
	case hasKey && hasAccount:
		return command{}, errors.New("outgoing_uri goes with number, not with key")
	case hasAccount && !hasNumber:
		return command{}, errors.New("outgoing_uri given without number")
	case !hasKey && !hasNumber:
		return command{}, errors.New("missing key or number parameter " +
			"(e.g. ?key=OK, ?key=SPEAKER;1;0;0;2;OK or ?number=1002&outgoing_uri=1001@192.168.1.199)")
	}
	if hasKey {
		keys, err := parseKeys(key)
		return command{keys: keys}, err
	}
	if err := checkNumber(number); err != nil {
		return command{}, err
	}
	acc, err := checkAccount(account)
	if err != nil {
		return command{}, err
	}
	return command{number: number, account: acc}, nil
}

func parseKeys(v string) ([]keypad.Key, error) {
	if len(v) > maxKeyParamLen {
		return nil, fmt.Errorf("key parameter is %d bytes long, at most %d", len(v), maxKeyParamLen)
	}
	if n := strings.Count(v, ";") + 1; n > maxKeys {
		return nil, fmt.Errorf("key parameter has %d keys, at most %d", n, maxKeys)
	}
	keys, err := keypad.ParseSequence(v)
	if err != nil {
		return nil, fmt.Errorf("bad key parameter: %w", err)
	}
	return keys, nil
}

// checkNumber accepts dial-string characters: digits, * # +, letters (SIP
// user names), '.', '-', '_'.
func checkNumber(n string) error {
	if n == "" {
		return errors.New("number is empty")
	}
	if !utf8.ValidString(n) {
		return fmt.Errorf("number %s is not valid UTF-8", quote(n))
	}
	if c := utf8.RuneCountInString(n); c > maxNumberLen {
		return fmt.Errorf("number is %d characters long, at most %d", c, maxNumberLen)
	}
	pos := 0
	for _, c := range n {
		pos++
		if !isDialChar(c) {
			return fmt.Errorf("number %s: character %q at position %d is not allowed "+
				"(use digits, * # +, letters, . - _)", quote(n), c, pos)
		}
	}
	return nil
}

func isDialChar(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
		strings.ContainsRune("*#+.-_", c)
}

// checkAccount validates outgoing_uri (spec §3.4: "the account to call from,
// user@host, where host is the PBX") and returns it without a "sip:" prefix.
// Empty means "not given".
func checkAccount(a string) (string, error) {
	if a == "" {
		return "", nil
	}
	bad := func(why string) error {
		return fmt.Errorf("bad outgoing_uri %s: %s; want user@host (e.g. 1001@192.168.1.199)", quote(a), why)
	}
	if !utf8.ValidString(a) {
		return "", bad("not valid UTF-8")
	}
	if len(a) > maxAccountLen {
		return "", bad(fmt.Sprintf("%d bytes long, at most %d", len(a), maxAccountLen))
	}
	v := a
	if len(v) >= 4 && strings.EqualFold(v[:4], "sip:") {
		v = v[4:]
	}
	user, host, ok := strings.Cut(v, "@")
	switch {
	case !ok:
		return "", bad("no '@'")
	case strings.Contains(host, "@"):
		return "", bad("more than one '@'")
	case user == "":
		return "", bad("empty user")
	case host == "":
		return "", bad("empty host")
	}
	for _, c := range user {
		if !isUserChar(c) {
			return "", bad(fmt.Sprintf("character %q not allowed in the user part", c))
		}
	}
	if err := checkHostPort(host); err != nil {
		return "", bad(err.Error())
	}
	return v, nil
}

// isUserChar: RFC 3261 §25.1 user = 1*( unreserved / escaped / user-unreserved ),
// unreserved = alphanum / mark, user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/".
func isUserChar(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' ||
		strings.ContainsRune("-_.!~*'()&=+$,;?/", c)
}

// checkHostPort accepts host or host:port where host is a DNS name, an
// IPv4 address or a bracketed IPv6 address.
func checkHostPort(hp string) error {
	host, port := hp, ""
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return errors.New("unclosed '[' in host")
		}
		host, port = hp[1:end], hp[end+1:]
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() {
			return fmt.Errorf("%s is not an IPv6 address", quote(host))
		}
		if port != "" && port[0] != ':' {
			return errors.New("junk after ']'")
		}
		port = strings.TrimPrefix(port, ":")
		if port == "" && strings.HasSuffix(hp, ":") {
			return errors.New("empty port")
		}
	} else {
		if i := strings.LastIndexByte(hp, ':'); i >= 0 {
			host, port = hp[:i], hp[i+1:]
			if port == "" {
				return errors.New("empty port")
			}
		}
		if !isHostName(host) {
			return fmt.Errorf("host %s is not a host name or IPv4 address", quote(host))
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '+' {
			return fmt.Errorf("port %s is not 1-65535", quote(port))
		}
	}
	return nil
}

// isHostName: RFC 3261 §25.1 hostname (labels of letters, digits and '-',
// separated by '.') or an IPv4 address, at most 253 characters.
func isHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
				return false
			}
		}
	}
	return true
}

// params is a parsed query: lower-cased names, each at most once.
type params map[string]string

func (p params) lookup(name string) (string, bool) { v, ok := p[name]; return v, ok }
func (p params) get(name string) string            { return p[name] }

// parseQuery splits a raw query on '&' only. net/url.ParseQuery cannot be
// used: it rejects any ';' (golang.org/issue/25192), and spec key sequences
// are written with ';'. Values are percent-decoded with '+' kept literal (see
// Handler.ServeHTTP). A name in unique given twice is an error (which one is
// meant?); of other names the first wins.
func parseQuery(raw string, unique ...string) (params, error) {
	p := params{}
	for seg := range strings.SplitSeq(raw, "&") {
		if seg == "" {
			continue
		}
		if len(p) >= maxQueryParams {
			return nil, fmt.Errorf("too many query parameters (at most %d)", maxQueryParams)
		}
		rawName, rawValue, _ := strings.Cut(seg, "=")
		name, err := url.PathUnescape(rawName)
		if err != nil {
			return nil, fmt.Errorf("malformed query parameter name %s: bad %%-escape", quote(rawName))
		}
		value, err := url.PathUnescape(rawValue)
		if err != nil {
			return nil, fmt.Errorf("malformed value of query parameter %s: bad %%-escape in %s", quote(name), quote(rawValue))
		}
		name = strings.ToLower(name)
		if _, dup := p[name]; dup {
			if slices.Contains(unique, name) {
				return nil, fmt.Errorf("query parameter %s given more than once", quote(name))
			}
			continue
		}
		p[name] = value
	}
	return p, nil
}

// quote is %q of s, cut to 64 bytes so that an error never echoes a huge
// request back.
func quote(s string) string {
	const max = 64
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}

// QueryValue is the value of name in a raw query, split and decoded as an
// Active URI request's (parseQuery); "" when absent or the query is bad.
func QueryValue(raw, name string) string {
	p, _ := parseQuery(raw)
	return p.get(name)
}
