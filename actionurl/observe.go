package actionurl

import (
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// Delivery is one finished Action URL request, as Config.Observe sees it:
// what a CTI developer checks when their server did not get what they
// expected.
type Delivery struct {
	Time    time.Time          // when the GET started
	Phone   string             // the phone's name
	Event   emulator.EventType // the event it reports
	URL     string             // the URL as sent, a password in it masked
	Status  int                // HTTP status; 0 when no response came
	Result  string             // ResultOK, ResultError, ResultTimeout or ResultCanceled
	Err     string             // the error, if Result is not ResultOK
	Latency time.Duration      // from the start of the GET to the end of the response
}

// observe reports a finished request to Config.Observe, if set.
func (s *Sender) observe(ev emulator.Event, target string, start time.Time, status int, result string, err error) {
	if s.cfg.Observe == nil {
		return
	}
	d := Delivery{Time: start, Phone: ev.Phone, Event: ev.Type, URL: redact(target),
		Status: status, Result: result, Latency: time.Since(start)}
	if err != nil {
		d.Err = err.Error()
	}
	s.cfg.Observe(d)
}
