package layout

// MaxShown is how many phones are drawn side by side; with more, a picker
// chooses which.
const MaxShown = 4

// Margin around and between cells; PickerH is the picker bar's height
// (present only when there are more phones than MaxShown).
const (
	Margin  = 10
	PickerH = 30
	TabW    = 110
)

// Screen is how the window is arranged for a set of shown phones.
type Screen struct {
	W, H   float64 // base size of the whole picture
	Picker bool    // a picker bar at the top (more phones than MaxShown)
	Tabs   []Rect  // one picker tab per phone of the fleet (when Picker)
	Cells  []Cell  // one per shown phone, in order
}

// Cell is one shown phone with its console.
type Cell struct {
	Phone   int  // index in the fleet
	Origin  Rect // the phone body, in window base units
	Console Rect
}

// Arrange lays out the shown phones (indices into a fleet of total phones):
// one or two side by side, three or four in two rows of two.
func Arrange(total int, shown []int) Screen {
	var s Screen
	top := float64(Margin)
	if total > MaxShown {
		s.Picker = true
		for i := range total {
			s.Tabs = append(s.Tabs, Rect{Margin + float64(i)*(TabW+4), 4, TabW, PickerH - 8})
		}
		top += PickerH
	}
	cols := min(max(len(shown), 1), 2)
	rows := (len(shown) + 1) / 2
	rows = max(rows, 1)
	for i, p := range shown {
		x := Margin + float64(i%cols)*(CellW+Margin)
		y := top + float64(i/cols)*(CellH+Margin)
		s.Cells = append(s.Cells, Cell{Phone: p,
			Origin:  Rect{x, y, PhoneW, PhoneH},
			Console: Rect{x + PhoneW + CellGap, y, ConsoleW, PhoneH}})
	}
	s.W = Margin + float64(cols)*(CellW+Margin)
	if s.Picker {
		s.W = max(s.W, Margin+float64(total)*(TabW+4)+Margin)
	}
	s.H = top + float64(rows)*(CellH+Margin)
	return s
}

// Hit is what a click at base (x, y) hits: a picker tab (Tab >= 0), or a
// target on the phone of cell Cell (Cell >= 0), or nothing (-1, -1).
type Hit struct {
	Tab    int
	Cell   int
	Target Target
}

// Hit finds what is under (x, y).
func (s Screen) Hit(x, y float64) Hit {
	for i, t := range s.Tabs {
		if t.Contains(x, y) {
			return Hit{Tab: i, Cell: -1}
		}
	}
	for i, c := range s.Cells {
		if c.Origin.Contains(x, y) || c.Console.Contains(x, y) {
			return Hit{Tab: -1, Cell: i, Target: HitPhone(x-c.Origin.X, y-c.Origin.Y)}
		}
	}
	return Hit{Tab: -1, Cell: -1}
}

// Pick changes the shown set when tab i is clicked: a shown phone is
// hidden (unless it is the last one shown); another is shown, replacing
// the oldest when MaxShown are shown already.
func Pick(shown []int, i int) []int {
	for j, p := range shown {
		if p == i {
			if len(shown) == 1 {
				return shown
			}
			return append(append([]int(nil), shown[:j]...), shown[j+1:]...)
		}
	}
	out := append([]int(nil), shown...)
	if len(out) >= MaxShown {
		out = out[1:]
	}
	return append(out, i)
}

// FirstShown is the initial set: the first MaxShown phones.
func FirstShown(total int) []int {
	out := make([]int, 0, min(total, MaxShown))
	for i := range min(total, MaxShown) {
		out = append(out, i)
	}
	return out
}
