package main

import (
	"fmt"
	"runtime/metrics"
	"strings"
)

// memClasses are the Go runtime's memory classes that explain an RSS
// difference (runtime/metrics; all of them mapped and, apart from freed
// heap pages, mostly touched).
var memClasses = []struct{ name, label string }{
	{"/memory/classes/heap/objects:bytes", "heap objects"},
	{"/memory/classes/heap/unused:bytes", "heap fragmentation"},
	{"/memory/classes/heap/stacks:bytes", "goroutine stacks"},
	{"/memory/classes/metadata/other:bytes", "GC and span metadata"},
	{"/memory/classes/metadata/mspan/inuse:bytes", "mspans"},
	{"/memory/classes/heap/free:bytes", "free heap not yet returned"},
}

type memSnapshot []uint64

func readMemClasses() memSnapshot {
	samples := make([]metrics.Sample, len(memClasses))
	for i, c := range memClasses {
		samples[i].Name = c.name
	}
	metrics.Read(samples)
	out := make(memSnapshot, len(samples))
	for i, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			out[i] = s.Value.Uint64()
		}
	}
	return out
}

// perPhone describes after-before divided by n, class by class.
func (after memSnapshot) perPhone(before memSnapshot, n int) string {
	var parts []string
	for i, c := range memClasses {
		if i >= len(after) || i >= len(before) {
			break
		}
		d := float64(int64(after[i])-int64(before[i])) / float64(n)
		parts = append(parts, fmt.Sprintf("%s %s", c.label, fmtBytes(d)))
	}
	return strings.Join(parts, ", ")
}
