package activeuri

import (
	"net/netip"
	"strings"
	"testing"
)

func TestAllowList(t *testing.T) {
	a, err := NewAllowList(true, nil)
	if err != nil || !a.Allows(netip.MustParseAddr("198.51.100.1")) || strings.Join(a.Entries(), ",") != "any" {
		t.Fatalf("empty list: %v %v, want any (the hardware's default)", a.Entries(), err)
	}
	if err := a.Set(true, []string{" 10.1.2.3/8 ", "::ffff:192.0.2.7", ""}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(a.Entries(), ","); got != "10.0.0.0/8,192.0.2.7" {
		t.Errorf("entries %q, want normalised", got)
	}
	for ip, want := range map[string]bool{"10.200.0.1": true, "192.0.2.7": true, "192.0.2.8": false, "127.0.0.1": false} {
		if got := a.Allows(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Allows(%s) = %v, want %v", ip, got, want)
		}
	}
	if err := a.Set(true, []string{"10.0.0.1", "nope"}); err == nil || !strings.Contains(err.Error(), `entry 2: "nope"`) {
		t.Errorf("bad entry: %v", err)
	}
	if got := strings.Join(a.Entries(), ","); got != "10.0.0.0/8,192.0.2.7" {
		t.Errorf("a refused Set changed the list to %q", got)
	}
	_ = a.Set(false, []string{"any"})
	if a.Allows(netip.MustParseAddr("10.0.0.1")) {
		t.Error("Active URI off still allows")
	}
}

func FuzzParseAllowList(f *testing.F) {
	for _, s := range []string{"any", "10.0.0.0/8", "192.0.2.7", "::1", "fe80::1%eth0", "1.2.3.4/33", "", "ANY,1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		nets, anyIP, clean, err := ParseAllowList(strings.Split(s, ","))
		if err != nil {
			return
		}
		if len(clean) == 0 || (!anyIP && len(nets) == 0) {
			t.Fatalf("%q: accepted but allows nothing: %v %v", s, nets, clean)
		}
		// The normalised list parses to the same thing.
		nets2, any2, clean2, err := ParseAllowList(clean)
		if err != nil || any2 != anyIP || len(nets2) != len(nets) || strings.Join(clean2, ",") != strings.Join(clean, ",") {
			t.Fatalf("%q: normalised %v does not round-trip: %v %v", s, clean, clean2, err)
		}
	})
}
