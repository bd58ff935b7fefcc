package config

import (
	"errors"
	"strings"
	"testing"
)

// Each bad file must produce exactly these errors, in this order: the
// file:line and field path a user would look for, and the message.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "port out of range",
			src: `phones:
  - name: alice
    ip: 127.0.0.1
    sip_port: 5071
    http_port: 8081
    lines: [{user: "1001", server: 127.0.0.1:5060}]
  - name: bob
    ip: 127.0.0.1
    sip_port: 70000
    http_port: 8082
    lines: [{user: "1002", server: 127.0.0.1:5060}]
`,
			want: []string{"phones.yaml:9: phones[1].sip_port: 70000 is not a port (1-65535)"},
		},
		{
			name: "every unknown field, with suggestions",
			src: `registrar:
  listen: 127.0.0.1:5060
  usres: {"1001": x}
phones:
  - name: alice
    ip: 127.0.0.1
    sip_prot: 5071
    http_port: 8081
    colour: red
    lines:
      - {user: "1001", server: 127.0.0.1:5060, auto_anwser: true}
    action_url:
      incomming_call: http://127.0.0.1:9000/in
      nonsense_event: http://127.0.0.1:9000/x
`,
			want: []string{
				"phones.yaml:3: registrar.usres: unknown field (did you mean users?)",
				"phones.yaml:7: phones[0].sip_prot: unknown field (did you mean sip_port?)",
				"phones.yaml:9: phones[0].colour: unknown field (known: accept_calls_from, action_url, active_uri, admin, call_appearances, dnd, dss, firmware, forward, http_port, ip, lines, mac, media, model, name, provisioning_url, reject_code, ring_timeout_seconds, rtp_ports, sip_port)",
				"phones.yaml:11: phones[0].lines[0].auto_anwser: unknown field (did you mean auto_answer?)",
				"phones.yaml:13: phones[0].action_url.incomming_call: unknown event (did you mean incoming_call?)",
				"phones.yaml:14: phones[0].action_url.nonsense_event: unknown event (known: always_forward_off, always_forward_on, attended_transfer, blind_transfer, busy_forward_off, busy_forward_on, busy_to_idle, dnd_off, dnd_on, established, hold, idle_to_busy, incoming_call, ip_changed, missed_call, no_answer_forward_off, no_answer_forward_on, off_hook, on_hook, outgoing_call, registered, registration_failed, setup_completed, terminated, transfer_call, unhold, unregistered)",
			},
		},
		{
			name: "wrong types",
			src: `action_url_timeout: 5 seconds
phones:
  - name: alice
    ip: [127.0.0.1]
    sip_port: "5071"
    http_port: 8081.5
    firmware: 2.10
    mac: 0123
    dnd: yes
    admin: admin
    lines:
      user: "1001"
`,
			want: []string{
				`phones.yaml:1: action_url_timeout: "5 seconds" is not a duration (such as "5s" or "500ms")`,
				`phones.yaml:4: phones[0].ip: expected a string, got a list`,
				`phones.yaml:5: phones[0].sip_port: expected a whole number, got "5071"`,
				`phones.yaml:6: phones[0].http_port: expected a whole number, got 8081.5`,
				`phones.yaml:7: phones[0].firmware: YAML reads 2.10 as 2.1; write it in quotes: "2.10"`,
				`phones.yaml:8: phones[0].mac: YAML reads 0123 as 83; write it in quotes: "0123"`,
				`phones.yaml:9: phones[0].dnd: expected true or false, got "yes"`,
				`phones.yaml:10: phones[0].admin: expected a mapping (key: value), got "admin"`,
				`phones.yaml:11: phones[0].lines: expected a list, got a mapping`,
			},
		},
		{
			name: "every semantic error of one phone",
			src: `phones:
  - name: "alice smith"
    ip: 127.0.0.300
    sip_port: 0
    http_port: 65536
    rtp_ports: 20999-20000
    mac: 00:a8:59:00:10
    reject_code: 404
    media: {play: ring.mp3}
    lines:
      - user: "10 01"
        server: 127.0.0.1
        expires: 5
        transport: sctp
      - password: x
    action_url:
      setup_completed: ftp://127.0.0.1/boot
      incoming_call: /relative?x=$remote
`,
			want: []string{
				`phones.yaml:2: phones[0].name: "alice smith" may only use letters, digits, '.', '_' and '-' (at most 64)`,
				`phones.yaml:3: phones[0].ip: "127.0.0.300" is not an IP address`,
				`phones.yaml:4: phones[0].sip_port: 0 is not a port (1-65535)`,
				`phones.yaml:5: phones[0].http_port: 65536 is not a port (1-65535)`,
				`phones.yaml:6: phones[0].rtp_ports: "20999-20000" is not a port range low-high (e.g. "20000-20999")`,
				`phones.yaml:7: phones[0].mac: "00:a8:59:00:10" is not a MAC address (00:a8:59:00:10:01 or 00a859001001)`,
				`phones.yaml:8: phones[0].reject_code: 404 is not allowed (480, 486 or 603)`,
				`phones.yaml:9: phones[0].media.play: "ring.mp3" is neither a .wav file nor tone:HZ`,
				`phones.yaml:11: phones[0].lines[0].user: "10 01": ' ' is not allowed in a SIP user name (RFC 3261 §25.1)`,
				`phones.yaml:12: phones[0].lines[0].server: "127.0.0.1" is not host:port (e.g. 127.0.0.1:5060)`,
				`phones.yaml:13: phones[0].lines[0].expires: 5 is out of range (10 to 4294967295 seconds)`,
				`phones.yaml:14: phones[0].lines[0].transport: "sctp" is not a transport (udp or tcp)`,
				`phones.yaml:15: phones[0].lines[1].user: missing (required)`,
				`phones.yaml:15: phones[0].lines[1].server: missing: give host:port of the registrar or proxy`,
				`phones.yaml:17: phones[0].action_url.setup_completed: "ftp://127.0.0.1/boot" is not an http:// or https:// URL`,
				`phones.yaml:18: phones[0].action_url.incoming_call: "/relative?x=$remote" is not an http:// or https:// URL`,
			},
		},
		{
			name: "missing required fields point at the phone",
			src: `log_level: loud
phones:
  - lines: [{user: "1001", server: pbx.example.com:5060}]
  - name: bob
    ip: 127.0.0.1
    sip_port: 5072
    http_port: 8082
    lines: []
`,
			want: []string{
				`phones.yaml:1: log_level: "loud" is not a level (debug, info, warn, error)`,
				`phones.yaml:3: phones[0].name: missing (required)`,
				`phones.yaml:3: phones[0].ip: missing: give the address the phone binds and reports as $ip`,
				`phones.yaml:3: phones[0].sip_port: missing (required)`,
				`phones.yaml:3: phones[0].http_port: missing (required)`,
				`phones.yaml:8: phones[1].lines: at least one line is required`,
			},
		},
		{
			name: "collisions between phones and the registrar",
			src: `registrar:
  listen: 127.0.0.1:5060
  users: {"1001": secret1}
phones:
  - name: alice
    ip: 127.0.0.1
    sip_port: 5071
    http_port: 8081
    mac: 00A859000002
    lines: [{user: "1001", server: 127.0.0.1:5060}]
  - name: alice
    ip: 127.0.0.1
    sip_port: 5060
    http_port: 5071
    lines: [{user: "1002", server: 127.0.0.1:5060}]
  - name: carol
    ip: 127.0.0.2
    sip_port: 5071
    http_port: 5071
    mac: 00-a8-59-00-00-02
    lines: [{user: "1003", server: 127.0.0.1:5060}]
`,
			want: []string{
				`phones.yaml:11: phones[1].name: "alice" is already the name of phones[0]`,
				`phones.yaml:11: phones[1].mac: 00:a8:59:00:00:02 is already the MAC of phones[0] (this phone has no mac: it gets one derived from its index)`,
				`phones.yaml:13: phones[1].sip_port: 127.0.0.1:5060 is already used by registrar.listen`,
				`phones.yaml:14: phones[1].http_port: 127.0.0.1:5071 is already used by phones[0].sip_port (alice)`,
				`phones.yaml:19: phones[2].http_port: 127.0.0.2:5071 is already used by phones[2].sip_port (carol)`,
				`phones.yaml:20: phones[2].mac: 00:a8:59:00:00:02 is already the MAC of phones[0]`,
			},
		},
		{
			name: "registrar",
			src: `registrar:
  listen: localhost:5060
  realm: 'a"b'
  users:
    "1001": ""
    "a@b": x
phones:
  - {name: a, ip: 127.0.0.1, sip_port: 5071, http_port: 8081, lines: [{user: "1001", server: "[::1]:5060"}]}
`,
			want: []string{
				`phones.yaml:2: registrar.listen: "localhost:5060" is not IP:port (e.g. 127.0.0.1:5060)`,
				`phones.yaml:3: registrar.realm: "a\"b" may not hold quotes, backslashes or control characters`,
				`phones.yaml:5: registrar.users.1001: password is empty`,
				`phones.yaml:6: registrar.users["a@b"]: user "a@b": '@' is not allowed in a SIP user name (RFC 3261 §25.1)`,
			},
		},
		{
			name: "a registrar on every address",
			src: `registrar:
  listen: 0.0.0.0:5060
  users: {"1001": x}
phones:
  - {name: a, ip: "::1", sip_port: 5060, http_port: 8081, lines: [{user: "1001", server: "127.0.0.1:5060"}]}
  - {name: b, ip: "::1", sip_port: 5061, http_port: 8081, lines: [{user: "1001", server: "127.0.0.1:5060"}]}
`,
			want: []string{
				`phones.yaml:5: phones[0].sip_port: [::1]:5060 is already used by registrar.listen`,
				`phones.yaml:6: phones[1].http_port: [::1]:8081 is already used by phones[0].http_port (a)`,
			},
		},
		{
			name: "empty registrar",
			src: `registrar: {}
phones:
  - {name: a, ip: 127.0.0.1, sip_port: 5071, http_port: 8081, lines: [{user: "1001", server: "h:1"}]}
`,
			want: []string{
				`phones.yaml:1: registrar.listen: missing: give the IP:port the registrar binds (e.g. 127.0.0.1:5060)`,
				`phones.yaml:1: registrar.users: at least one user is required (users: {"1001": secret}, accounts: or a fleet block)`,
			},
		},
		{
			name: "explicit zeros are not defaults",
			src: `action_url_timeout: 0s
phones:
  - name: a
    ip: 127.0.0.1
    sip_port: 5071
    http_port: 8081
    reject_code: 0
    lines: [{user: "1001", server: "h:1", expires: 0}]
`,
			want: []string{
				`phones.yaml:1: action_url_timeout: 0s is out of range (1ms to 10m)`,
				`phones.yaml:7: phones[0].reject_code: 0 is not allowed (480, 486 or 603)`,
				`phones.yaml:8: phones[0].lines[0].expires: 0 is out of range (10 to 4294967295 seconds)`,
			},
		},
		{
			name: "nine lines",
			src: `phones:
  - name: a
    ip: 127.0.0.1
    sip_port: 5071
    http_port: 8081
    lines:
      - {user: "1", server: "h:1"}
      - {user: "2", server: "h:1"}
      - {user: "3", server: "h:1"}
      - {user: "4", server: "h:1"}
      - {user: "5", server: "h:1"}
      - {user: "6", server: "h:1"}
      - {user: "7", server: "h:1"}
      - {user: "1", server: "h:1"}
      - {user: "9", server: "h:1"}
`,
			want: []string{
				`phones.yaml:14: phones[0].lines[7]: 1@h:1 is already the account of phones[0].lines[0]`,
				`phones.yaml:15: phones[0].lines[8]: a phone has at most 8 lines (L1..L8), got 9`,
			},
		},
		{
			name: "keys YAML would change",
			src: `registrar:
  listen: 127.0.0.1:5060
  users: {0123: x, 1001: y}
phones: []
`,
			want: []string{`phones.yaml:3: registrar.users: YAML reads the key 0123 as 83; write it in quotes: "0123"`},
		},
		{
			name: "SIP user names and hosts",
			src: `phones:
  - name: a
    ip: 127.0.0.1
    sip_port: 5071
    http_port: 8081
    lines:
      - {user: "a%20b;x=1", server: "pbx.example.com:5060"}
      - {user: "a%2", server: "-pbx.example.com:5060"}
      - {user: "é", server: "pbx.example.com:0", display_name: "a\nb"}
`,
			want: []string{
				`phones.yaml:8: phones[0].lines[1].user: "a%2": '%' is not allowed in a SIP user name (RFC 3261 §25.1)`,
				`phones.yaml:8: phones[0].lines[1].server: "-pbx.example.com:5060" is not host:port (e.g. 127.0.0.1:5060)`,
				`phones.yaml:9: phones[0].lines[2].user: "é": 'é' is not allowed in a SIP user name (RFC 3261 §25.1)`,
				`phones.yaml:9: phones[0].lines[2].server: "pbx.example.com:0" is not host:port (e.g. 127.0.0.1:5060)`,
				`phones.yaml:9: phones[0].lines[2].display_name: holds control characters`,
			},
		},
		{
			name: "tags do not hide a changed value",
			src: `phones:
  - name: !!str 0123
    model: !!str X4U
`,
			want: []string{`phones.yaml:2: phones[0].name: YAML reads 0123 as 83; write it in quotes: "0123"`},
		},
		{
			name: "empty file",
			src:  "# nothing here\n",
			want: []string{`phones.yaml:1: phones: at least one phone (or fleet block, or a registrar) is required`},
		},
		{
			name: "top level is a list",
			src:  "- name: alice\n",
			want: []string{`phones.yaml:1: expected a mapping (key: value), got a list`},
		},
		{
			name: "syntax error",
			src:  "phones:\n  - name: [alice\n",
			want: []string{`phones.yaml:2: sequence end token ']' not found`},
		},
		{
			name: "duplicate key",
			src:  "phones: []\nphones: []\n",
			want: []string{`phones.yaml:2: mapping key "phones" already defined at [1:1]`},
		},
		{
			name: "two documents",
			src:  "phones: []\n---\nphones: []\n",
			want: []string{`phones.yaml:3: a configuration is one YAML document; this is a second one`},
		},
		{
			name: "alias to nothing",
			src:  "phones: *fleet\n",
			want: []string{`phones.yaml:1: phones: alias *fleet: no anchor &fleet before it`},
		},
		{
			name: "merged phone: errors in own and merged keys",
			src: `phones:
  - &base
    name: a
    ip: 127.0.0.1
    sip_port: 5071
    http_port: 8081
    lines: [{user: "1001", server: "h:1"}]
  - <<: *base
    name: b
    sip_port: 5072
    colour: red
`,
			want: []string{`phones.yaml:11: phones[1].colour: unknown field (known: accept_calls_from, action_url, active_uri, admin, call_appearances, dnd, dss, firmware, forward, http_port, ip, lines, mac, media, model, name, provisioning_url, reject_code, ring_timeout_seconds, rtp_ports, sip_port)`},
		},
		{
			name: "merged phone: inherited port collides",
			src: `phones:
  - &base
    name: a
    ip: 127.0.0.1
    sip_port: 5071
    http_port: 8081
    lines: [{user: "1001", server: "h:1"}]
  - <<: *base
    name: b
    sip_port: 5072
`,
			// http_port comes from the anchor: the line is where it is
			// written.
			want: []string{`phones.yaml:6: phones[1].http_port: 127.0.0.1:8081 is already used by phones[0].http_port (a)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("phones.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded, want errors:\n%s", strings.Join(tt.want, "\n"))
			}
			if f != nil {
				t.Errorf("Parse returned a File with an error")
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(tt.want, "\n"))
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) != len(tt.want) {
				t.Errorf("error is %T with %d entries, want an ErrorList of %d", err, len(list), len(tt.want))
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.File != "phones.yaml" || fe.Line < 1 {
				t.Errorf("errors.As(*FieldError) = %+v", fe)
			}
		})
	}
}

func TestPaths(t *testing.T) {
	tests := []struct{ parent, key, child string }{
		{"", "phones", "phones"},
		{"registrar.users", "1001", "registrar.users.1001"},
		{"registrar.users", "a.b", `registrar.users["a.b"]`},
		{"registrar.users", `x"]y`, `registrar.users["x\"]y"]`},
		{"phones[0].action_url", "incoming_call", "phones[0].action_url.incoming_call"},
	}
	for _, tt := range tests {
		if got := childPath(tt.parent, tt.key); got != tt.child {
			t.Errorf("childPath(%q, %q) = %q, want %q", tt.parent, tt.key, got, tt.child)
		}
		if got := parentPath(tt.child); got != tt.parent {
			t.Errorf("parentPath(%q) = %q, want %q", tt.child, got, tt.parent)
		}
	}
	if got := parentPath("phones[12]"); got != "phones" {
		t.Errorf("parentPath(phones[12]) = %q", got)
	}
	ix := lineIndex{"": 1, "phones": 3, "phones[1]": 7}
	if got := ix.lineOf("phones[1].lines[0].user"); got != 7 {
		t.Errorf("lineOf falls back to %d, want 7", got)
	}
}

func TestErrorListIsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("phones:\n")
	for range MaxErrors + 10 {
		b.WriteString("  - {name: a, ip: 127.0.0.1, sip_port: 0, http_port: 8081, lines: [{user: u, server: 'h:1'}]}\n")
	}
	_, err := Parse("big.yaml", []byte(b.String()))
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != MaxErrors+1 {
		t.Fatalf("got %d lines, want %d", len(lines), MaxErrors+1)
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "big.yaml:") || !strings.Contains(last, "more errors") {
		t.Errorf("last line %q", last)
	}
}

func TestValidateWithoutFile(t *testing.T) {
	f := Demo()
	if err := f.Validate(); err != nil {
		t.Fatalf("demo: %v", err)
	}
	f.Phones[1].SIPPort = f.Phones[0].SIPPort
	f.Phones[1].Lines[0].Server = "nowhere"
	err := f.Validate()
	want := "phones[1].sip_port: 127.0.0.1:5071 is already used by phones[0].sip_port (alice)\n" +
		`phones[1].lines[0].server: "nowhere" is not host:port (e.g. 127.0.0.1:5060)`
	if err == nil || err.Error() != want {
		t.Errorf("Validate() = %v, want\n%s", err, want)
	}
}

// A few kilobytes of aliases must not stand for millions of values.
func TestAliasExpansionIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("phones:\n  - &p {name: a, ip: 127.0.0.1, sip_port: 1, http_port: 2, lines: [&l {user: u, server: 'h:1'}")
	b.WriteString(strings.Repeat(", *l", 300))
	b.WriteString("]}\n")
	b.WriteString(strings.Repeat("  - *p\n", 300))
	_, err := Parse("bomb.yaml", []byte(b.String()))
	// One error, where the budget ran out (which value that is depends on
	// the budget).
	if err == nil || strings.Count(err.Error(), "\n") != 0 ||
		!strings.HasPrefix(err.Error(), "bomb.yaml:2: phones[") ||
		!strings.HasSuffix(err.Error(), ": aliases expand the file to too many values") {
		t.Fatalf("err = %v", err)
	}
}
