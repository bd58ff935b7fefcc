package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

const fleetYAML = `registrar:
  listen: 127.0.0.1:5060
  users: {"2001": listed}
phones:
  - {name: desk, ip: 127.0.0.1, sip_port: 5071, http_port: 8081, lines: [{user: "1001", server: "127.0.0.1:5060"}]}
fleet:
  - count: 3
    ip: 127.0.1.254
    sip_port: 5060
    http_port: 8080
    user: 2000
    password: "pw$user"
    display_name: "Agent $user"
    mac: "00:a8:59:01:00:ff"
    server: 127.0.0.1:5060
    auto_answer: 1s
    action_url: {incoming_call: "http://127.0.0.1:9000/in?mac=$mac&from=$remote&agent=$user"}
  - {count: 2, name: "b$user", ip: 127.0.2.1, sip_port: 5060, http_port: 8080, user: "0099", password: x, server: "127.0.0.1:5060"}
`

func TestFleetBlockGeneratesPhones(t *testing.T) {
	f := parseOK(t, fleetYAML)
	type phone struct{ name, ip, user, password, display, mac string }
	want := []phone{
		{"desk", "127.0.0.1", "1001", "", "", "00:a8:59:00:00:01"},
		{"2000", "127.0.1.254", "2000", "pw2000", "Agent 2000", "00:a8:59:01:00:ff"},
		{"2001", "127.0.1.255", "2001", "pw2001", "Agent 2001", "00:a8:59:01:01:00"},
		{"2002", "127.0.2.0", "2002", "pw2002", "Agent 2002", "00:a8:59:01:01:01"},
		// No mac: the one derived from the place in the whole fleet.
		{"b0099", "127.0.2.1", "0099", "x", "", "00:a8:59:00:00:05"},
		{"b0100", "127.0.2.2", "0100", "x", "", "00:a8:59:00:00:06"},
	}
	if len(f.Phones) != len(want) {
		t.Fatalf("%d phones, want %d", len(f.Phones), len(want))
	}
	for i, w := range want {
		p := f.Phones[i]
		l := p.Lines[0]
		if got := (phone{p.Name, p.IP, l.User, l.Password, l.DisplayName, p.MAC}); got != w {
			t.Errorf("phone %d = %+v, want %+v", i, got, w)
		}
	}
	agent := f.PhoneByName("2001")
	if l := agent.Lines[0]; !l.AutoAnswer || l.AutoAnswerDelay != time.Second || l.Server != "127.0.0.1:5060" ||
		l.Expires != DefaultExpires || agent.SIPPort != 5060 || agent.HTTPPort != 8080 {
		t.Errorf("2001 = %+v", agent)
	}
	if got := agent.ActionURL[emulator.EventIncomingCall]; got != "http://127.0.0.1:9000/in?mac=$mac&from=$remote&agent=2001" {
		t.Errorf("2001's incoming_call URL = %q", got)
	}
	if o := agent.Origin; o != (Origin{Block: 1, Index: 1, Count: 3}) {
		t.Errorf("2001's origin = %+v", o)
	}
	if f.PhoneByName("b0099").Lines[0].AutoAnswer {
		t.Error("b0099 auto-answers without auto_answer")
	}
	// The embedded registrar gets every generated account, but a listed
	// one keeps its password.
	wantUsers := map[string]string{"2000": "pw2000", "2001": "listed", "2002": "pw2002", "0099": "x", "0100": "x"}
	for u, pw := range wantUsers {
		if got, ok := f.Registrar.Users[u]; !ok || got != pw {
			t.Errorf("registrar user %s = %q (%v), want %q", u, got, ok, pw)
		}
	}
	if len(f.Fleet) != 0 {
		t.Error("Parse left the fleet blocks in place")
	}
	if err := f.Validate(); err != nil {
		t.Errorf("a parsed fleet does not validate again: %v", err)
	}
}

func TestRegistrarOnly(t *testing.T) {
	f := parseOK(t, `registrar:
  listen: 127.0.0.1:5060
  accounts:
    - {count: 3, user: 3000, password: "pw$user"}
`)
	if len(f.Phones) != 0 {
		t.Fatalf("%d phones", len(f.Phones))
	}
	want := map[string]string{"3000": "pw3000", "3001": "pw3001", "3002": "pw3002"}
	if fmt.Sprint(f.Registrar.Users) != fmt.Sprint(want) {
		t.Errorf("users = %v, want %v", f.Registrar.Users, want)
	}
}

func TestFleetErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{
			name: "count, ip, user, mac",
			src: `fleet:
  - count: 0
    ip: 300.1.1.1
    sip_port: 5060
    http_port: 8080
    user: ext2000
    mac: "zz"
    server: 127.0.0.1:5060
`,
			want: []string{
				`f.yaml:2: fleet[0].count: 0 is out of range (1 to 100000)`,
				`f.yaml:3: fleet[0].ip: "300.1.1.1" is not an IP address`,
				`f.yaml:6: fleet[0].user: "ext2000" is not an extension number (phone i gets this number + i)`,
				`f.yaml:7: fleet[0].mac: "zz" is not a MAC address (00:a8:59:00:10:01 or 00a859001001)`,
			},
		},
		{
			name: "ranges run out",
			src: `fleet:
  - count: 3
    ip: 255.255.255.253
    sip_port: 5060
    http_port: 8080
    user: 1
    mac: "ff:ff:ff:ff:ff:fe"
    server: 127.0.0.1:5060
    auto_answer: -1s
`,
			want: []string{
				`f.yaml:3: fleet[0].ip: 3 phones from 255.255.255.253 run past the end of the address space`,
				`f.yaml:7: fleet[0].mac: 3 phones from ff:ff:ff:ff:ff:fe run past ff:ff:ff:ff:ff:ff`,
				`f.yaml:9: fleet[0].auto_answer: -1s is out of range (0s to 10m)`,
			},
		},
		{
			name: "generated phones are checked at the block's lines",
			src: `phones:
  - {name: a, ip: 127.0.1.2, sip_port: 5060, http_port: 9000, lines: [{user: "1", server: "h:1"}]}
fleet:
  - count: 2
    ip: 127.0.1.1
    sip_port: 5060
    http_port: 70000
    user: 2000
    server: nowhere
    action_url: {incoming_call: "ftp://x/"}
`,
			want: []string{
				`f.yaml:7: fleet[0].phone[0].http_port: 70000 is not a port (1-65535)`,
				`f.yaml:9: fleet[0].phone[0].lines[0].server: "nowhere" is not host:port (e.g. 127.0.0.1:5060)`,
				`f.yaml:10: fleet[0].phone[1].action_url.incoming_call: "ftp://x/" is not an http:// or https:// URL`,
			},
		},
		{
			name: "unknown fields and events",
			src: `fleet:
  - count: 2
    ipp: 127.0.1.1
    action_url: {incomming_call: "http://x/"}
`,
			want: []string{
				`f.yaml:3: fleet[0].ipp: unknown field (did you mean ip?)`,
				`f.yaml:4: fleet[0].action_url.incomming_call: unknown event (did you mean incoming_call?)`,
			},
		},
		{
			name: "embedded registrar needs passwords",
			src: `registrar: {listen: 127.0.0.1:5060}
fleet:
  - {count: 1, ip: 127.0.1.1, sip_port: 5060, http_port: 8080, user: 1, server: "127.0.0.1:5060"}
`,
			want: []string{
				`f.yaml:3: fleet[0].password: missing: the embedded registrar needs one for each account (e.g. "pw$user")`,
			},
		},
		{
			name: "collisions name the block",
			src: `phones:
  - {name: a, ip: 127.0.1.2, sip_port: 5060, http_port: 9000, lines: [{user: "1", server: "h:1"}]}
fleet:
  - count: 2
    ip: 127.0.1.1
    sip_port: 5060
    http_port: 8080
    user: 2000
    server: "h:1"
`,
			want: []string{
				`f.yaml:6: fleet[0].phone[1].sip_port: 127.0.1.2:5060 is already used by phones[0].sip_port (a)`,
			},
		},
		{
			name: "bad name template",
			src: `fleet:
  - {count: 1, name: "a b$user", ip: 127.0.1.1, sip_port: 5060, http_port: 8080, user: 1, server: "h:1"}
`,
			want: []string{
				`f.yaml:2: fleet[0].phone[0].name: "a b1" may only use letters, digits, '.', '_' and '-' (at most 64)`,
			},
		},
		{
			name: "all blocks together are capped",
			src: `fleet:
  - &b {count: 60000, ip: 127.0.1.1, sip_port: 5060, http_port: 8080, user: 1, server: "h:1"}
  - <<: *b
    ip: 127.128.0.1
`,
			want: []string{
				`f.yaml:2: fleet[1].count: the blocks of this file make more than 100000 phones or accounts (split the fleet over files)`,
			},
		},
		{
			name: "registrar accounts",
			src: `registrar:
  listen: 127.0.0.1:5060
  accounts:
    - {count: 200000, user: x}
`,
			want: []string{
				`f.yaml:4: registrar.accounts[0].count: 200000 is out of range (1 to 100000)`,
				`f.yaml:4: registrar.accounts[0].user: "x" is not an extension number (phone i gets this number + i)`,
				`f.yaml:4: registrar.accounts[0].password: missing (required)`,
				`f.yaml:1: registrar.users: at least one user is required (users: {"1001": secret}, accounts: or a fleet block)`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tc.src))
			if err == nil {
				t.Fatal("no error")
			}
			got := strings.Split(err.Error(), "\n")
			for _, w := range tc.want {
				found := false
				for _, g := range got {
					found = found || g == w
				}
				if !found {
					t.Errorf("missing %s\ngot:\n%v", w, err)
				}
			}
		})
	}
}

