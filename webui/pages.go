package webui

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

// statusData is the Status page.
type statusData struct {
	Snap      emulator.Snapshot
	Forward   []forwardRow
	FromState string // fields the state file set at start, "" if none
	StateFile string
}

type forwardRow struct {
	Name   string
	On     bool
	Target string
}

func forwardRows(snap emulator.Snapshot) []forwardRow {
	var out []forwardRow
	for _, k := range []emulator.ForwardKind{emulator.ForwardAlways, emulator.ForwardBusy, emulator.ForwardNoAnswer} {
		f := snap.Forward[k]
		out = append(out, forwardRow{Name: k.String(), On: f.On, Target: f.Target})
	}
	return out
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	snap := s.opts.Device.Snapshot()
	d := statusData{Snap: snap, Forward: forwardRows(snap), FromState: strings.Join(s.opts.FromState, ", ")}
	if s.opts.Store != nil {
		d.StateFile = s.opts.Store.Path()
	}
	s.render(w, r, http.StatusOK, "status", "Status", page{Data: d})
}

// featuresData is the Features page.
type featuresData struct {
	DND             bool
	Forward         []forwardRow
	NoAnswerSeconds int
	RejectCode      int
	AutoAnswer      []string // lines answering by themselves
}

func (s *Server) featuresData() featuresData {
	snap := s.opts.Device.Snapshot()
	d := featuresData{DND: snap.DND, Forward: forwardRows(snap),
		NoAnswerSeconds: s.opts.Config.Forward.NoAnswerSeconds, RejectCode: s.opts.Config.RejectCode}
	if s.opts.Store != nil {
		if f := s.opts.Store.Settings().Forward; f != nil {
			d.NoAnswerSeconds = f.NoAnswerSeconds
		}
	}
	if d.NoAnswerSeconds == 0 {
		d.NoAnswerSeconds = int(emulator.DefaultRingTimeout / time.Second)
	}
	if d.RejectCode == 0 {
		d.RejectCode = 480
	}
	for i, l := range s.currentLines() {
		if l.AutoAnswer {
			d.AutoAnswer = append(d.AutoAnswer, fmt.Sprintf("L%d", i+1))
		}
	}
	return d
}

func (s *Server) features(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "features", "Features", page{Data: s.featuresData()})
}

// saveFeatures applies DND and the three forwards through the phone's
// loop (firing their Action URL events, as the menu does), then keeps them.
func (s *Server) saveFeatures(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	secs, err := strconv.Atoi(strings.TrimSpace(f.Get("no_answer_seconds")))
	if err != nil || secs < 1 || secs > 600 {
		d := s.featuresData()
		s.render(w, r, http.StatusBadRequest, "features", "Features",
			page{Error: fmt.Sprintf("No-answer time %q: a whole number of seconds from 1 to 600.", f.Get("no_answer_seconds")), Data: d})
		return
	}
	fw := config.Forward{NoAnswerSeconds: secs}
	targets := map[emulator.ForwardKind]*string{
		emulator.ForwardAlways: &fw.Always, emulator.ForwardBusy: &fw.Busy, emulator.ForwardNoAnswer: &fw.NoAnswer,
	}
	for kind, dst := range targets {
		name := kind.String()
		target := strings.TrimSpace(f.Get(name + "_target"))
		on := f.Get(name+"_on") != ""
		if on && target == "" {
			s.render(w, r, http.StatusBadRequest, "features", "Features",
				page{Error: "Forward " + name + " is on but has no target.", Data: s.featuresData()})
			return
		}
		if strings.ContainsAny(target, " \t\r\n<>\"") {
			s.render(w, r, http.StatusBadRequest, "features", "Features",
				page{Error: fmt.Sprintf("Forward %s target %q is not a number or SIP URI.", name, target), Data: s.featuresData()})
			return
		}
		if on {
			*dst = target
		}
	}
	dnd := f.Get("dnd") != ""
	ctx := r.Context()
	var errs []error
	errs = append(errs, s.opts.Device.Do(ctx, emulator.SetDND{On: dnd}))
	for _, kind := range []emulator.ForwardKind{emulator.ForwardAlways, emulator.ForwardBusy, emulator.ForwardNoAnswer} {
		t := *targets[kind]
		errs = append(errs, s.opts.Device.Do(ctx, emulator.SetForward{Kind: kind, On: t != "", Target: t,
			RingTimeout: time.Duration(secs) * time.Second}))
	}
	if err := errors.Join(errs...); err != nil {
		s.render(w, r, http.StatusConflict, "features", "Features",
			page{Error: "The phone did not take it: " + err.Error(), Data: s.featuresData()})
		return
	}
	if err := s.save(func(st *Settings) { st.DND, st.Forward = &dnd, &fw }); err != nil {
		s.render(w, r, http.StatusConflict, "features", "Features",
			page{Error: "In force now, but not kept across a restart: " + err.Error(), Data: s.featuresData()})
		return
	}
	s.render(w, r, http.StatusOK, "features", "Features", page{Flash: "Saved.", Data: s.featuresData()})
}

