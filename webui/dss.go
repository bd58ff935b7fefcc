package webui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
)

// dssRow is one of D1..D10 on the DSS keys page.
type dssRow struct {
	N int
	emulator.DSSStatus
}

// dssKinds are the page's choices, in a desk phone's order (Fanvil's
// "DSS Key" page: None, Speed Dial, BLF, Transfer).
var dssKinds = []struct{ Value, Label string }{
	{"", "None"}, {emulator.DSSSpeedDial, "Speed dial"}, {emulator.DSSBLF, "BLF"}, {emulator.DSSTransfer, "Transfer"},
}

type dssData struct {
	Keys  []dssRow
	Kinds []struct{ Value, Label string }
}

func (s *Server) dssData() dssData {
	d := dssData{Kinds: dssKinds}
	for n := 1; n <= emulator.MaxDSS; n++ {
		d.Keys = append(d.Keys, dssRow{N: n})
	}
	for _, k := range s.opts.Device.Snapshot().DSS {
		if k.Key >= 1 && k.Key <= emulator.MaxDSS {
			d.Keys[k.Key-1].DSSStatus = k
		}
	}
	return d
}

func (s *Server) dss(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "dss", "DSS keys", page{Data: s.dssData()})
}

// saveDSS is POST /dss: all ten keys in one form (type_N, value_N,
// label_N). Each key that changed is programmed through the phone's loop
// (emulator.SetDSS, which re-subscribes a BLF key), then kept.
func (s *Server) saveDSS(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	cur := s.dssData().Keys
	var changes []emulator.SetDSS
	for n := 1; n <= emulator.MaxDSS; n++ {
		k := emulator.DSSKey{Kind: f.Get(fmt.Sprintf("type_%d", n)),
			Value: strings.TrimSpace(f.Get(fmt.Sprintf("value_%d", n))), Label: strings.TrimSpace(f.Get(fmt.Sprintf("label_%d", n)))}
		if k.Kind == "" {
			k = emulator.DSSKey{}
		}
		if len(k.Label) > 32 || strings.ContainsAny(k.Label, "<>\r\n") {
			s.render(w, r, http.StatusBadRequest, "dss", "DSS keys",
				page{Error: fmt.Sprintf("Nothing saved: D%d label: up to 32 characters, no < > or line breaks.", n), Data: s.dssData()})
			return
		}
		c := cur[n-1].DSSStatus
		if (emulator.DSSKey{Kind: c.Kind, Value: c.Value, Label: c.Label}) != k {
			changes = append(changes, emulator.SetDSS{Key: n, DSSKey: k})
		}
	}
	// Check every key before programming any, so a bad one saves nothing.
	for _, c := range changes {
		if err := checkDSS(c); err != nil {
			s.render(w, r, http.StatusBadRequest, "dss", "DSS keys", page{Error: "Nothing saved: " + err.Error(), Data: s.dssData()})
			return
		}
	}
	var errs []error
	for _, c := range changes {
		errs = append(errs, s.opts.Device.Do(r.Context(), c))
	}
	if err := errors.Join(errs...); err != nil {
		s.render(w, r, http.StatusConflict, "dss", "DSS keys",
			page{Error: "The phone did not take it: " + err.Error(), Data: s.dssData()})
		return
	}
	if err := s.save(func(st *Settings) {
		if st.DSS == nil {
			st.DSS = map[int]config.DSSKey{}
		}
		for _, c := range changes {
			st.DSS[c.Key] = config.DSSKey{Type: c.Kind, Value: c.Value, Label: c.Label}
		}
	}); err != nil {
		s.render(w, r, http.StatusConflict, "dss", "DSS keys",
			page{Error: "In force now, but not kept across a restart: " + err.Error(), Data: s.dssData()})
		return
	}
	s.render(w, r, http.StatusOK, "dss", "DSS keys", page{Flash: fmt.Sprintf("Saved (%d keys changed).", len(changes)), Data: s.dssData()})
}

// checkDSS applies the rules of emulator.SetDSS (and of the YAML's dss:)
// before anything is programmed.
func checkDSS(c emulator.SetDSS) error {
	switch c.Kind {
	case "":
		return nil
	case emulator.DSSSpeedDial, emulator.DSSBLF, emulator.DSSTransfer:
	default:
		return fmt.Errorf("D%d type %q: none, speed dial, BLF or transfer", c.Key, c.Kind)
	}
	if c.Value == "" || strings.ContainsAny(c.Value, " \t\r\n<>\"") {
		return fmt.Errorf("D%d value %q: a number, user@host or sip: URI", c.Key, c.Value)
	}
	return nil
}
