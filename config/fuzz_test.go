package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var errLine = regexp.MustCompile(`^fuzz\.yaml:[1-9][0-9]*: `)

// FuzzParse: any input gives a File or errors, never a panic; every error
// line starts with file:line; a File that parses is valid and survives
// Marshal and Parse unchanged.
func FuzzParse(f *testing.F) {
	f.Add(DemoYAML())
	f.Add(mustReadF(f, "example.yaml"))
	for _, s := range []string{
		"",
		"phones: *x\n",
		"phones:\n  - &p {name: a, ip: 127.0.0.1, sip_port: 1, http_port: 2, lines: [{user: u, server: 'h:1'}]}\n  - <<: *p\n    name: b\n    sip_port: 3\n",
		"phones:\n  - name: a\n    ip: 127.0.0.1\n    sip_port: 70000\n    http_port: x\n",
		"a: &a [*a]\n",
		"phones: [{action_url: {incoming_call: 'http://[::1'}}]\n",
		"registrar: {listen: '0.0.0.0:5060', users: {u: p}}\nphones: [{name: a, ip: 127.0.0.1, sip_port: 5060, http_port: 80, lines: [{user: u, server: 'h:1'}]}]\n",
		"phones:\n- name: !!str 0123\n  ip: !!binary aGk=\n",
		"? [a]\n: b\n",
		"phones: [{mac: 00A8590010FF, firmware: 2.10, lines: {}}]\n---\n",
		"registrar: {listen: '127.0.0.1:5060', accounts: [{count: 3, user: 07, password: p}]}\nfleet:\n  - &b {count: 3, ip: 127.0.1.254, sip_port: 5060, http_port: 80, user: 0099, password: 'pw$user', mac: 'ff:ff:ff:ff:ff:fd', server: 'h:1', auto_answer: 1s}\n  - *b\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err != nil {
			if cfg != nil {
				t.Fatal("File and error together")
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !errLine.MatchString(line) {
					t.Fatalf("error line without file:line: %q\nfull error:\n%v", line, err)
				}
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("parsed File does not validate: %v", err)
		}
		out, err := cfg.Marshal()
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := Parse("fuzz.yaml", out)
		if err != nil {
			t.Fatalf("marshalled File does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(withoutOrigins(cfg), again) {
			t.Fatalf("round trip changed the File:\n%+v\n%+v", cfg, again)
		}
	})
}

func mustReadF(f *testing.F, name string) []byte {
	f.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
