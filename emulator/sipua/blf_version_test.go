package sipua

import "testing"

// RFC 4235 §4.1: dialog-info versions order the documents of one
// subscription; an older or repeated one (two NOTIFYs handled out of
// order) is not shown, and a new subscription starts its own count.
func TestWatchShowsOnlyNewerDialogInfo(t *testing.T) {
	var wt watch
	for _, c := range []struct {
		callID  string
		version int
		want    bool
	}{
		{"sub-1", 0, true},
		{"sub-1", 2, true},
		{"sub-1", 1, false}, // overtaken by version 2
		{"sub-1", 2, false}, // a retransmission
		{"sub-1", 3, true},
		{"sub-2", 0, true}, // a new subscription counts from 0
	} {
		if got := wt.fresh(c.callID, c.version); got != c.want {
			t.Errorf("%s version %d: fresh %v, want %v", c.callID, c.version, got, c.want)
		}
	}
}
