package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

func TestDemo(t *testing.T) {
	f := Demo()
	if f.Registrar == nil || f.Registrar.Listen != "127.0.0.1:5060" || f.Registrar.Realm != "phonesim" {
		t.Fatalf("registrar = %+v", f.Registrar)
	}
	if want := map[string]string{"1001": "secret1", "1002": "secret2"}; !reflect.DeepEqual(f.Registrar.Users, want) {
		t.Errorf("users = %v, want %v", f.Registrar.Users, want)
	}
	type phone struct {
		name, ip, user, mac string
		sip, http           int
	}
	want := []phone{
		{"alice", "127.0.0.1", "1001", "00:a8:59:00:00:01", 5071, 8081},
		{"bob", "127.0.0.1", "1002", "00:a8:59:00:00:02", 5072, 8082},
	}
	if len(f.Phones) != len(want) {
		t.Fatalf("%d phones, want %d", len(f.Phones), len(want))
	}
	for i, w := range want {
		p := f.Phones[i]
		got := phone{p.Name, p.IP, p.Lines[0].User, p.MAC, p.SIPPort, p.HTTPPort}
		if got != w {
			t.Errorf("phone %d = %+v, want %+v", i, got, w)
		}
		if p.Lines[0].Server != f.Registrar.Listen || p.Lines[0].Password != f.Registrar.Users[p.Lines[0].User] {
			t.Errorf("%s does not register with the demo registrar: %+v", p.Name, p.Lines[0])
		}
	}
	// Each call is a fresh copy.
	f.Phones[0].Name = "changed"
	if Demo().Phones[0].Name != "alice" {
		t.Error("Demo() shares state between calls")
	}
	if !bytes.Equal(DemoYAML(), mustRead(t, "demo.yaml")) {
		t.Error("DemoYAML() differs from demo.yaml")
	}
}

