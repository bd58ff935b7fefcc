// Package actionurl sends the phone's Action URLs (spec §2): on each of the
// 27 events that has a URL configured, an HTTP GET to that URL with the 12
// $variables substituted.
//
// Spec §2: "The server side defines the URL format; the phone only
// substitutes variables and sends." Example: with
// http://192.168.20.76/outgoing.xml?ip=$ip configured for Outgoing Call the
// server receives GET /outgoing.xml?ip=192.168.20.134.
package actionurl

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/phonesim/phonesim/emulator"
)

// varNamesLongestFirst is emulator.VarNames sorted by length, longest first,
// so that "$display_local" is never read as "$display..." and "$active_url"
// never as a shorter name. Sorting here keeps the scanner right whatever
// order emulator.VarNames is written in.
var varNamesLongestFirst = func() []string {
	names := slices.Clone(emulator.VarNames)
	slices.SortStableFunc(names, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return names
}()

// section is the part of a URL a variable stands in; it decides the escaping.
type section uint8

const (
	sectionPath section = iota
	sectionQuery
	sectionFragment
)

// part is a literal run of the template or a variable reference.
type part struct {
	literal string // used when name == ""
	name    string // variable name without '$'
	in      section
}

// Template is a parsed Action URL: literal text and $variable references,
// ready to be expanded for each event. It is immutable and safe for
// concurrent use.
type Template struct {
	raw    string
	scheme string
	host   string // host[:port] as net/url reports it
	parts  []part
	size   int // length of the literal text, to size Expand's buffer
}

// ParseTemplate validates an Action URL and splits it into literal parts and
// $variable references.
//
// The URL must be absolute http or https with a host. Variables may stand in
// the path, the query or the fragment; the scheme, user info and host are
// literal (the CTI server's address is configuration, not event data), so a
// variable there is an error. A '$' not followed by one of the 12 names of
// spec §2.5 stays literal.
func ParseTemplate(raw string) (*Template, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("action URL is empty")
	}
	if i := strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
		what := "a control character"
		if raw[i] == ' ' {
			what = "a space (write %20)"
		}
		return nil, fmt.Errorf("action URL %q: %s at offset %d", raw, what, i)
	}
	// The authority runs from "//" to the first '/', '?' or '#', as in
	// net/url.Parse. Expansion never touches it.
	end := len(raw)
	if i := strings.Index(raw, "://"); i > 0 && isScheme(raw[:i]) {
		if j := strings.IndexAny(raw[i+3:], "/?#"); j >= 0 {
			end = i + 3 + j
		}
		if name, ok := findVar(raw[:end]); ok {
			return nil, fmt.Errorf("action URL %q: variable $%s in the scheme, user info or host is not supported; variables go in the path or query", raw, name)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("action URL %q: %w", raw, unwrapURLError(err))
	}
	switch {
	case u.Scheme == "":
		return nil, fmt.Errorf("action URL %q: not absolute; it must start with http:// or https://", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("action URL %q: scheme %q is not supported; use http or https", raw, u.Scheme)
	case u.Opaque != "" || !strings.HasPrefix(raw[len(u.Scheme)+1:], "//"):
		return nil, fmt.Errorf("action URL %q: missing '//' after %q", raw, u.Scheme+":")
	case u.Host == "":
		return nil, fmt.Errorf("action URL %q: no host", raw)
	case u.Hostname() == "":
		return nil, fmt.Errorf("action URL %q: no host name before the port", raw)
	}

	// net/url checks escapes in the path and fragment but not in the query.
	if i := badEscape(raw[end:]); i >= 0 {
		return nil, fmt.Errorf("action URL %q: invalid escape %q at offset %d; a literal '%%' is written %%25", raw, raw[end+i:min(end+i+3, len(raw))], end+i)
	}

	t := &Template{raw: raw, scheme: u.Scheme, host: u.Host}
	t.scan(raw[:end], raw[end:])
	return t, nil
}

// unwrapURLError drops url.Error's own copy of the URL, which the caller's
// message already quotes.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// isScheme: RFC 3986 §3.1 "scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )".
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// badEscape returns the offset of the first '%' not followed by two hex
// digits, or -1.
func badEscape(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2])) {
			return i
		}
	}
	return -1
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// findVar reports the first variable reference in s.
func findVar(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '$' {
			if name := varAt(s[i+1:]); name != "" {
				return name, true
			}
		}
	}
	return "", false
}

// varAt returns the longest variable name s starts with, or "".
func varAt(s string) string {
	for _, name := range varNamesLongestFirst {
		if strings.HasPrefix(s, name) {
			return name
		}
	}
	return ""
}

// scan splits the part after the authority into literal runs and variables,
// noting for each variable whether it stands in the path, query or fragment.
func (t *Template) scan(authority, rest string) {
	in := sectionPath
	lit := []byte(authority)
	flush := func() {
		if len(lit) > 0 {
			t.parts = append(t.parts, part{literal: string(lit)})
			t.size += len(lit)
			lit = lit[:0]
		}
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c == '?' && in == sectionPath:
			in = sectionQuery
		case c == '#' && in != sectionFragment:
			in = sectionFragment
		case c == '$':
			if name := varAt(rest[i+1:]); name != "" {
				flush()
				t.parts = append(t.parts, part{name: name, in: in})
				i += len(name)
				continue
			}
		}
		lit = append(lit, c)
	}
	flush()
}

// String returns the template as configured.
func (t *Template) String() string { return t.raw }

// Host returns the template's host[:port]; every expansion has this host.
func (t *Template) Host() string { return t.host }

// Scheme returns "http" or "https".
func (t *Template) Scheme() string { return t.scheme }

// Vars lists the variables the template uses, without '$', in order of
// appearance (a variable used twice is listed twice).
func (t *Template) Vars() []string {
	var out []string
	for _, p := range t.parts {
		if p.name != "" {
			out = append(out, p.name)
		}
	}
	return out
}

// Expand substitutes the event's variables. Each value is escaped for where
// it stands so that it reaches the server unchanged after decoding:
//   - in the query and fragment every byte but the unreserved ones of
//     RFC 3986 §2.3 is percent-encoded, space as %20 (not '+', which some
//     servers would keep as a plus), '+' as %2B (a number "+4930..." or a
//     Call-ID with '+' must not turn into a space), '&' '=' ';' '@' too;
//   - in the path url.PathEscape is used ('/', '?', ';', ',' and '#' are
//     encoded so a value stays one path segment).
//
// Spec §2.5: "Outside its condition a variable expands to the empty string";
// an empty value adds nothing.
func (t *Template) Expand(v emulator.Vars) string {
	var b strings.Builder
	b.Grow(t.size + 64)
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.literal)
			continue
		}
		val, _ := v.Lookup(p.name)
		if val == "" {
			continue
		}
		switch p.in {
		case sectionPath:
			b.WriteString(url.PathEscape(val))
		default:
			writeQueryEscaped(&b, val)
		}
	}
	return b.String()
}

// writeQueryEscaped is url.QueryEscape with %20 for a space.
func writeQueryEscaped(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

// isUnreserved: RFC 3986 §2.3 "unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"".
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
