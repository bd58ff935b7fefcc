package webui

import (
	"encoding/json"
	"testing"
)

// BenchmarkStatusJSON is GET /api/status's work without the socket: the
// snapshot of the golden phone converted and encoded.
func BenchmarkStatusJSON(b *testing.B) {
	snap := goldenSnapshot()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.MarshalIndent(StatusOf(snap), "", "  "); err != nil {
			b.Fatal(err)
		}
	}
}