func TestExample(t *testing.T) {
	// Load, as a user would, from the file on disk.
	f, err := Load("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if f.ActionURLTimeout != 5*time.Second || f.LogLevel != "info" {
		t.Errorf("timeout %v, level %q", f.ActionURLTimeout, f.LogLevel)
	}
	if len(f.Phones) != 5 {
		t.Fatalf("%d phones, want 3 listed and 2 from the fleet block", len(f.Phones))
	}
	alice := f.PhoneByName("alice")
	yes := true
	wantAlice := Phone{
		Name: "alice", IP: "127.0.0.1", SIPPort: 5071, HTTPPort: 8081,
		RTPPorts: "20000-20999", MAC: "00:a8:59:00:10:01", Model: "X4U", Firmware: "2.12.1",
		Admin: Admin{User: "admin", Password: "admin"}, RejectCode: 480,
		CallAppearances: 24, RingTimeoutSeconds: 120, AcceptCallsFrom: "any",
		Media:           Media{Play: "tone:440", RecordDir: absPath(t, "recordings")},
		Forward:         Forward{Busy: "1002", NoAnswerSeconds: 20},
		ProvisioningURL: "http://127.0.0.1:9000/prov/",
		ActiveURI:       ActiveURI{Enabled: &yes, Allow: []string{"127.0.0.1", "10.0.0.0/8"}},
		DSS: []DSSKey{{Type: "speed_dial", Value: "1002", Label: "Bob"}, {Type: "blf", Value: "1003", Label: "Carol"},
			{Type: "transfer", Value: "1009", Label: "Desk"}},
		Lines: []Line{
			{User: "1001", Password: "secret1", Server: "127.0.0.1:5060", DisplayName: "Alice",
				Expires: 3600, Voicemail: "*97", Transport: "udp"},
			{User: "1003", Password: "secret3", Server: "127.0.0.1:5060", DisplayName: "Alice 2",
				Expires: 3600, Transport: "udp"},
		},
	}
	urls := alice.ActionURL
	alice.ActionURL = nil
	if !reflect.DeepEqual(*alice, wantAlice) {
		t.Errorf("alice =\n%+v\nwant\n%+v", *alice, wantAlice)
	}
	// The example shows every one of the 27 events.
	for _, ev := range emulator.ActionEvents() {
		if !strings.HasPrefix(urls[ev], "http://127.0.0.1:9000/") {
			t.Errorf("example has no URL for %s", ev.Key())
		}
	}
	if got := urls[emulator.EventSetupCompleted]; got != "http://127.0.0.1:9000/boot?mac=$mac&ip=$ip&model=$model&fw=$firmware" {
		t.Errorf("setup_completed = %q", got)
	}
	// carol reuses bob's URLs through a YAML alias.
	bob, carol := f.PhoneByName("bob"), f.PhoneByName("carol")
	if len(bob.ActionURL) != 2 || !reflect.DeepEqual(bob.ActionURL, carol.ActionURL) {
		t.Errorf("bob %v, carol %v", bob.ActionURL, carol.ActionURL)
	}
	if bob.MAC != "00:a8:59:00:00:02" || carol.MAC != "00:a8:59:00:00:03" {
		t.Errorf("derived MACs %s %s", bob.MAC, carol.MAC)
	}
	// The example documents every field: each yaml tag appears in it.
	text := string(mustRead(t, "example.yaml"))
	for _, typ := range []reflect.Type{reflect.TypeFor[File](), reflect.TypeFor[Registrar](),
		reflect.TypeFor[Phone](), reflect.TypeFor[Line](), reflect.TypeFor[Admin](), reflect.TypeFor[Media](), reflect.TypeFor[ActiveURI](),
		reflect.TypeFor[FleetBlock](), reflect.TypeFor[Accounts]()} {
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
			if name == "-" {
				continue // not read from the file
			}
			if !strings.Contains(text, name+":") {
				t.Errorf("example.yaml does not show %s.%s (%s)", typ.Name(), typ.Field(i).Name, name)
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	f := parseOK(t, `phones:
  - name: a
    ip: 127.0.0.1
    sip_port: 5071
    http_port: 8081
    lines: [{user: "1001", server: "pbx.example.com:5060"}]
`)
	want := File{
		ActionURLTimeout: 5 * time.Second,
		LogLevel:         "info",
		Phones: []Phone{{
			Name: "a", IP: "127.0.0.1", SIPPort: 5071, HTTPPort: 8081,
			MAC: "00:a8:59:00:00:01", Model: "X4U", Firmware: "2.12.1",
			Admin: Admin{User: "admin", Password: "admin"}, RejectCode: 480,
			CallAppearances: 24, RingTimeoutSeconds: 120, AcceptCallsFrom: "any",
			Media: Media{Play: "tone:440"},
			Lines: []Line{{User: "1001", Server: "pbx.example.com:5060", Expires: 3600, Transport: "udp"}},
		}},
	}
	if !reflect.DeepEqual(*f, want) {
		t.Errorf("got\n%+v\nwant\n%+v", *f, want)
	}
	before := *f
	f.ApplyDefaults()
	if !reflect.DeepEqual(*f, before) {
		t.Error("ApplyDefaults is not idempotent")
	}
}

func TestValuesAsWritten(t *testing.T) {
	f := parseOK(t, `log_level: DEBUG
action_url_timeout: 250ms
phones:
  - name: a.b_c-1
    ip: "::1"
    sip_port: 5071
    http_port: 8081
    mac: 00A8590010FF
    firmware: "2.10"
    dnd: true
    reject_code: 603
    rtp_ports: 30000-30099
    media: {play: tone:1000}
    lines:
      - user: 1001
        password: true
        server: "[::1]:5060"
        expires: 10
        transport: TCP
        auto_answer: true
    action_url:
      incoming_call: https://crm.example.com/in?from=$remote
      terminated: ""
  - name: b
    ip: 127.0.0.1
    sip_port: 5071
    http_port: 8082
    mac: 00-a8-59-00-10-fe
    lines: [{user: "1002", server: "127.0.0.1:5060"}]
`)
	a, b := f.Phones[0], f.Phones[1]
	if f.LogLevel != "debug" || f.ActionURLTimeout != 250*time.Millisecond {
		t.Errorf("log_level %q timeout %v", f.LogLevel, f.ActionURLTimeout)
	}
	if a.MAC != "00:a8:59:00:10:ff" || b.MAC != "00:a8:59:00:10:fe" {
		t.Errorf("MACs %q %q", a.MAC, b.MAC)
	}
	if a.Firmware != "2.10" || !a.DND || a.RejectCode != 603 {
		t.Errorf("firmware %q dnd %v reject %d", a.Firmware, a.DND, a.RejectCode)
	}
	if lo, hi, ok := a.RTPPortRange(); !ok || lo != 30000 || hi != 30099 {
		t.Errorf("RTPPortRange = %d %d %v", lo, hi, ok)
	}
	if hz, ok := a.Media.Tone(); !ok || hz != 1000 {
		t.Errorf("Tone = %d %v", hz, ok)
	}
	l := a.Lines[0]
	// Bare 1001 and true are taken as the text written.
	if l.User != "1001" || l.Password != "true" || l.Transport != "tcp" || l.Expires != 10 || !l.AutoAnswer {
		t.Errorf("line %+v", l)
	}
	if l.URI() != "sip:1001@[::1]" {
		t.Errorf("URI = %q", l.URI())
	}
	if a.SIPAddr() != "[::1]:5071" || b.HTTPAddr() != "127.0.0.1:8082" {
		t.Errorf("addrs %q %q", a.SIPAddr(), b.HTTPAddr())
	}
	// An empty URL is no URL.
	want := ActionURLs{emulator.EventIncomingCall: "https://crm.example.com/in?from=$remote"}
	if !reflect.DeepEqual(a.ActionURL, want) {
		t.Errorf("action_url = %v", a.ActionURL)
	}
	var plain map[emulator.EventType]string = a.ActionURL // converts without a copy
	if len(plain) != 1 {
		t.Error("ActionURLs is not a map[emulator.EventType]string")
	}
	if f.SlogLevel().String() != "DEBUG" {
		t.Errorf("SlogLevel = %v", f.SlogLevel())
	}
}

func TestMergeKeys(t *testing.T) {
	f := parseOK(t, `phones:
  - &base
    name: a
    ip: 127.0.0.1
    sip_port: 5071
    http_port: 8081
    model: X7
    lines: [{user: "1001", server: "h:1"}]
    action_url: &urls
      incoming_call: http://127.0.0.1:9000/in
  - <<: *base
    name: b
    sip_port: 5072
    http_port: 8082
    action_url:
      <<: *urls
      terminated: http://127.0.0.1:9000/down
`)
	b := f.Phones[1]
	if b.Name != "b" || b.SIPPort != 5072 || b.Model != "X7" || b.IP != "127.0.0.1" || b.Lines[0].User != "1001" {
		t.Errorf("merged phone %+v", b)
	}
	if len(b.ActionURL) != 2 || b.ActionURL[emulator.EventIncomingCall] == "" {
		t.Errorf("merged action_url %v", b.ActionURL)
	}

	_, err := Parse("m.yaml", []byte(`phones:
  - &base {name: a, ip: 127.0.0.1, sip_port: 5071, http_port: 8081, lines: [{user: u, server: "h:1"}]}
  - name: b
    <<: *base
  - <<: [*base]
`))
	want := "m.yaml:4: phones[1]: <<: a merge key must come first in its mapping (the keys after it override the merged ones)\n" +
		"m.yaml:5: phones[2]: <<: expected a mapping to merge (<<: *name), got a list"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want\n%s", err, want)
	}
}

func TestEmulatorConfig(t *testing.T) {
	f := parseOK(t, `phones:
  - name: alice
    ip: 127.0.0.1
    sip_port: 5071
    http_port: 8081
    mac: 00a859001001
    model: X6
    firmware: "1.0"
    reject_code: 480
    call_appearances: 4
    ring_timeout_seconds: 30
    lines:
      - {user: "1001", password: s1, server: 127.0.0.1:5060, display_name: Alice, expires: 60, voicemail: "*97", auto_answer: true}
      - {user: "1002", server: 127.0.0.1:5060}
`)
	got := f.Phones[0].EmulatorConfig()
	want := emulator.Config{
		Identity: emulator.Identity{Name: "alice", MAC: "00:a8:59:00:10:01", IP: "127.0.0.1", Model: "X6", Firmware: "1.0"},
		Lines: []emulator.LineConfig{
			{User: "1001", Password: "s1", Server: "127.0.0.1:5060", DisplayName: "Alice", Expires: time.Minute, Voicemail: "*97", AutoAnswer: true},
			{User: "1002", Server: "127.0.0.1:5060", Expires: time.Hour},
		},
		RejectCode:      480,
		CallAppearances: 4,
		RingTimeout:     30 * time.Second,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("EmulatorConfig =\n%+v\nwant\n%+v", got, want)
	}
	// The core accepts it: a phone with no SIP side starts and stops.
	p := emulator.New(got, nil)
	if p.Name() != "alice" || p.Snapshot().Identity.MAC != "00:a8:59:00:10:01" {
		t.Errorf("phone %q identity %+v", p.Name(), p.Snapshot().Identity)
	}
}

func TestLoadMediaPaths(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.wav"), []byte("RIFF"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `phones:
  - name: a
    ip: 127.0.0.1
    sip_port: 5071
    http_port: 8081
    media: {play: hello.wav, record_dir: rec}
    lines: [{user: u, server: "h:1"}]
  - name: b
    ip: 127.0.0.1
    sip_port: 5072
    http_port: 8082
    media: {play: missing.WAV}
    lines: [{user: u, server: "h:1"}]
`
	path := filepath.Join(dir, "fleet.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	want := path + ":12: phones[1].media.play: stat " + filepath.Join(dir, "missing.WAV") + ": no such file or directory"
	if err == nil || err.Error() != want {
		t.Fatalf("Load = %v, want %s", err, want)
	}
	// Parse does not touch the file system.
	if _, err := Parse("fleet.yaml", []byte(src)); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	fixed := strings.Replace(src, "missing.WAV", filepath.Join(dir, "hello.wav"), 1)
	if err := os.WriteFile(path, []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := f.Phones[0].Media; m.Play != filepath.Join(dir, "hello.wav") || m.RecordDir != filepath.Join(dir, "rec") {
		t.Errorf("media %+v", m)
	}
	if _, ok := f.Phones[0].Media.Tone(); ok {
		t.Error("a file is not a tone")
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big file: %v", err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, name := range []string{"demo.yaml", "example.yaml"} {
		f := parseOK(t, string(mustRead(t, name)))
		out, err := f.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		g, err := Parse(name, out)
		if err != nil {
			t.Fatalf("%s: marshalled form does not parse: %v\n%s", name, err, out)
		}
		if !reflect.DeepEqual(withoutOrigins(f), g) {
			t.Errorf("%s: round trip changed the file:\n%+v\n%+v", name, f, g)
		}
	}
}

func parseOK(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func absPath(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestForwardValidation(t *testing.T) {
	yml := "phones:\n  - name: a\n    ip: 127.0.0.1\n    sip_port: 5071\n    http_port: 8081\n" +
		"    lines: [{user: \"1001\", server: \"127.0.0.1:5060\"}]\n" +
		"    forward: {always: \"20 01\", no_answer_seconds: 900}\n"
	_, err := Parse("phones.yaml", []byte(yml))
	if err == nil {
		t.Fatal("bad forwarding accepted")
	}
	for _, want := range []string{`phones[0].forward.always: "20 01" is not a number`, "phones[0].forward.no_answer_seconds: 900 is out of range"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	f, err := Parse("phones.yaml", []byte(strings.Replace(yml, `always: "20 01", no_answer_seconds: 900`, `busy: "2001", no_answer: "sip:vm@127.0.0.1"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if fw := f.Phones[0].Forward; fw.Busy != "2001" || fw.NoAnswer != "sip:vm@127.0.0.1" {
		t.Fatalf("forward %+v", fw)
	}
}

func TestCallLimitValidation(t *testing.T) {
	yml := "phones:\n  - name: a\n    ip: 127.0.0.1\n    sip_port: 5071\n    http_port: 8081\n" +
		"    lines: [{user: \"1001\", server: \"127.0.0.1:5060\"}]\n" +
		"    call_appearances: 25\n    ring_timeout_seconds: -1\n    accept_calls_from: proxy\n"
	_, err := Parse("phones.yaml", []byte(yml))
	if err == nil {
		t.Fatal("out-of-range call limits accepted")
	}
	for _, want := range []string{"phones.yaml:7: phones[0].call_appearances: 25 is out of range (1 to 24)",
		"phones.yaml:8: phones[0].ring_timeout_seconds: -1 is out of range (1 to 600 seconds)",
		`phones.yaml:9: phones[0].accept_calls_from: "proxy" is not allowed (any or registrar)`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestActiveURIAllowList(t *testing.T) {
	base := "phones:\n  - name: p1\n    ip: 127.0.0.1\n    sip_port: 5061\n    http_port: 8081\n    lines: [{user: \"1001\", server: \"127.0.0.1:5060\"}]\n"
	f, err := Parse("t.yaml", []byte(base+"    active_uri: {allow: [127.0.0.1, 10.0.0.0/8]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Phones[0].ActiveURI; !got.On() || len(got.Allow) != 2 {
		t.Errorf("active_uri = %+v, want on with two entries", got)
	}
	_, err = Parse("t.yaml", []byte(base+"    active_uri: {enabled: false, allow: [not-an-ip]}\n"))
	if err == nil || !strings.Contains(err.Error(), `"not-an-ip" is not an address`) || !strings.Contains(err.Error(), "active_uri.allow") {
		t.Errorf("bad entry: err = %v, want it named with its path", err)
	}
}

// withoutOrigins is f with every phone's Origin cleared: Marshal writes
// the phones of fleet blocks as listed phones.
func withoutOrigins(f *File) *File {
	for i := range f.Phones {
		f.Phones[i].Origin = Origin{}
	}
	return f
}
