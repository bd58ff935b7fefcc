package config

import (
	"fmt"
	"strings"
	"testing"
)

func BenchmarkParseFleet(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("phones:\n")
	for i := range 5000 {
		fmt.Fprintf(&sb, "  - name: p%d\n    ip: 127.0.%d.%d\n    sip_port: 5060\n    http_port: 8080\n    lines:\n      - {user: \"%d\", password: secret, server: 127.0.0.1:5060, display_name: Phone %d}\n    action_url:\n      incoming_call: http://127.0.0.1:9000/in?from=$remote\n      terminated: http://127.0.0.1:9000/down?id=$call_id\n", i, i/250, i%250+1, 10000+i, i)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("fleet.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
