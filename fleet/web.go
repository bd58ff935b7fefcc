package fleet

import (
	"fmt"

	"github.com/phonesim/phonesim/activeuri"
	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/webui"
)

// loadState opens the phone's state file under dir (none when dir is "")
// and lays what the web pages saved over the file's values.
func loadState(dir string, pc *config.Phone) (*webui.Store, []string, error) {
	if dir == "" {
		return nil, nil, nil
	}
	store, saved, err := webui.OpenStore(webui.StateFileName(dir, pc.Name))
	if err != nil {
		return nil, nil, err
	}
	fields, err := saved.Apply(pc)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", store.Path(), err)
	}
	return store, fields, nil
}

// webPages builds the phone's web pages (webui), served by its HTTP server
// behind the login.
func (m *Member) webPages(active *activeuri.AllowList, store *webui.Store, fromState []string) *webui.Server {
	return webui.New(webui.Options{
		Device:       m.Phone,
		Config:       m.Config,
		Sender:       m.Sender,
		AttachSender: m.attachSender,
		Active:       active,
		Store:        store,
		FromState:    fromState,
		Log:          m.Console.webLog,
		Logger:       m.Phone.Logger(),
	})
}

// webLog is the console as the Log page lists it.
func (c *Console) webLog() []webui.LogRecord {
	recs := c.Records()
	out := make([]webui.LogRecord, 0, len(recs))
	for _, r := range recs {
		switch {
		case r.ActionURL != nil:
			d := r.ActionURL
			out = append(out, webui.LogRecord{Time: d.Time, Kind: "Action URL",
				What: d.Event.String() + " " + d.URL, Status: d.Status, Result: d.Result + " " + d.Err, Latency: d.Latency})
		case r.ActiveURI != nil:
			q := r.ActiveURI
			out = append(out, webui.LogRecord{Time: q.Time, Kind: "Active URI",
				What: q.Client + " " + q.Command, Status: q.Status, Result: q.Result, Latency: q.Latency})
		}
	}
	return out
}