type activeData struct {
	Enabled bool
	Allow   string
}

func (s *Server) activeURI(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "activeuri", "Active URI", page{Data: activeData{
		Enabled: s.opts.Active.Enabled(), Allow: strings.Join(s.opts.Active.Entries(), "\n")}})
}

// saveActiveURI sets the switch and the list; the textarea takes one entry
// per line (commas and spaces also separate).
func (s *Server) saveActiveURI(w http.ResponseWriter, r *http.Request) {
	raw := r.PostForm.Get("allow")
	entries := strings.FieldsFunc(raw, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
	on := r.PostForm.Get("enabled") != ""
	if err := s.opts.Active.Set(on, entries); err != nil {
		s.render(w, r, http.StatusBadRequest, "activeuri", "Active URI",
			page{Error: "Nothing saved: " + err.Error(), Data: activeData{Enabled: on, Allow: raw}})
		return
	}
	clean := s.opts.Active.Entries()
	d := activeData{Enabled: on, Allow: strings.Join(clean, "\n")}
	if err := s.save(func(st *Settings) { st.ActiveURI = &config.ActiveURI{Enabled: &on, Allow: slices.Clone(clean)} }); err != nil {
		s.render(w, r, http.StatusConflict, "activeuri", "Active URI",
			page{Error: "In force now, but not kept across a restart: " + err.Error(), Data: d})
		return
	}
	s.log.Info("Active URI allow-list changed on the web page", "enabled", on, "allow", strings.Join(clean, ","))
	s.render(w, r, http.StatusOK, "activeuri", "Active URI", page{Flash: "Saved.", Data: d})
}

// phoneData is the Phone page: the picture's initial state; the script
// keeps it current from /api/events and /api/status.
type phoneData struct {
	Snap   emulator.Snapshot
	Lines  []string
	DSS    []string
	Keypad []string
}

func (s *Server) phone(w http.ResponseWriter, r *http.Request) {
	d := phoneData{Snap: s.opts.Device.Snapshot(),
		Keypad: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "POUND"}}
	for i := range max(len(s.opts.Config.Lines), 2) {
		d.Lines = append(d.Lines, fmt.Sprintf("L%d", i+1))
	}
	for i := range 10 {
		d.DSS = append(d.DSS, fmt.Sprintf("D%d", i+1))
	}
	s.render(w, r, http.StatusOK, "phone", "Phone", page{Data: d})
}

// pressKey is a click on the picture: POST key=NAME (keypad names, as
// Active URI's key=), or hook=lift|hang for the handset.
func (s *Server) pressKey(w http.ResponseWriter, r *http.Request) {
	var in emulator.Input
	if h := r.PostForm.Get("hook"); h != "" {
		in = emulator.Handset{Lift: h == "lift"}
	} else {
		k, err := keypad.Parse(r.PostForm.Get("key"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		in = emulator.PressKey{Key: k}
	}
	if err := s.opts.Device.Do(r.Context(), in); err != nil {
		http.Error(w, "the phone did not take it: "+err.Error(), http.StatusConflict)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) logPage(w http.ResponseWriter, r *http.Request) {
	recs := s.opts.Log()
	slices.Reverse(recs) // newest first
	s.render(w, r, http.StatusOK, "log", "Log", page{Data: recs})
}