func TestShards(t *testing.T) {
	f := parseOK(t, fleetYAML)
	for _, n := range []int{1, 2, 3, 4, 7} {
		seen := map[string]int{}
		for k := 1; k <= n; k++ {
			s, err := f.ShardOf(k, n)
			if err != nil {
				t.Fatal(err)
			}
			if (s.Registrar != nil) != (k == 1) {
				t.Errorf("%d/%d: registrar %v", k, n, s.Registrar != nil)
			}
			for _, p := range s.Phones {
				seen[p.Name]++
			}
		}
		for _, p := range f.Phones {
			if seen[p.Name] != 1 {
				t.Errorf("N=%d: %s runs in %d shards", n, p.Name, seen[p.Name])
			}
		}
	}
	// Equal slices: 10 phones over 3 shards are 4, 3, 3, in order.
	for k, want := range [][2]int{{0, 4}, {4, 7}, {7, 10}} {
		if lo, hi := ShardRange(10, k+1, 3); lo != want[0] || hi != want[1] {
			t.Errorf("ShardRange(10, %d, 3) = %d, %d, want %v", k+1, lo, hi, want)
		}
	}
	for _, bad := range []string{"0/2", "3/2", "1", "a/b", "1/0", ""} {
		if _, _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
	if k, n, err := ParseShard("2/5"); err != nil || k != 2 || n != 5 {
		t.Errorf("ParseShard(2/5) = %d, %d, %v", k, n, err)
	}
}

// A block of 10,000 phones parses in well under a second; the benchmark
// says how long exactly.
func BenchmarkParseFleet10000(b *testing.B) {
	src := []byte(`registrar: {listen: 127.0.0.1:5060}
fleet:
  - {count: 10000, ip: 127.0.1.1, sip_port: 5060, http_port: 8080, user: 20000, password: "pw$user", server: "127.0.0.1:5060"}
`)
	for b.Loop() {
		if _, err := Parse("b.yaml", src); err != nil {
			b.Fatal(err)
		}
	}
}

// --shard comes from the command line: anything gives K/N in range or an
// error, never a panic, and ShardRange's slices of any block tile it.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"1/2", "2/2", "0/1", "10/3", "-1/2", "1/-2", "1/", "/", "99999999999999999999/1", "1/2/3"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, count int) {
		k, n, err := ParseShard(s)
		if err != nil {
			return
		}
		if k < 1 || n < 1 || k > n {
			t.Fatalf("ParseShard(%q) = %d, %d", s, k, n)
		}
		if count < 1 || count > MaxFleetBlock || n > 1000 {
			return
		}
		lo, hi := ShardRange(count, k, n)
		if lo < 0 || hi > count || lo > hi {
			t.Fatalf("ShardRange(%d, %d, %d) = %d, %d", count, k, n, lo, hi)
		}
		if k == n && hi != count {
			t.Fatalf("the last shard ends at %d of %d", hi, count)
		}
		if k > 1 {
			if _, prevHi := ShardRange(count, k-1, n); prevHi != lo {
				t.Fatalf("shard %d starts at %d, shard %d ends at %d", k, lo, k-1, prevHi)
			}
		}
	})
}
