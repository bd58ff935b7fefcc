package layout

import (
	"math"
	"slices"
	"testing"

	"github.com/phonesim/phonesim/keypad"
)

// notOnThePanel are Active URI commands without a key of their own on a
// desk phone (they are menu items or remote-only commands).
var notOnThePanel = map[keypad.Key]bool{keypad.Reboot: true, keypad.AutoP: true, keypad.DNDOn: true, keypad.DNDOff: true}

// Every physical key of the spec is on the phone exactly once, inside the
// body, clear of the LCD, the handset and every other key.
func TestEveryKeyIsOnThePhoneOnce(t *testing.T) {
	seen := map[keypad.Key]int{}
	for _, b := range Buttons {
		seen[b.Key]++
	}
	for _, k := range keypad.All() {
		want := 1
		if notOnThePanel[k] {
			want = 0
		}
		if seen[k] != want {
			t.Errorf("key %v is on the phone %d times, want %d", k, seen[k], want)
		}
	}
	overlap := func(a, b Rect) bool {
		return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
	}
	for i, a := range Buttons {
		if !inside(a.Rect, Body) {
			t.Errorf("%v at %+v sticks out of the body", a.Key, a.Rect)
		}
		for _, part := range []struct {
			name string
			r    Rect
		}{{"LCD", LCD}, {"cradle", Cradle}, {"badge", Badge}} {
			if overlap(a.Rect, part.r) {
				t.Errorf("%v at %+v overlaps the %s", a.Key, a.Rect, part.name)
			}
		}
		for _, b := range Buttons[i+1:] {
			if overlap(a.Rect, b.Rect) {
				t.Errorf("%v and %v overlap", a.Key, b.Key)
			}
		}
	}
}

func inside(r, outer Rect) bool {
	return r.X >= outer.X && r.Y >= outer.Y && r.X+r.W <= outer.X+outer.W && r.Y+r.H <= outer.Y+outer.H
}

func TestHitPhone(t *testing.T) {
	for _, b := range Buttons {
		x, y := b.Rect.Center()
		if got := HitPhone(x, y); got.Key != b.Key || got.Handset {
			t.Errorf("click on the middle of %v hit %v", b.Key, got)
		}
		// The right and bottom edges belong to the neighbour, not the key.
		if got := HitPhone(b.Rect.X+b.Rect.W, b.Rect.Y+b.Rect.H); got.Key == b.Key {
			t.Errorf("click just past %v's corner still hit it", b.Key)
		}
	}
	x, y := Cradle.Center()
	if got := HitPhone(x, y); !got.Handset {
		t.Errorf("click on the cradle hit %v", got)
	}
	x, y = LCD.Center()
	if got := HitPhone(x, y); got.Valid() {
		t.Errorf("click on the LCD hit %v", got)
	}
	for _, target := range []Target{{Key: keypad.F1}, {Key: keypad.Digit0}, {Handset: true}} {
		x, y, err := Point(target)
		if err != nil || HitPhone(x, y) != target {
			t.Errorf("Point(%v) = %v,%v (%v) does not hit it back", target, x, y, err)
		}
	}
	if _, _, err := Point(Target{Key: keypad.Reboot}); err == nil {
		t.Error("Point found a button for Reboot")
	}
}

// One or two phones side by side, three or four in two rows of two; more
// get a picker bar. Each cell's phone and console are where Hit finds them.
func TestArrangeAndHit(t *testing.T) {
	two := Arrange(2, []int{0, 1})
	if two.Picker || len(two.Cells) != 2 || two.Cells[0].Origin.Y != two.Cells[1].Origin.Y ||
		two.Cells[1].Origin.X <= two.Cells[0].Console.X {
		t.Fatalf("two phones: %+v", two)
	}
	if two.W != Margin+2*(CellW+Margin) || two.H != Margin+CellH+Margin {
		t.Errorf("two phones: size %vx%v", two.W, two.H)
	}
	four := Arrange(4, []int{0, 1, 2, 3})
	if four.Cells[2].Origin.X != four.Cells[0].Origin.X || four.Cells[2].Origin.Y <= four.Cells[0].Origin.Y {
		t.Errorf("four phones not in two rows: %+v", four.Cells)
	}
	six := Arrange(6, []int{1, 4})
	if !six.Picker || len(six.Tabs) != 6 || six.Cells[0].Origin.Y < PickerH {
		t.Fatalf("six phones: %+v", six)
	}
	// Bob's (second cell's) F1 and his handset.
	b, _ := ButtonOf(keypad.F1)
	x, y := b.Rect.Offset(two.Cells[1].Origin.X, two.Cells[1].Origin.Y).Center()
	if h := two.Hit(x, y); h.Cell != 1 || h.Target.Key != keypad.F1 {
		t.Errorf("bob's F1: %+v", h)
	}
	x, y = Cradle.Offset(two.Cells[0].Origin.X, two.Cells[0].Origin.Y).Center()
	if h := two.Hit(x, y); h.Cell != 0 || !h.Target.Handset {
		t.Errorf("alice's handset: %+v", h)
	}
	x, y = two.Cells[1].Console.Center()
	if h := two.Hit(x, y); h.Cell != 1 || h.Target.Valid() {
		t.Errorf("bob's console: %+v", h)
	}
	if h := two.Hit(1, 1); h.Cell != -1 || h.Tab != -1 {
		t.Errorf("margin: %+v", h)
	}
	x, y = six.Tabs[5].Center()
	if h := six.Hit(x, y); h.Tab != 5 {
		t.Errorf("tab 6: %+v", h)
	}
}

func TestPick(t *testing.T) {
	for _, c := range []struct {
		shown []int
		tab   int
		want  []int
	}{
		{[]int{0, 1}, 2, []int{0, 1, 2}},
		{[]int{0, 1, 2, 3}, 5, []int{1, 2, 3, 5}}, // full: the oldest goes
		{[]int{0, 1, 2}, 1, []int{0, 2}},          // shown: hidden
		{[]int{4}, 4, []int{4}},                   // the last one stays
	} {
		if got := Pick(c.shown, c.tab); !slices.Equal(got, c.want) {
			t.Errorf("Pick(%v, %d) = %v, want %v", c.shown, c.tab, got, c.want)
		}
	}
	if got := FirstShown(7); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("FirstShown(7) = %v", got)
	}
}

// Fit keeps proportions and centres; ToBase undoes it, so a click lands on
// the key drawn under it at any window size.
func TestFitAndToBase(t *testing.T) {
	for _, c := range []struct{ bw, bh, ww, wh, scale float64 }{
		{1000, 500, 1000, 500, 1}, {1000, 500, 2000, 1000, 2}, {1000, 500, 2000, 600, 1.2}, {1000, 500, 500, 1000, 0.5},
	} {
		s, ox, oy := Fit(c.bw, c.bh, c.ww, c.wh)
		if s != c.scale {
			t.Errorf("Fit(%v) scale %v, want %v", c, s, c.scale)
		}
		if ox < 0 || oy < 0 || (ox != 0 && oy != 0) {
			t.Errorf("Fit(%v) offset %v,%v: not centred on one axis", c, ox, oy)
		}
		x, y := ToBase(ox+123*s, oy+45*s, s, ox, oy)
		if math.Abs(x-123) > 1e-9 || math.Abs(y-45) > 1e-9 {
			t.Errorf("ToBase round trip at %v gave %v,%v", c, x, y)
		}
	}
	if s, _, _ := Fit(0, 0, 100, 100); s != 1 {
		t.Errorf("Fit of an empty picture: scale %v", s)
	}
}
