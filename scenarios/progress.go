package scenarios

import "fmt"

// Progress is where a run is, for a display beside the phones (the GUI's
// step banner): Options.OnStep receives one before each step (Status
// "running") and one after it ("passed" or "failed"); with StepIn, one
// more ("waiting") while it waits for Enter.
type Progress struct {
	Scenario string `json:"scenario"` // the scenario's name
	File     string `json:"file"`
	Line     int    `json:"line"`
	Index    int    `json:"index"` // 1-based
	Total    int    `json:"total"`
	Step     string `json:"step"`   // in words, as in the progress lines
	Status   string `json:"status"` // waiting, running, passed, failed
	// Passed and Failed count the steps done so far, this one included
	// once it is done.
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// Where is "file:line".
func (p Progress) Where() string { return fmt.Sprintf("%s:%d", p.File, p.Line) }

// String is "file:line step 2/8: bob (1002) presses OK — running (1 passed, 0 failed)".
func (p Progress) String() string {
	return fmt.Sprintf("%s step %d/%d: %s — %s (%d passed, %d failed)", p.Where(), p.Index, p.Total, p.Step, p.Status, p.Passed, p.Failed)
}
